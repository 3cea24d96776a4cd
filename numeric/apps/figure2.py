"""The paper's Fig. 2, panels (a)–(h) (CONVENTIONS.md §11), with every number's k-grid error estimate, and
REPORT.md, which decides each of the paper's claims by the thresholds CONVENTIONS.md §11 fixes in advance (never
tuned; a claim that fails is reported).

What is plotted (CONVENTIONS.md §5): for "the highest phonon band", the moment per phonon quantum m_ν in μ_N (real part)
of the top branch, and its exact split into λ^A, λ^NA = λ^SS + λ^SJ (CONVENTIONS.md §1.2), all from the generated kernels
(numeric/response/fast.py). The paper's η's map to rates by CONVENTIONS.md §1.1. Zone maps are computed on the C3v wedge and
unfolded with the relations tests/test_zone.py verifies at finite η; the C3 symmetry claimed for (e), (f) is checked here
independently, by evaluating C3-related q-points directly.

Panel (h): with equal masses the zero-field angular momentum of every branch vanishes identically (C2T maps each
sublattice's circulation onto minus the other's); what the relaxation-dependent Λ of panel (f) produces is the
field-induced part, reported per tesla (numeric/response/angular.py). Both maps are written.
"""

from __future__ import annotations

import json
import time
import resource
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..model.bands import valence_isoenergy
from ..model.brillouin import C3, fold, high_symmetry_path, uniform_grid
from ..response.damping import rates_from_paper
from ..response.problem import Problem
from ..response.fast import lambda_generated_rates
from ..output.files import provenance, save
from ..response.moment import mode_moments, to_nuclear_magnetons
from ..output.plots import path_curves, zone_hexagon, zone_map, zone_maps
from .scan import RELIABLE_NK, scan_branch
from ..model.zone import irreducible_wedge

PAPER_ETAS = {
    "b": (0.04, 0.04, 0.04),
    "d": (0.02, 0.002, 0.004),
    "e": (0.02, 0.02, 0.004),
    "f": (0.02, 0.004, 0.02),
    "g": (0.004, 0.02, 0.04),
}
"""(η_p, η_c, η_v) in eV of each panel, from the caption of the paper's Fig. 2 (CONVENTIONS.md §11)."""

# Thresholds fixed with the claims, before any run (CONVENTIONS.md §11; tests/test_conventions.py compares).
PEAK_WINDOW = 0.15          # (b), (c): a path maximum counts as "near Γ/K" within this fraction of the path length
COMPARABLE = (0.1, 10.0)    # (b): bounds of max|λ^NA| / max|λ^A|
SIDE_JUMP_SMALL = 1e-2      # (c): max|λ^SJ| ≤ this × max|λ^SS|
ADIABATIC_DOMINANT = 10.0   # (d): max|λ^A| ≥ this × max|λ^NA|
INHOMOGENEOUS = 10.0        # (h): max/min of |l| over the zone
# For claims stated without a number; fixed here before any run (CONVENTIONS.md §11).
C3_TOLERANCE = 1e-6         # (e), (f): |λ^NA(C3 q) − λ^NA(q)| ≤ this × max|λ^NA| at directly evaluated points
SIGN_CHANGE_SIGNAL = 10.0   # (e), (f): both signs present, each extremum ≥ this × its error estimate
SHARED = 0.1                # (e), (f): max|SS_e − SS_f| and max|SJ_e + SJ_f| ≤ this × the larger max of the term
CONVERGED = 1e-3            # every panel: error estimate ≤ this × the panel's largest |value|
C3_PROBES = ((0.31, 0.17), (-0.52, 0.21))   # 1/Å, generic points whose C3 images are evaluated directly
DEGENERATE_MEV = 1e-3       # top two phonon energies closer than this: the top branch is not one mode


@dataclass
class Settings:
    """Resolution and run options of :func:`figure2` (defaults: converged to ``CONVERGED`` on this model)."""

    nk: int = 48                # electronic k-grid nk×nk (error estimate: the same on 3nk/4)
    nq: int = 24                # phonon q-grid of the maps, before C3v reduction
    npath: int = 12             # q-points per path segment
    nk_integrand: int = 72      # k-grid of the k-resolved skew integrand at q = K (panel c)
    resonances: bool = True     # θ²'s intraband resonances integrated analytically (numeric/response/resonance.py)
    nmap: int = 201             # mesh of the iso-energy contours (panel a)
    workers: int | None = None
    progress: bool | None = None
    etas: dict = field(default_factory=lambda: dict(PAPER_ETAS))


