"""V9 (CONVENTIONS.md §1.4, §10): the derived K-point form of the skew-scattering term (paper Eq. 10) against the
lattice.

The derived form is generated/dirac_k.py (printed by derive/dirac.py via ``python -m derive``; its drift is checked by
tests/test_derive.py). The lattice integrand is numeric.response.fast.lambda_generated's "skew_scattering" on a Problem with a
single k-point K_τ + p of unit weight, at q = K. The Dirac limit Δ/t → 0 is taken at fixed ω/Δ, p·v_f/Δ and η/Δ by
scaling Δ, ω, p and the η's by s at fixed t; the error must vanish as O(Δ/t) (fitted exponent ≈ 1).

The paper's printed Eq. (10) is typed here only, and compared with the derived valley sum: literally (it disagrees:
strict xfail) and with the readings documented in generated/FORMULAS.md.
"""

import numpy as np
import pytest

from generated import dirac_k
from numeric.response.damping import rates_from_paper
from numeric.response.direct import Problem
from numeric.response.fast import lambda_generated
from numeric.model.honeycomb import HoneycombParameters, honeycomb_model

PAR = HoneycombParameters()
V_F = 1.5 * abs(PAR.t) * PAR.a0       # eV·Å; derive/dirac.py derives v_f = 3|t|a₀/2 (checked in its own test below)
OMEGA_OVER_DELTA = 0.5
P_VF_OVER_DELTA = 0.6
ETA_OVER_DELTA = (1e-5, 2e-5, 4e-6)   # (η_p, η_c, η_v)/Δ: small, so the O(η/Δ) corrections stay below the O(Δ/t) ones
SCALES = (0.08, 0.04, 0.02)           # Δ = s·1 eV with t = −2.8 eV: Δ/|t| = 0.029 … 0.007
RATE_TOL = 0.05                       # |fitted exponent − 1| (measured: 0.999–1.001)
ERR_PER_DELTA_OVER_T = 0.6            # error ≤ this × Δ/|t| at every scale (measured: 0.32 at K, 0.13 at K′)
EXACT = 1e-12                         # rounding: identical formulas
DIRECTIONS = (0.3, 2.1)               # angles of p (rad): the derived form is isotropic


def _lattice_and_dirac(s, valley, angle):
    delta = s * 1.0
    omega = OMEGA_OVER_DELTA * delta
    eta_p, eta_c, eta_v = (r * delta for r in ETA_OVER_DELTA)
    rates = rates_from_paper(eta_p, eta_c, eta_v)
    model = honeycomb_model(delta=delta)
    Kv = model.lattice.point(valley)
    pmag = P_VF_OVER_DELTA * delta / V_F
    k = (Kv + pmag * np.array([np.cos(angle), np.sin(angle)]))[None, :]
    problem = Problem(model, k, np.ones(1), rates)
    lattice = lambda_generated(problem, omega, model.lattice.point("K"))["skew_scattering"]
    eps0 = np.hypot(delta, V_F * pmag)
    f = getattr(dirac_k, f"skew_scattering_{valley}")
    derived = np.array(f(omega, eta_p, np.asarray(rates.electron), eps0, delta, PAR.t, PAR.beta), dtype=complex)
    return lattice, np.broadcast_to(derived, (4,)).reshape(2, 2)


@pytest.fixture(scope="module")
def errors():
    """{(valley, angle): [relative error at each scale]} of the lattice integrand against the derived form."""
    out = {}
    for valley in ("K", "Kp"):
        for angle in DIRECTIONS:
            errs = []
            for s in SCALES:
                lat, der = _lattice_and_dirac(s, valley, angle)
                scale = np.abs(der).max()
                assert scale > 0
                errs.append(np.abs(lat - der).max() / scale)
            out[(valley, angle)] = errs
    return out


def test_V9_lattice_skew_integrand_tends_to_the_derived_dirac_form(errors):
    """V9: relative error → 0 as O(Δ/t) (fitted exponent 1) at every valley and direction of p."""
    for (valley, angle), errs in errors.items():
        slope = np.polyfit(np.log(SCALES), np.log(errs), 1)[0]
        assert abs(slope - 1.0) < RATE_TOL, f"valley {valley}, angle {angle}: errors {errs}, exponent {slope:.3f}"
        for s, e in zip(SCALES, errs):
            assert e < ERR_PER_DELTA_OVER_T * s / abs(PAR.t), f"valley {valley}, angle {angle}, s={s}: error {e:.3g}"


