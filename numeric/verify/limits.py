"""The analytic limits of the verification ladder (CONVENTIONS.md §10), measured (``phonon-moment limits``):
V5 (relaxation), V6 (particle–hole symmetry, Dirac limit), V7 (adiabatic), V9 (K point).

Each check returns a row {check, measured, expected, passed, note}. The expected values are what the derivation
establishes, with the paper's printed claim beside it where they differ (CONVENTIONS.md §8):

- V5, on the referee's total (numeric/response/direct.py), not on the generated λ^NA where δ is an explicit factor:
  λ_direct − λ^A_generated ∝ (η_n/η_p)^1 for η_p ≫ η_n (slope fitted over three decades of η_n, two with ``quick``,
  from η_n/(2η_p) = 0.01 down: see ``V5_ETA_N``), and it tends to a finite, nonzero limit as all η → 0 at the fixed
  ratios of Fig. 2(f).
- V7: the correction λ(ω) − λ(0) in the adiabatic limit (η_n = 0, η_p → 0) at q = Γ on the t′ = 0.3 model (at t′ = 0 the
  adiabatic Λ at Γ vanishes, CONVENTIONS.md §5). Eq. (4) is even, Λ^{ab}(−ω, −q) = Λ^{ba}(ω, q), so at Γ the diagonal
  correction is O(ω²); the paper says "ω/ε₀". And λ at ω → 0 against the magnetic-supercell Born–Oppenheimer moment.
- V6 (full table only, ~10 s of CPU): max|λ^SJ|/max|λ^SS| at q = K, t′ = 0, η_c = η_v as Δ/t → 0 at fixed ω/Δ and η/Δ;
  the paper says the side jump vanishes with particle–hole symmetry, the lattice finds 1.85e-2 at the defaults, and the
  ratio falls as (Δ/t)² (numeric/verify/dirac_check.py, CONVENTIONS.md §1.2).
- V11 (full table only; shares V6's k-points and band data): the zone-integrated λ^A at q = K (γ_n = 0) against the
  derived Dirac form of generated/dirac_k.py (``adiabatic_zone``, ∝ Δ⁻² at fixed ω/Δ): measured against derived exponent.
- V9: the derived K-point form (Eq. 10, generated/dirac_k.py) against the lattice skew integrand at q = K as Δ/t → 0 —
  present when ``derive`` has written it.

The tests (tests/test_nonadiabatic.py, tests/test_adiabatic.py, tests/test_limits.py) assert the same measurements.
"""

from __future__ import annotations

import numpy as np

from ..response.damping import Rates, rates_from_paper
from ..response.direct import lambda_matrix, uniform_problem
from ..response.fast import lambda_generated_rates
from ..model.honeycomb import honeycomb_model
from ..model.phonons import Phonons, saito_graphene
from .dirac_check import dirac_limit, v6_row, v11_row

V5_ETA_N = (1e-3, 1e-4, 1e-5, 1e-6)
"""η_n (eV) of the V5 fit at η_p = 0.05 eV. λ^NA follows the paper's δ = η_n/(2η_p + η_n) (Eq. 7, η_c = η_v = η_n), whose
local exponent is 1 − η_n/(2η_p + η_n): the exponent 1 is reached only for η_n ≪ 2η_p. A fit of δ itself over
η_n = (1e-2, 1e-3, 1e-4) gives 0.9795: a set from 1e-2 (measured there: 0.9794) sees this crossover, not the limit. From
η_n = 1e-3 the measured exponents per decade (0.9961, 0.9996, 0.99996 at nk = 12 and 24) are δ's to 1e-4, and δ's own
fit over these points is 1 − 2.1e-3 (first three, ``quick``) or 1 − 1.3e-3 (all four)."""
V5_ETA_N_QUICK = V5_ETA_N[:3]
V5_SLOPE = (1.0, 0.02)           # expected exponent; tolerance ≈ 10 × the quick fit's crossover bias (V5_ETA_N)
V5_LIMIT = 1e-4                  # relative change of λ^NA between η-scales 0.1 and 0.01 (measured 3.5e-6 at nk = 24,
                                 # 1.9e-6 at nk = 8; a λ^NA vanishing ∝ η would change by 0.9)