@dataclass
class Verdict:
    panel: str
    claim: str
    threshold: str
    measured: str
    passed: bool

    def __post_init__(self):
        self.passed = bool(self.passed)     # a NumPy bool would reach summary.json as 1.0/0.0


def _path_fraction_to(path, index: int, label: str) -> float:
    """Distance along the path from point ``index`` to the nearest tick labelled ``label``, over the path length."""
    ticks = [t for t, lab in zip(path.ticks, path.labels) if lab == label]
    return float(min(abs(path.distance[index] - t) for t in ticks) / path.distance[-1])


def _panel_error(values, errors) -> float:
    """The largest error estimate of a panel relative to the panel's largest |value|."""
    scale = float(np.abs(values).max())
    return float(np.max(errors) / scale) if scale > 0 else 0.0


@dataclass
class _Run:
    """What every panel of one :func:`figure2` run shares."""

    out: Path
    model: object
    phonons: object
    s: Settings
    params: dict
    caption: str
    branch: int


@dataclass
class _ZoneMaps:
    """The (d)–(h) scan over the C3v wedge and its unfolding onto the zone grid ``qz``."""

    wedge: object
    scan: object
    qz: np.ndarray
    M: dict             # panel → part → unfolded moment (μ_N)
    ME: dict            # panel → part → unfolded error estimate (μ_N)
    l0: np.ndarray      # zero-field angular momentum (ħ)
    dl: np.ndarray      # field-induced angular momentum per tesla (ħ/T), parameters of (f)


MAP_PANELS = ("d", "e", "f", "g")


def figure2(out, model, phonons, settings: Settings | None = None, model_parameters: dict | None = None) -> dict:
    """Compute and write all panels, their data and REPORT.md into ``out``; returns the summary written to
    ``summary.json`` (verdicts, per-panel error estimates, timings)."""
    s = settings or Settings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    branch = 2 * model.nsub - 1
    params = {"model": model_parameters or {}, "settings": asdict(s), "branch": branch,
              "units": {"moments": "μ_N per phonon quantum (real part of m_ν)", "q": "1/Å", "omega": "eV",
                        "l": "ħ", "dl_per_tesla": "ħ/T", "eta": "eV (the paper's η, CONVENTIONS.md §1.1)"}}
    caption = (f"t={model_parameters.get('t', '?') if model_parameters else '?'} eV, "
               f"Δ={model_parameters.get('delta', '?') if model_parameters else '?'} eV; top phonon branch; "
               f"nk={s.nk} (error from 3nk/4)")
    run = _Run(out, model, phonons, s, params, caption, branch)
    timings = {}
    t_all = time.perf_counter()
    with _stage(timings, "a"):
        _panel_a(run)
    with _stage(timings, "b,c path"):
        path, P, PE = _panels_b_c(run)
    with _stage(timings, "c integrand"):
        _panel_c_integrand(run)
    with _stage(timings, "d-h zone"):
        maps = _zone_maps(run)
        _panels_d_to_g(run, maps)
        _panel_h(run, maps)
    with _stage(timings, "C3 probes"):
        cscan = _c3_probes(run)

    verdicts, degenerate = _judge(run, path, P, PE, maps, cscan)
    peak = {who: resource.getrusage(w).ru_maxrss / 1024 for who, w in (("main", resource.RUSAGE_SELF),
                                                                       ("largest worker", resource.RUSAGE_CHILDREN))}
    timings["total"] = time.perf_counter() - t_all
    summary = {"verdicts": [asdict(v) for v in verdicts], "panel_error": _panel_errors(P, PE, maps),
               "converged_threshold": CONVERGED, "seconds": timings, "peak_rss_MiB": peak, "settings": asdict(s),
               "model": model_parameters or {}, "provenance": provenance(),
               "numbers": _numbers(path, P, maps.M, maps.l0, maps.dl, maps.scan), "degenerate_points": degenerate,
               "whole_error": max(_panel_error(P[p], PE[p]) for p in WHOLE_CURVES.values())}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    (out / "REPORT.md").write_text(_report(summary, s))
    return summary


@contextmanager
def _stage(timings: dict, name: str):
    t0 = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - t0


def _eta_caption(eta) -> str:
    return f"η_p={eta[0]}, η_c={eta[1]}, η_v={eta[2]} eV"