def test_V9_structure_of_the_lattice_integrand():
    """At the smallest Δ/t the lattice integrand is already diag(λ, −λ) and real, as derived."""
    lat, der = _lattice_and_dirac(SCALES[-1], "K", DIRECTIONS[0])
    scale = np.abs(lat).max()
    tol = ERR_PER_DELTA_OVER_T * SCALES[-1] / abs(PAR.t)
    assert abs(lat[0, 1]) < tol * scale and abs(lat[1, 0]) < tol * scale
    assert abs(lat[0, 0] + lat[1, 1]) < tol * scale
    assert np.abs(lat.imag).max() < tol * scale


# ------------------------------------------------------------------------------------------------
# the printed Eq. (10), typed here only
# ------------------------------------------------------------------------------------------------
def _printed_pieces(omega, eps0, delta, eta):
    eta_p, eta_c, eta_v = eta
    d_vc, d_cv = eta_v / (2 * eta_p + eta_c), eta_c / (2 * eta_p + eta_v)
    m0 = -V_F**2 * delta / (2 * eps0**2)                       # conduction-band orbital moment at valley K (§3)
    Omega0 = 4 * PAR.beta**2 * V_F**2 / PAR.a0**4 * delta / eps0
    G0 = 1 / (-omega + 2 * eps0) - 1 / (omega + 2 * eps0)
    return d_vc + d_cv, m0, Omega0, G0


def _derived_valley_sum(omega, eps0, delta, eta):
    gamma = np.asarray(rates_from_paper(*eta).electron)
    args = (omega, eta[0], gamma, eps0, delta, PAR.t, PAR.beta)
    return dirac_k.skew_scattering_K(*args)[0] + dirac_k.skew_scattering_Kp(*args)[0]


POINTS = [(0.3, 1.2, 1.0), (-0.3, 1.2, 1.0), (0.7, 2.0, 1.0), (0.1, 1.0, 1.0)]    # (ω, ε₀, Δ) in eV
ETA = (0.02, 0.004, 0.02)                                                       # Fig. 2(f)


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="printed Eq. 10 (G0 odd in ω, Ω0 ∝ Δ/ε0, Ω0 of dimension energy²/length² "
                   "even after 1/(2ε0)²) disagrees with the derived even, cubic form: see generated/FORMULAS.md")
def test_printed_eq10_literally_with_only_the_dimensional_reading():
    """Printed Eq. 10 with Ω0 → Ω0/(2ε0)² (a molecular Berry curvature has dimension 1/length²) and G0 → ∂_ω-free as printed."""
    for omega, eps0, delta in POINTS:
        dd, m0, Omega0, G0 = _printed_pieces(omega, eps0, delta, ETA)
        printed = -0.5 * dd * m0 * Omega0 / (2 * eps0) ** 2 * G0
        derived = _derived_valley_sum(omega, eps0, delta, ETA)
        np.testing.assert_allclose(printed, derived, rtol=0.1, err_msg=f"ω={omega}, ε0={eps0}")


def test_printed_eq10_with_the_documented_readings():
    """Derived valley sum = −½(δ^v_c + δ^c_v) m0 Ω̃ G̃ with G0 → G̃ = (2ε0)²/(2ε0 − ω)³ + (ω → −ω) and
    Ω0 → Ω̃ = Ω0/(2ε0)² · ε0/(4Δ) (generated/FORMULAS.md)."""
    for omega, eps0, delta in POINTS:
        dd, m0, Omega0, _ = _printed_pieces(omega, eps0, delta, ETA)
        G_read = (2 * eps0) ** 2 / (2 * eps0 - omega) ** 3 + (2 * eps0) ** 2 / (2 * eps0 + omega) ** 3
        Omega_read = Omega0 / (2 * eps0) ** 2 * eps0 / (4 * delta)
        printed = -0.5 * dd * m0 * Omega_read * G_read
        derived = _derived_valley_sum(omega, eps0, delta, ETA)
        np.testing.assert_allclose(derived, printed, rtol=EXACT, err_msg=f"ω={omega}, ε0={eps0}")
        # parity: the derived sum is even in ω, the printed G0 odd
        np.testing.assert_allclose(_derived_valley_sum(-omega, eps0, delta, ETA), derived, rtol=EXACT)