V7_SLOPE = (2.0, 0.05)           # derived (Eq. 4 even); the paper's "ω/ε₀" would be 1
V7_BO = 5e-4                     # relative; the L = 24 supercell's own fit error is 2.3e-4 (tests/test_adiabatic.py)


def _row(check, measured, expected, passed, note=""):
    return {"check": check, "measured": measured, "expected": expected, "passed": bool(passed), "note": note}


def top_branch_energy(model, q) -> float:
    """ħω (eV) of the top phonon branch at ``q`` (1/Å) with the paper's phonons (Saito force constants)."""
    return float(Phonons(model.lattice, saito_graphene()).energies(np.asarray(q, dtype=float))[-1])


def v5_exponent(nk: int = 24, eta_p: float = 0.05, eta_n=V5_ETA_N) -> dict:
    """Slope of log|λ_direct − λ^A_generated| against log η_n at q = K, top branch frequency, η_c = η_v = η_n;
    with the local slopes between consecutive η_n."""
    model = honeycomb_model()
    K = model.lattice.point("K")
    omega = top_branch_energy(model, K)
    na = []
    for e in eta_n:
        pb = uniform_problem(model, nk, rates_from_paper(eta_p, e, e))
        total = lambda_matrix(pb, omega, K, split=False).Lambda
        adiabatic = lambda_generated_rates(pb, omega, K, [pb.rates])[0]["adiabatic"]
        na.append((total - adiabatic)[0, 0].real)
    slope = float(np.polyfit(np.log(eta_n), np.log(np.abs(na)), 1)[0])
    local = np.diff(np.log(np.abs(na))) / np.diff(np.log(eta_n))
    return {"slope": slope, "eta_n": list(eta_n), "nonadiabatic_AA": na, "local_slopes": local.tolist()}


def v5_finite_limit(nk: int = 24, scales=(0.1, 0.01)) -> dict:
    """λ_direct − λ^A_generated (Λ^AA at K) as all η → 0 at the ratios of Fig. 2(f)."""
    model = honeycomb_model()
    K = model.lattice.point("K")
    omega = top_branch_energy(model, K)
    na = []
    for x in scales:
        pb = uniform_problem(model, nk, rates_from_paper(0.02 * x, 0.004 * x, 0.02 * x))
        total = lambda_matrix(pb, omega, K, split=False).Lambda
        na.append((total - lambda_generated_rates(pb, omega, K, [pb.rates])[0]["adiabatic"])[0, 0].real)
    return {"scales": list(scales), "nonadiabatic_AA": na, "relative_change": abs(na[-1] - na[-2]) / abs(na[-2])}


def v7_exponent(nk: int = 24, omegas=(0.4, 0.2, 0.1, 0.05), eta_p: float = 1e-5) -> dict:
    """Slope of log|Λ^AA(ω) − Λ^AA(0)| against log ω at q = Γ, t′ = 0.3 eV, no electronic damping (generated path)."""
    model = honeycomb_model(tprime=0.3)
    pb = uniform_problem(model, nk, Rates(eta_p, (0.0, 0.0)))
    value = lambda w: lambda_generated_rates(pb, w, np.zeros(2), [pb.rates])[0]["Lambda"][0, 0].real
    zero = value(0.0)
    corr = [value(w) - zero for w in omegas]
    slope = float(np.polyfit(np.log(omegas), np.log(np.abs(corr)), 1)[0])
    return {"slope": slope, "omegas": list(omegas), "correction_AA": corr, "Lambda_AA_at_0": zero}