def _panel_a(run: _Run) -> None:
    """(a) valence-band iso-energy contours."""
    kx, ky, ev = valence_isoenergy(run.model, run.s.nmap)
    save(run.out / "panel_a", {"kx": kx, "ky": ky, "valence_eV": ev}, run.params)
    zone_map(kx, ky, ev, run.out / "panel_a.png", title="(a) valence-band iso-energy contours",
             label="valence energy (eV)", contours=True, hexagon=zone_hexagon(run.model.lattice), caption=run.caption)


def _panels_b_c(run: _Run):
    """(b), (c) along Γ–K–M–Γ: returns the path, moments and error estimates by part (μ_N)."""
    s = run.s
    path = high_symmetry_path(run.model.lattice, ("G", "K", "M", "G"), s.npath)
    pscan = scan_branch(run.model, run.phonons, path.k, branch=run.branch, etas=[s.etas["b"]], nk=s.nk,
                        workers=s.workers, progress=s.progress, desc="(b,c) path", resonances=s.resonances,
                        whole=True)
    P = {p: pscan.moment[p][0] for p in pscan.moment}
    PE = {p: pscan.error[p][0] for p in pscan.error}
    eb = s.etas["b"]
    cap_b = _eta_caption(eb) + "; " + run.caption
    save(run.out / "panel_b", {"distance": path.distance, "q": path.k, "omega_eV": pscan.omega,
                               **{f"{p}_muN": P[p] for p in P}, **{f"{p}_error_muN": PE[p] for p in PE},
                               "dissipative_muN": pscan.dissipative[0], "Lambda_total": pscan.Lambda["total"][0]},
         run.params | {"panel": "b,c", "eta": eb, "path": "G-K-M-G", "npath": s.npath})
    for panel, parts, title in (("b", {"λ^A": "adiabatic", "λ^NA": "nonadiabatic"},
                                 "(b) adiabatic and non-adiabatic moment, top branch"),
                                ("c", {"λ^SS (skew scattering)": "skew_scattering", "λ^SJ (side jump)": "side_jump"},
                                 "(c) skew scattering and side jump, top branch")):
        path_curves(path, {k: P[v] for k, v in parts.items()}, {k: PE[v] for k, v in parts.items()},
                    "moment per phonon (μ_N)", run.out / f"panel_{panel}.png", title=title, caption=cap_b)
    path_curves(path, {label: P[part] for label, part in WHOLE_CURVES.items()},
                {label: PE[part] for label, part in WHOLE_CURVES.items()}, "moment per phonon (μ_N)",
                run.out / "panel_whole.png", title="the whole moment against Eq. (4)'s, top branch", caption=cap_b)
    return path, P, PE


ROUNDING = 1e-10         # REPORT.md's whole-moment table: values below this × its largest are shown as 0
WHOLE_CURVES = {"Eq. (4): Λ (ε contraction)": "total", "whole: tensor $T^{ab}_{ij}$": "whole",
                "whole, adiabatic": "whole_adiabatic", "whole, non-adiabatic": "whole_nonadiabatic"}
"""panel_whole.png (not a panel of the paper): the whole moment of the top branch (CONVENTIONS.md §5, §8) on panel (b)'s
path and damping, beside Eq. (4)'s."""


def _panel_c_integrand(run: _Run) -> None:
    """(c) inset: the k-resolved skew-scattering integrand at q = K."""
    s, lat = run.s, run.model.lattice
    K = lat.point("K")
    wK, vK = run.phonons.modes(K)
    kgrid, weights = uniform_grid(lat, s.nk_integrand)
    pb = Problem(run.model, kgrid, weights, rates_from_paper(*s.etas["b"], run.model.nsub))
    res = lambda_generated_rates(pb, wK[run.branch], K, [pb.rates], resolved=True)[0]
    density = to_nuclear_magnetons(1.0) * mode_moments(res["skew_scattering"], vK[:, run.branch],
                                                       run.phonons.force_constants.masses).real * len(kgrid)
    kf = fold(lat, kgrid)
    save(run.out / "panel_c_integrand", {"k": kf, "skew_density_muN": density}, run.params | {
        "panel": "c (inset)", "q": K, "nk": s.nk_integrand,
        "meaning": "k-resolved λ^SS of the top branch at q = K: the zone average of skew_density_muN is the moment"})
    zone_maps(lat, kf, {"electron k (K ↔ K′ pairs)": density}, run.out / "panel_c_integrand.png",
              title="(c) k-resolved skew scattering at q = K", label="μ_N (zone average = moment)",
              caption=f"{_eta_caption(s.etas['b'])}; nk={s.nk_integrand}", axis="k")