def test_each_valley_alone_is_not_proportional_to_the_delta_sum():
    """Only the sum of the two pairings has Eq. 10's (δ^v_c + δ^c_v) structure: swapping η_c ↔ η_v swaps the valleys."""
    gamma = np.asarray(rates_from_paper(*ETA).electron)
    swapped = np.asarray(rates_from_paper(ETA[0], ETA[2], ETA[1]).electron)
    args = (0.3, ETA[0])
    rest = (1.2, 1.0, PAR.t, PAR.beta)
    K, Kp = dirac_k.skew_scattering_K(*args, gamma, *rest)[0], dirac_k.skew_scattering_Kp(*args, gamma, *rest)[0]
    K_sw = dirac_k.skew_scattering_K(*args, swapped, *rest)[0]
    np.testing.assert_allclose(K_sw, Kp, rtol=EXACT)
    assert abs(K - Kp) > 0.05 * abs(K)


def test_dirac_building_blocks_match_the_numeric_model():
    """derive/dirac.py's symbolic H(K + p) (first order) and v_f agree with numeric/model/tight_binding.py."""
    from derive import dirac

    vf = dirac.dirac_velocity()
    assert float(vf.subs({dirac.a0: PAR.a0, dirac.t: PAR.t})) == pytest.approx(V_F, rel=EXACT)
    model = honeycomb_model()
    for valley in dirac.VALLEYS:
        H = dirac.dirac_hamiltonian(dirac.valley_point(valley))
        Kv = model.lattice.point(valley)
        p = np.array([0.3, -0.2]) * 1e-4
        zval = complex(p[0], p[1])
        num = np.array(H.subs({dirac.z: zval, dirac.zb: zval.conjugate(), dirac.a0: PAR.a0, dirac.t: PAR.t,
                               dirac.Delta: PAR.delta}).evalf(), dtype=complex)
        ref = model.hamiltonian((Kv + p)[None, :])[0]
        np.testing.assert_allclose(num, ref, atol=10 * abs(PAR.t) * (PAR.a0 * np.linalg.norm(p)) ** 2,
                                   err_msg=f"valley {valley}")


# ------------------------------------------------------------------------------------------------
# V11: the adiabatic part λ^A at q = K in the Dirac limit (generated/dirac_k.py adiabatic_*, derive/dirac.py)
# ------------------------------------------------------------------------------------------------
V11_ERR_PER_DELTA_OVER_T = 0.6       # error ≤ this × Δ/|t| at every scale (measured 0.28 at K and K′, from Λ^AB, which is
                                      # O(Δ/t); Λ^AA alone: 0.03)
V11_ZONE_REL = 0.02                   # zone-integrated λ^A against the derived form at the smallest Δ (measured 5.3e-3,
                                      # 1.3e-3, 3.3e-4 at Δ = 0.25, 0.125, 0.0625 eV: ∝ (Δ/t)²)
V11_QUAD = 1e-10                      # the printed zone form against a Gauss–Legendre integral of the per-k-point forms


@pytest.mark.parametrize("valley", ["K", "Kp"])
def test_V11_lattice_adiabatic_integrand_tends_to_the_derived_form(valley):
    """The lattice λ^A integrand (γ_n = 0, η_p = 1e-5 Δ, one k-point of unit weight at K_τ + p) → the derived
    per-k-point form as Δ/t → 0 at fixed ω/Δ and p·v_f/Δ: relative error O(Δ/t), fitted exponent 1."""
    from numeric.verify.dirac_check import relative_errors

    errs = relative_errors(valley, DIRECTIONS[0], part="adiabatic")
    slope = np.polyfit(np.log(SCALES), np.log(errs), 1)[0]
    assert abs(slope - 1.0) < RATE_TOL, f"valley {valley}: errors {errs}, exponent {slope:.3f}"
    for s, e in zip(SCALES, errs):
        assert e < V11_ERR_PER_DELTA_OVER_T * s / abs(PAR.t), f"valley {valley}, s={s}: error {e:.3g}"