def v7_born_oppenheimer(nk: int = 48, L: int = 24) -> dict:
    """Λ at q = Γ, ω = 2 meV, η → 0 (generated) against the magnetic-supercell λ_BO (numeric/verify/supercell.py)."""
    from .supercell import born_oppenheimer_lambda

    model = honeycomb_model(tprime=0.3)
    pb = uniform_problem(model, nk, Rates(1e-5, (0.0, 0.0)))
    lam = lambda_generated_rates(pb, 0.002, np.zeros(2), [pb.rates])[0]["Lambda"].real
    bo = born_oppenheimer_lambda(model, ((L, 0), (L, 1), (L, 2), (L, 3)), nkappa=1).lam_odd
    return {"generated_AA": float(lam[0, 0]), "born_oppenheimer_AA": float(bo[0, 0]),
            "relative_difference": float(np.abs(lam - bo).max() / np.abs(bo).max())}


def v7_born_oppenheimer_at_k(nk: int = 48, L: int = 24) -> dict:
    """λ^A at q = K, ω = 2 meV, η → 0 (generated) against the ε_ij part of the magnetic-supercell curvature of
    displacements modulated at K (numeric/verify/supercell.py ``born_oppenheimer_moment``; L a multiple of 3)."""
    from .supercell import born_oppenheimer_moment

    model = honeycomb_model(tprime=0.3)
    K = model.lattice.point("K")
    pb = uniform_problem(model, nk, Rates(1e-5, (0.0, 0.0)))
    lam = lambda_generated_rates(pb, 0.002, K, [pb.rates])[0]["adiabatic"].real
    bo = born_oppenheimer_moment(model, K, np.eye(2 * model.nsub), ((L, 0), (L, 1), (L, 2), (L, 3)), nkappa=1).lam_zz
    return {"generated_AA": float(lam[0, 0]), "born_oppenheimer_AA": float(bo[0, 0]),
            "relative_difference": float(np.abs(lam - bo).max() / np.abs(bo).max())}


PANEL_ETAS = {"e": (0.02, 0.02, 0.004), "f": (0.02, 0.004, 0.02)}
"""(η_p, η_c, η_v) in eV of Fig. 2 (e) and (f) (CONVENTIONS.md §11; equal to numeric/apps/figure2.py's, tested)."""


def panels_e_f(tprime: float = 0.3, nk: int = 24, n_per_segment: int = 4) -> dict:
    """Fig. 2 (e), (f)'s "shared" measures on the top branch along Γ–K–M–Γ (CONVENTIONS.md §11), at ``tprime``.

    r_ss = max|SS_e − SS_f| / max(max|SS_e|, max|SS_f|) ("the skew part is what they share") and
    r_sj = max|SJ_e + SJ_f| / max(max|SJ_e|, max|SJ_f|) ("the side jump is their difference"), on the moments (μ_N) of
    the exact split (fast path, uniform nk grid: λ^NA lives in the current route, which has no intraband resonances,
    CONVENTIONS.md §7.1). Γ itself (the degenerate optical pair) is left out, as in figure2. Also r_na, the same
    measure as r_ss on λ^NA, r_swap = max|SJ_e − SJ_f|/max|SJ| (0 when the panels coincide), and the shares of the
    panels' difference λ^NA_e − λ^NA_f carried by the skew and side-jump parts, max|ΔSS|/max|ΔNA| and max|ΔSJ|/max|ΔNA|.
    """
    from ..model.brillouin import high_symmetry_path
    from ..response.moment import mode_moments, to_nuclear_magnetons

    model = honeycomb_model(tprime=tprime)
    phonons = Phonons(model.lattice, saito_graphene())
    qs = high_symmetry_path(model.lattice, n_per_segment=n_per_segment).k[1:-1]
    pb = uniform_problem(model, nk, rates_from_paper(*PANEL_ETAS["e"]))
    parts = ("skew_scattering", "side_jump", "nonadiabatic")
    m = {p: {part: [] for part in parts} for p in PANEL_ETAS}
    for q in qs:
        energies, vectors = phonons.modes(q)
        res = lambda_generated_rates(pb, energies[-1], q, [rates_from_paper(*e) for e in PANEL_ETAS.values()])
        for p, r in zip(PANEL_ETAS, res):
            for part in parts:
                m[p][part].append(float(to_nuclear_magnetons(1.0) * mode_moments(r[part], vectors[:, -1],
                                                                               phonons.force_constants.masses).real))
    e, f = ({part: np.array(m[p][part]) for part in parts} for p in ("e", "f"))
    big = {part: max(np.abs(e[part]).max(), np.abs(f[part]).max()) for part in parts}
    return {"tprime": tprime, "nk": nk, "q_points": len(qs),
            "r_ss": float(np.abs(e["skew_scattering"] - f["skew_scattering"]).max() / big["skew_scattering"]),
            "r_sj": float(np.abs(e["side_jump"] + f["side_jump"]).max() / big["side_jump"]),
            "r_swap": float(np.abs(e["side_jump"] - f["side_jump"]).max() / big["side_jump"]),
            "r_na": float(np.abs(e["nonadiabatic"] - f["nonadiabatic"]).max() / big["nonadiabatic"]),
            **{f"{part}_share_of_difference": float(np.abs(e[part] - f[part]).max()
                                                    / max(np.abs(e["nonadiabatic"] - f["nonadiabatic"]).max(), 1e-300))
               for part in ("skew_scattering", "side_jump")},
            "max_abs_muN": {p: {part: float(np.abs(x[part]).max()) for part in parts} for p, x in (("e", e), ("f", f))}}