def _zone_maps(run: _Run) -> _ZoneMaps:
    """The top branch over the C3v wedge for the damping of (d)–(g), unfolded onto the zone."""
    s, lat = run.s, run.model.lattice
    wedge = irreducible_wedge(lat, s.nq)
    mscan = scan_branch(run.model, run.phonons, wedge.k, branch=run.branch, etas=[s.etas[p] for p in MAP_PANELS],
                        nk=s.nk, workers=s.workers, progress=s.progress, desc="(d-h) zone wedge",
                        resonances=s.resonances)
    M = {p: {part: wedge.unfold(mscan.moment[part][i], pseudoscalar=True) for part in mscan.moment}
         for i, p in enumerate(MAP_PANELS)}
    ME = {p: {part: wedge.unfold(mscan.error[part][i], pseudoscalar=False) for part in mscan.error}
          for i, p in enumerate(MAP_PANELS)}
    fi = MAP_PANELS.index("f")
    return _ZoneMaps(wedge, mscan, fold(lat, wedge.grid), M, ME, wedge.unfold(mscan.l_zero_field, pseudoscalar=True),
                     wedge.unfold(mscan.dl_per_tesla[fi], pseudoscalar=True))


def _panels_d_to_g(run: _Run, maps: _ZoneMaps) -> None:
    """(d)–(g): λ^A and λ^NA of the top branch over the zone, one damping set each."""
    s, wedge = run.s, maps.wedge
    for p in MAP_PANELS:
        e = s.etas[p]
        save(run.out / f"panel_{p}", {"q": maps.qz, "wedge_q": wedge.k, **{f"{k}_muN": v for k, v in maps.M[p].items()},
                                      **{f"{k}_error_muN": v for k, v in maps.ME[p].items()}},
             run.params | {"panel": p, "eta": e, "nq": s.nq, "wedge_points": len(wedge.k),
                           "unfolding": "C3v; m_z even under C3, odd under the mirror y → −y (tests/test_zone.py)"})
        zone_maps(run.model.lattice, maps.qz, {"λ^A": maps.M[p]["adiabatic"], "λ^NA": maps.M[p]["nonadiabatic"]},
                  run.out / f"panel_{p}.png", title=f"({p}) top branch over the zone, {_eta_caption(e)}",
                  label="moment per phonon (μ_N)", caption=f"nq={s.nq} ({len(wedge.k)} wedge points); " + run.caption)


def _panel_h(run: _Run, maps: _ZoneMaps) -> None:
    """(h): the top branch's angular momentum at B = 0 and its change per tesla, damping of (f)."""
    fi = MAP_PANELS.index("f")
    dl_err = maps.wedge.unfold(maps.scan.dl_error[fi], pseudoscalar=False)
    save(run.out / "panel_h", {"q": maps.qz, "l_zero_field": maps.l0, "dl_per_tesla": maps.dl,
                               "dl_per_tesla_error": dl_err},
         run.params | {"panel": "h", "eta": run.s.etas["f"],
                       "meaning": "angular momentum of the top branch: at B = 0 and its first-order change per tesla "
                                  "(gyroscopic term from Λ at the branch's frequency, numeric/response/angular.py)"})
    zone_maps(run.model.lattice, maps.qz, {"l at B = 0 (ħ)": maps.l0, "δl per tesla (ħ/T)": maps.dl},
              run.out / "panel_h.png", title="(h) phonon angular momentum of the top branch, parameters of (f)",
              label="ħ or ħ/T", caption=f"{_eta_caption(run.s.etas['f'])}; " + run.caption)


def _c3_probes(run: _Run):
    """The damping of (e), (f) at C3-related generic q, evaluated directly (not through the unfolding)."""
    s = run.s
    probes = np.array([np.linalg.matrix_power(C3, n) @ np.array(p) for p in C3_PROBES for n in range(3)])
    return scan_branch(run.model, run.phonons, probes, branch=run.branch, etas=[s.etas["e"], s.etas["f"]], nk=s.nk,
                       workers=s.workers, progress=False, resonances=s.resonances)