def test_V11_printed_zone_form_is_the_integral_of_the_per_k_point_forms():
    """adiabatic_zone = A_cell/(2π v_f²) ∫_Δ^∞ ε₀ (λ_K + λ_K′) dε₀ (the per-cell measure of CONVENTIONS.md §5), checked
    with Gauss–Legendre in u = Δ/ε₀ against SymPy's closed form."""
    u, w = np.polynomial.legendre.leggauss(60)
    u, w = (u + 1) / 2, w / 2
    area = 3 * np.sqrt(3) / 2 * PAR.a0**2
    for omega, delta in ((0.1, 0.5), (0.6, 0.5), (0.05, 0.04)):       # ω < 2Δ: below the gap
        eps0 = delta / u
        lam = sum(np.real(getattr(dirac_k, f"adiabatic_{v}")(omega, eps0, delta, PAR.t, PAR.beta)[0]) for v in ("K", "Kp"))
        integral = np.sum(w * eps0 * lam * delta / u**2)
        zone = area / (2 * np.pi * V_F**2) * integral
        np.testing.assert_allclose(dirac_k.adiabatic_zone(omega, delta, PAR.t, PAR.beta)[0], zone, rtol=V11_QUAD,
                                   err_msg=f"ω={omega}, Δ={delta}")


def test_V11_zone_integrated_adiabatic_part_grows_as_the_derived_form():
    """λ^A_AA(q = K), zone-integrated on the lattice (valley-graded quadrature, γ_n = 0), grows as Δ⁻² like the derived
    form (exponents within V11_RATE_TOL) and approaches it (relative difference falling, below V11_ZONE_REL)."""
    from numeric.verify.dirac_check import V11_RATE_TOL, v11_adiabatic_limit

    r = v11_adiabatic_limit()
    assert r["derived_slope"] == pytest.approx(-2.0, abs=EXACT), r
    assert abs(r["slope"] - r["derived_slope"]) < V11_RATE_TOL, r
    rel = r["relative_difference"]
    assert all(b < a for a, b in zip(rel, rel[1:])) and rel[-1] < V11_ZONE_REL, r


def test_eq10_reading_the_valley_joining_phonon_vertex_is_fully_chiral():
    """CONVENTIONS.md §1.4, reading 1 of the printed Eq. (10)'s factors: between K + p and K′ + p the phonon vertex (from
    the bond law) has Im(V^x_cv V^y_vc) = ∓|V_cv|²/2 = ∓β²v_f²/a₀⁴ on sublattice A, B and no intraband part, exactly
    independent of Δ and p at leading order: no Δ/ε₀ can come from it."""
    import sympy as sp

    from derive import dirac

    K, Kp = dirac.valley_point("K"), dirac.valley_point("Kp")
    UK, UKp = dirac._eigenvectors_at(tuple(K)), dirac._eigenvectors_at(tuple(Kp))
    vf2 = dirac.dirac_velocity() ** 2
    for sub, sign in ((0, -1), (1, 1)):
        V = [dirac.dagger(UK) * dirac._phonon_matrix(tuple(K), tuple(-K), 2 * sub + axis) * UKp for axis in (0, 1)]
        X = V[0][1, 0] * dirac.conj(V[1][1, 0])
        curvature = dirac.reduce_p((X - dirac.conj(X)) / (2 * sp.I))
        size = dirac.reduce_p(V[0][1, 0] * dirac.conj(V[0][1, 0]) + V[1][1, 0] * dirac.conj(V[1][1, 0]))
        assert sp.simplify(curvature - sign * dirac.beta**2 * vf2 / dirac.a0**4) == 0
        assert sp.simplify(size - 2 * dirac.beta**2 * vf2 / dirac.a0**4) == 0
        for n in (0, 1):
            assert all(sp.simplify(dirac.reduce_p(v[n, n])) == 0 for v in V)