def run_limits(nk: int = 24, quick: bool = False) -> list:
    """All rows of the ``limits`` table."""
    rows = []
    eta_n = V5_ETA_N_QUICK if quick else V5_ETA_N
    r = v5_exponent(nk, eta_n=eta_n)
    rows.append(_row("V5 λ_direct − λ^A_gen ∝ (η_n/η_p)^p, p", f"{r['slope']:.4f}", "1 (paper: → 0 as η_n/η_p)",
                     abs(r["slope"] - V5_SLOPE[0]) < V5_SLOPE[1],
                     f"η_p = 0.05 eV, η_n = {eta_n} eV, at K (Λ^AA); local slopes "
                     + ", ".join(f"{s:.4f}" for s in r["local_slopes"])))
    r = v5_finite_limit(nk)
    rows.append(_row("V5 finite limit as all η → 0 (Fig. 2f ratios)", f"{r['relative_change']:.2e}",
                     f"< {V5_LIMIT:g} change, ≠ 0", r["relative_change"] < V5_LIMIT and abs(r["nonadiabatic_AA"][-1]) > 0,
                     f"λ^NA_AA = {r['nonadiabatic_AA'][-1]:.5g} at η × 0.01"))
    r = v7_exponent(nk, omegas=(0.4, 0.2, 0.1) if quick else (0.4, 0.2, 0.1, 0.05))
    rows.append(_row("V7 λ(ω) − λ(0) ∝ ω^p at Γ, p", f"{r['slope']:.4f}", "2 (Eq. 4 even; paper: 1)",
                     abs(r["slope"] - V7_SLOPE[0]) < V7_SLOPE[1], "t′ = 0.3 eV, η_p = 1e-5 eV, η_n = 0"))
    if not quick:
        r = v7_born_oppenheimer()
        rows.append(_row("V7 λ(ω→0) vs supercell Born–Oppenheimer, rel. diff.", f"{r['relative_difference']:.2e}",
                         f"< {V7_BO:g}", r["relative_difference"] < V7_BO,
                         f"Λ^AA: {r['generated_AA']:.6f} vs λ_BO {r['born_oppenheimer_AA']:.6f} (L = 24)"))
        r = v7_born_oppenheimer_at_k()
        rows.append(_row("V7 λ^A(ω→0) at K vs supercell modulated at K, rel. diff.", f"{r['relative_difference']:.2e}",
                         f"< {V7_BO:g}", r["relative_difference"] < V7_BO,
                         f"λ^A_AA: {r['generated_AA']:.6f} vs λ_BO,zz {r['born_oppenheimer_AA']:.6f} (L = 24)"))
        rows.append(v6_row())
    rows.extend(dirac_limit())
    if not quick:
        rows.append(v11_row())
    return rows