def _judge(run: _Run, path, P, PE, maps: _ZoneMaps, cscan):
    """The verdicts, with the degenerate map points left out; and those points' moments."""
    wedge, M = maps.wedge, maps.M
    orbit = np.bincount(wedge.representative, minlength=len(wedge.k))
    generic = orbit[wedge.representative] == 6                  # grid points in full C3v orbits
    # where the top branch is degenerate (the Γ optical pair) "the highest band" is not one mode: its two circular
    # members carry different moments; those points are shown in the maps but left out of the verdicts
    top2 = run.phonons.energies(maps.qz)[:, -2:]
    regular = top2[:, 1] - top2[:, 0] > DEGENERATE_MEV * 1e-3
    restrict = lambda D: {p: {part: v[regular] for part, v in D[p].items()} for p in D}
    # the sign change is judged inside the irreducible wedge: m_z is odd under the mirror, so the unfolded map changes
    # sign trivially; representatives in full orbits with a non-degenerate top branch only
    top2_w = run.phonons.energies(wedge.k)[:, -2:]
    reps = (orbit == 6) & (top2_w[:, 1] - top2_w[:, 0] > DEGENERATE_MEV * 1e-3)
    wedge_na = {p: (maps.scan.moment["nonadiabatic"][i][reps], maps.scan.error["nonadiabatic"][i][reps])
                for i, p in enumerate(MAP_PANELS)}
    verdicts = _decide(path, P, PE, restrict(M), restrict(maps.ME), cscan, maps.l0[regular], maps.dl[regular],
                       generic[regular], wedge_na)
    at_degenerate = {p: {part: float(M[p][part][~regular][0]) for part in ("adiabatic", "nonadiabatic")}
                     for p in MAP_PANELS} if np.any(~regular) else {}
    return verdicts, {"count": int(np.sum(~regular)), "moments_muN": at_degenerate}


def _panel_errors(P, PE, maps: _ZoneMaps) -> dict:
    """Each panel's largest error estimate relative to its largest |value| (:func:`_panel_error`)."""
    def worst(values, errors, parts):
        return max(_panel_error(values[part], errors[part]) for part in parts)
    fi = MAP_PANELS.index("f")
    return {"b": worst(P, PE, ("adiabatic", "nonadiabatic")), "c": worst(P, PE, ("skew_scattering", "side_jump")),
            **{p: worst(maps.M[p], maps.ME[p], ("adiabatic", "nonadiabatic")) for p in MAP_PANELS},
            "h": _panel_error(maps.scan.dl_per_tesla[fi], maps.scan.dl_error[fi])}


def _decide(path, P, PE, M, ME, cscan, l0, dl, generic, wedge_na) -> list:
    """Every claim's :class:`Verdict`, panel by panel (thresholds at the top of this module)."""
    return [*_decide_b(path, P), *_decide_c(path, P), *_decide_d(M), *_decide_e_f(M, cscan, wedge_na),
            *_decide_g(M), *_decide_h(l0, dl, generic)]


def _decide_b(path, P) -> list:
    v = []
    for part, name in (("adiabatic", "λ^A"), ("nonadiabatic", "λ^NA")):
        i = int(np.argmax(np.abs(P[part])))
        d = min(_path_fraction_to(path, i, "Γ"), _path_fraction_to(path, i, "K"))
        v.append(Verdict("b", f"{name} peaks near Γ or K", f"path maximum within {PEAK_WINDOW:.0%} of the path length "
                         "of Γ or K", f"max|{name}| = {abs(P[part][i]):.4g} μ_N at path fraction "
                         f"{path.distance[i] / path.distance[-1]:.3f}; distance to Γ/K {d:.3f}", d <= PEAK_WINDOW))
    ratio = np.abs(P["nonadiabatic"]).max() / np.abs(P["adiabatic"]).max()
    v.append(Verdict("b", "λ^A and λ^NA comparable", f"{COMPARABLE[0]} ≤ max|λ^NA|/max|λ^A| ≤ {COMPARABLE[1]}",
                     f"max|λ^NA|/max|λ^A| = {ratio:.4g}", COMPARABLE[0] <= ratio <= COMPARABLE[1]))
    return v


def _decide_c(path, P) -> list:
    sj, ss = np.abs(P["side_jump"]).max(), np.abs(P["skew_scattering"]).max()
    i = int(np.argmax(np.abs(P["skew_scattering"])))
    d = _path_fraction_to(path, i, "K")
    return [Verdict("c", "the side jump almost vanishes", f"max|λ^SJ| ≤ {SIDE_JUMP_SMALL} max|λ^SS|",
                    f"max|λ^SJ|/max|λ^SS| = {sj / ss:.4g} (max|λ^SJ| = {sj:.4g}, max|λ^SS| = {ss:.4g} μ_N)",
                    sj <= SIDE_JUMP_SMALL * ss),
            Verdict("c", "the skew scattering peaks at K", f"path maximum within {PEAK_WINDOW:.0%} of the path "
                    "length of K", f"max at path fraction {path.distance[i] / path.distance[-1]:.3f}; distance to K "
                    f"{d:.3f}", d <= PEAK_WINDOW)]


def _decide_d(M) -> list:
    a, na = np.abs(M["d"]["adiabatic"]).max(), np.abs(M["d"]["nonadiabatic"]).max()
    return [Verdict("d", "adiabatic part an order of magnitude larger", f"max|λ^A| ≥ {ADIABATIC_DOMINANT} max|λ^NA|",
                    f"max|λ^A|/max|λ^NA| = {a / na:.4g}", a >= ADIABATIC_DOMINANT * na)]


def _decide_e_f(M, cscan, wedge_na) -> list:
    v = []
    for j, p in enumerate(("e", "f")):
        na_probe = cscan.moment["nonadiabatic"][j].reshape(len(C3_PROBES), 3)
        dev = float(np.abs(na_probe - na_probe[:, :1]).max())
        scale = float(np.abs(M[p]["nonadiabatic"]).max())
        v.append(Verdict(p, "λ^NA is C3 symmetric", f"|λ^NA(C3ⁿq) − λ^NA(q)| ≤ {C3_TOLERANCE:g} max|λ^NA| at "
                         f"{len(C3_PROBES)} generic q, evaluated directly", f"deviation/max = {dev / scale:.2e}",
                         dev <= C3_TOLERANCE * scale))
        na, err = wedge_na[p]
        hi, lo = int(np.argmax(na)), int(np.argmin(na))
        ok = na[hi] > SIGN_CHANGE_SIGNAL * err[hi] and -na[lo] > SIGN_CHANGE_SIGNAL * err[lo] and na[hi] > 0 > na[lo]
        v.append(Verdict(p, "λ^NA changes sign across the zone", f"both signs inside the irreducible wedge (the mirror "
                         f"alone would make any m_z map change sign), each extremum ≥ {SIGN_CHANGE_SIGNAL:g}× its error "
                         "estimate", f"max {na[hi]:+.4g} (± {err[hi]:.1g}), min {na[lo]:+.4g} (± {err[lo]:.1g}) μ_N "
                         f"over {len(na)} generic wedge points", bool(ok)))
    sse, ssf = M["e"]["skew_scattering"], M["f"]["skew_scattering"]
    sje, sjf = M["e"]["side_jump"], M["f"]["side_jump"]
    r_ss = np.abs(sse - ssf).max() / max(np.abs(sse).max(), np.abs(ssf).max())
    r_sj = np.abs(sje + sjf).max() / max(np.abs(sje).max(), np.abs(sjf).max())
    v.append(Verdict("e,f", "the skew part is what (e) and (f) share", f"max|SS_e − SS_f| ≤ {SHARED} max|SS|",
                     f"{r_ss:.4g}", r_ss <= SHARED))
    v.append(Verdict("e,f", "the side jump is their difference", f"max|SJ_e + SJ_f| ≤ {SHARED} max|SJ|",
                     f"{r_sj:.4g}", r_sj <= SHARED))
    return v


def _decide_g(M) -> list:
    g, e, f = (np.abs(M[p]["nonadiabatic"]).max() for p in ("g", "e", "f"))
    return [Verdict("g", "max|λ^NA| exceeds that of (e) and (f)", "max|λ^NA_g| > max|λ^NA_e| and > max|λ^NA_f|",
                    f"{g:.4g} vs {e:.4g} (e), {f:.4g} (f) μ_N", g > e and g > f)]


def _decide_h(l0, dl, generic) -> list:
    # on the mirror lines a pseudoscalar vanishes by symmetry, so min|l| is taken over generic points only
    a = np.abs(dl[generic])
    ratio = a.max() / a.min() if a.min() > 0 else np.inf
    return [Verdict("h", "the (field-induced) angular momentum is inhomogeneous",
                    f"max/min of |δl| over the zone ≥ {INHOMOGENEOUS:g} (points off the mirror lines, where "
                    "symmetry does not force zero)", f"max|δl| = {a.max():.3g}, min|δl| = {a.min():.3g} ħ/T, ratio "
                    f"{ratio:.3g}; zero-field max|l| = {np.abs(l0[generic]).max():.2g} ħ (C2T: identically 0)",
                    bool(a.max() > 0 and ratio >= INHOMOGENEOUS))]


def _numbers(path, P, M, l0, dl, mscan) -> dict:
    ik, im = (int(np.argmin(np.abs(path.distance - path.ticks[i]))) for i in (1, 2))
    return {
        "path_at_K_muN": {p: float(P[p][ik]) for p in P},
        "path_at_M_muN": {p: float(P[p][im]) for p in P},
        "path_at_Gamma_muN": {p: float(P[p][0]) for p in P},
        "maps_max_abs_muN": {p: {part: float(np.abs(M[p][part]).max()) for part in M[p]} for p in M},
        "h_max_abs_l_zero_field": float(np.abs(l0).max()),
        "h_max_abs_dl_per_tesla": float(np.abs(dl).max()),
        "path_q_points": len(path.k),
        "wedge_q_points": len(mscan.q),
    }


def _whole_section(numbers: dict, error: float) -> list:
    """REPORT.md: the whole moment of the top branch against Eq. (4)'s at Γ, K, M (panel b's path and damping)."""
    at = {"Γ": numbers["path_at_Gamma_muN"], "K": numbers["path_at_K_muN"], "M": numbers["path_at_M_muN"]}
    keys = ("total", "whole", "whole_adiabatic", "whole_nonadiabatic")
    floor = ROUNDING * max(abs(v[k]) for v in at.values() for k in keys)        # below: zero by symmetry or t′ = 0
    show = lambda x: f"{x:+.5g}" if abs(x) > floor else "0"
    ratio = lambda v: f"{v['whole'] / v['total']:.4g}" if abs(v["total"]) > floor else "–"
    rows = [f"| {label} | " + " | ".join(show(v[k]) for k in keys) + f" | {ratio(v)} |" for label, v in at.items()]
    return ["", "## The whole moment against Eq. (4)'s (panel_whole.png)", "",
            "Eq. (4) contracts the displacement indices with ε_{k₁k₂}; the measurable moment of a mode, the field-linear "
            "shift of its frequency, is the whole tensor's T^{ab}_{ij} (CONVENTIONS.md §5, §8: equal to a magnetic "
            "supercell's Born–Oppenheimer moment at K). On panel (b)'s path and damping, top branch, μ_N per phonon "
            "(real parts; the split is the exact one of §1.2, taken before the contraction):", "",
            "| q | Eq. (4) total | whole | whole adiabatic | whole non-adiabatic | whole / Eq. (4) |",
            "|---|---|---|---|---|---|", *rows, "",
            "At Γ the two agree (C3v leaves only T = ½ Λ ε); away from Γ the δ_ij and traceless parts of T, which "
            "Eq. (4) drops, enter. A 0 at M is the mirror y → −y, which fixes M and reverses m_z; at Γ both vanish "
            "for the particle–hole symmetric model (t′ = 0, CONVENTIONS.md §8). Largest error estimate of these curves relative to their largest |value|: "
            f"{error:.2e}."]


def _report(summary: dict, s: Settings) -> str:
    lines = ["# Fig. 2 reproduction report", "",
             "Generated by `phonon-moment figure2`. Each claim of the paper is decided by a threshold fixed before any "
             "run (CONVENTIONS.md §11; for a claim the paper states without a number, ours, fixed in "
             "`numeric/apps/figure2.py`). "
             "Nothing is tuned; a failed claim is a finding, reported with its numbers.", "",
             f"Model: {json.dumps(summary['model'])}", "",
             f"Resolution: nk = {s.nk} (Γ-centred; the error estimate is the difference from the 3nk/4 grid), "
             f"nq = {s.nq}, {s.npath} points per path segment, skew integrand on nk = "
             f"{s.nk_integrand}.", "",
             "Plotted scalar: the moment per phonon quantum of the top branch, μ_N (CONVENTIONS.md §5); the exact "
             "split of CONVENTIONS.md §1.2 (the paper obtains λ^A as λ − λ^NA(Eq. 7); we split the derived λ exactly).",
             "", *([f"**Warning: nk = {s.nk} is below {RELIABLE_NK}; the error estimates are not reliable at this "
                    "resolution (a smoke run).**", ""] if s.nk < RELIABLE_NK else []),
             "## Claims", "", "| panel | claim | threshold | measured | verdict |", "|---|---|---|---|---|"]
    cell = lambda text: str(text).replace("|", "\\|")                # a literal | inside a Markdown table cell
    for v in summary["verdicts"]:
        lines.append(f"| {v['panel']} | {cell(v['claim'])} | {cell(v['threshold'])} | {cell(v['measured'])} | "
                     f"{'PASS' if v['passed'] else 'FAIL'} |")
    lines += ["", "## Convergence (V10)", "",
              f"Largest k-grid error estimate of each panel relative to its largest |value| (target ≤ {CONVERGED:g}):",
              "", "| panel | error / max | converged |", "|---|---|---|"]
    for p, e in summary["panel_error"].items():
        lines.append(f"| {p} | {e:.2e} | {'yes' if e <= CONVERGED else 'NO'} |")
    lines += _whole_section(summary["numbers"], summary["whole_error"])
    lines += ["", "## Numbers", "", "```json", json.dumps(summary["numbers"], indent=2), "```", "",
              "## Cost", "", f"Wall time by stage (s): {json.dumps({k: round(v, 1) for k, v in summary['seconds'].items()})}.",
              "Peak resident memory (MiB, getrusage): " + ", ".join(f"{k} {v:.0f}" for k, v in
                                                                   summary["peak_rss_MiB"].items()) + ".", "",
              "## Notes", "",
              f"- Degenerate points: {summary['degenerate_points']['count']} map point(s) (the Γ optical pair) where the "
              "top branch is one circular member of a degenerate pair are plotted but left out of the verdicts; their "
              f"moments (μ_N): {json.dumps(summary['degenerate_points']['moments_muN'])}.",
              "- Panel (h): with equal masses the zero-field angular momentum vanishes identically (C2T); the claim is "
              "decided on the field-induced part, and the zero-field line is reported for completeness.",
              "- (c): the side jump does not vanish at t′ = 0, η_c = η_v in the derived theory (V6, CONVENTIONS.md §1.2): "
              "the vertices' q₀-dependence, absent from the paper's Eq. 7, contributes (1.85e-2 of the skew term at K for "
              "Δ/|t| = 0.36). The paper's statement holds in the Dirac limit: at fixed ω/Δ and η/Δ the skew term at K grows "
              "as (t/Δ)² while the side jump stays finite, so their ratio falls as (Δ/t)² (5.2e-3, 1.4e-3, 3.7e-4, "
              "9.4e-5 at Δ = 0.5 … 0.0625 eV, local exponents 1.89 … 1.97; `phonon-moment limits`, row V6).",
              "- (e), (f): with t′ = 0 the model is particle–hole symmetric, and exchanging η_c ↔ η_v leaves every part of "
              "λ^NA unchanged away from the degenerate Γ pair (both 'shared' measures above are at rounding level or exactly "
              "2, i.e. SJ_e = SJ_f): the two panels coincide, so their difference cannot isolate the side jump as the paper "
              "says. At Γ the swap reverses the moments of the circular pair. With particle–hole symmetry broken "
              "(t′ = 0.3 eV, same damping, top branch along Γ–K–M–Γ, nk = 24 and 36 agree to 0.5 %; "
              "numeric/verify/limits.py `panels_e_f`, tests/test_split.py) the panels differ (λ^NA by 2.4 % of its "
              "maximum), the skew part is still shared (max|SS_e − SS_f| = 0.026 max|SS|), but the side jump is not their "
              "difference: SJ_e and SJ_f have the same sign (max|SJ_e + SJ_f| = 1.90 max|SJ|, the threshold is 0.1), "
              "and the difference λ^NA_e − λ^NA_f is carried by the skew part (max|ΔSS| = 1.10 max|ΔNA|) more than by "
              "the side jump (max|ΔSJ| = 0.30 max|ΔNA|). At t′ = 0.15 eV: 0.012, 1.95, 1.11, 0.32.",
              "- Convergence: " + ("the force route's intraband resonances (peaks of width (η_p + η_n)/|∇Δε| ≈ "
              "0.005 1/Å that no affordable uniform grid resolves) are integrated analytically on the triangles that need "
              "it, with the kernel's exact Laurent coefficients at its poles (numeric/response/resonance.py, CONVENTIONS.md §7.1); "
              "the estimate compares nk with 3nk/4, both treated." if s.resonances else
              "run with --no-resonances: the force route's intraband resonances are left on the uniform grid, where "
              "λ^A near K scatters by 1–5 % between grids (CONVENTIONS.md §7.1)."),
              "- The moments plotted in (b)–(g) are Eq. (4)'s, Σ_ab Λ^{ab} (u^a × u̇^b)_z, as the paper defines them. Away "
              "from Γ they are not the whole moment of a mode: at K the derivation's tensor before Eq. (4)'s ε contraction "
              "and a magnetic supercell agree on a larger one (twice Eq. 4's for the A-circular mode; CONVENTIONS.md §8); "
              "the section above compares the two on the path.",
              ""]
    return "\n".join(lines)
