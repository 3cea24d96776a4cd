"""Command line ``phonon-moment`` (CONVENTIONS.md §7 lists what each output file holds).

Subcommands import what they need; only ``derive`` imports SymPy (lazily, inside the subcommand), so numerics never pay
for it.
Units on the command line: energies eV, wave vectors 1/Å, temperature K.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from .validation import ParameterError

ACOUSTIC_ENERGY_FLOOR = 1e-4  # eV; below this a mode is treated as ω = 0 (moment per phonon diverges as 1/ω)


def _model_args(p):
    g = p.add_argument_group("electronic model (SPEC §2 defaults)")
    g.add_argument("--t", type=float, default=-2.8, metavar="EV", help="nearest-neighbour hopping (eV), default -2.8")
    g.add_argument("--delta", type=float, default=1.0, metavar="EV", help="staggered potential ±Δ (eV), gap 2Δ; default 1.0")
    g.add_argument("--tprime", type=float, default=0.0, metavar="EV", help="next-nearest-neighbour hopping (eV), default 0")
    g.add_argument("--beta", type=float, default=3.37, metavar="X", help="-dln t/dln a0, default 3.37")
    g.add_argument("--a0", type=float, default=1.42, metavar="ANGSTROM", help="bond length (Å), default 1.42")
    g.add_argument("--mu", type=float, default=0.0, metavar="EV", help="chemical potential (eV), default 0 (mid-gap)")
    g.add_argument("--temperature", type=float, default=0.0, metavar="K", help="temperature (K), default 0")


def _damping_args(p, eta_p=0.04, eta_c=0.04, eta_v=0.04, *, optical_only=False):
    """--branch and the paper's three damping parameters (CONVENTIONS.md §1.1), with a subcommand's defaults."""
    p.add_argument("--branch", default="top", help=("'top' (default) or an optical branch index (2, 3)" if optical_only
                                                     else "'top' (default) or a branch index, ascending energy"))
    for name, value in (("p", eta_p), ("c", eta_c), ("v", eta_v)):
        p.add_argument(f"--eta-{name}", type=float, default=value, metavar="EV",
                       help=f"paper's η_{name} (eV), default {value}")


def _model(args):
    from .model.honeycomb import honeycomb_model
    return honeycomb_model(t=args.t, delta=args.delta, tprime=args.tprime, beta=args.beta,
                           beta_prime=args.beta, a0=args.a0)


def _phonons(model):
    from .model.phonons import Phonons, saito_graphene
    return Phonons(model.lattice, saito_graphene())


# --------------------------------------------------------------------------------------------------
def cmd_bands(args) -> int:
    """Electronic bands, valence iso-energy contours (Fig. 2a), phonon dispersion; PNG + data."""
    from pathlib import Path

    from .model.bands import band_data
    from .model.brillouin import high_symmetry_path
    from .output.files import save
    from .output.plots import dispersion, zone_hexagon, zone_map

    out = Path(args.out)
    model = _model(args)
    ph = _phonons(model)
    lat = model.lattice
    path = high_symmetry_path(lat, ("G", "K", "M", "G"), args.npath)
    params = {"model": vars(args) | {"func": None}, "path": "G-K-M-G"}
    caption = f"t={args.t} eV, Δ={args.delta} eV, t′={args.tprime} eV, a0={args.a0} Å; phonons: Saito shells 1–3"

    el = band_data(model, path.k).energies
    save(out / "electron_bands", {"distance": path.distance, "k": path.k, "energies_eV": el}, params)
    dispersion(path, el, "energy (eV)", out / "electron_bands.png", title="electronic bands", caption=caption)

    n = args.nmap
    K = lat.point("K")
    span = 1.25 * np.linalg.norm(K)
    ax = np.linspace(-span, span, n)
    kx, ky = np.meshgrid(ax, ax, indexing="xy")
    ev = band_data(model, np.stack([kx, ky], -1)).energies[..., 0]
    hexagon = zone_hexagon(lat)
    save(out / "valence_isoenergy", {"kx": kx, "ky": ky, "valence_eV": ev}, params)
    zone_map(kx, ky, ev, out / "valence_isoenergy.png", title="(a) valence-band iso-energy contours",
             label="valence energy (eV)", contours=True, hexagon=hexagon, caption=caption)

    energies, _ = ph.modes(path.k)
    mev = 1e3 * energies
    save(out / "phonon_dispersion", {"distance": path.distance, "q": path.k, "energies_meV": mev}, params)
    dispersion(path, mev, "ħω (meV)", out / "phonon_dispersion.png", title="phonons (in-plane)", caption=caption)

    print(f"wrote {out}/: electron_bands, valence_isoenergy, phonon_dispersion (.png, .npz, .json)")
    for label in ("G", "K", "M"):
        e, _ = ph.modes(lat.point(label))
        shown = ", ".join(f"{1e3 * x:7.2f}" for x in np.clip(e, 0, None))
        print(f"  phonon ħω at {label:>2}: {shown} meV")
    return 0


# --------------------------------------------------------------------------------------------------
def _resolve_q(args, lattice):
    if args.point is not None:
        return lattice.point(args.point)
    return np.asarray(args.q, float)


def _branch_index(branch: str, nmodes: int) -> int:
    if branch == "top":
        return nmodes - 1
    try:
        b = int(branch)
    except ValueError:
        raise ParameterError(f"--branch must be 'top' or an integer 0..{nmodes - 1}, got {branch!r}.") from None
    if not 0 <= b < nmodes:
        raise ParameterError(f"--branch must be in 0..{nmodes - 1} (ascending energy), got {b}.")
    return b


def lambda_at(args) -> dict:
    """Compute the JSON object of ``phonon-moment lambda`` (also used by tests)."""
    from .response.damping import rates_from_paper
    from .response.direct import uniform_problem
    from .response.moment import ionic_moment_muN, mode_moment, to_bohr_magnetons, to_nuclear_magnetons

    model = _model(args)
    ph = _phonons(model)
    q = _resolve_q(args, model.lattice)
    energies, vectors = ph.modes(q)
    b = _branch_index(args.branch, energies.shape[-1])
    omega = energies[b] if args.omega is None else args.omega
    if abs(omega) < ACOUSTIC_ENERGY_FLOOR:
        raise ParameterError(
            f"branch {b} has ħω = {omega:.2e} eV at q = {tuple(np.round(q, 6))} (an acoustic mode at Γ): the moment per "
            "phonon diverges as 1/ω; choose an optical --branch or a q away from Γ.")
    rates = rates_from_paper(args.eta_p, args.eta_c, args.eta_v, model.nsub)
    t0 = time.perf_counter()
    problem = uniform_problem(model, args.nk, rates, mu=args.mu, temperature=args.temperature)
    resonances = args.method == "generated" and not args.no_resonances
    res = _solve(args.method, problem, omega, q, resonances)
    m = mode_moment(res.Lambda, vectors[:, b], ph.force_constants.masses)
    out = {
        "q": [float(x) for x in q],
        "omega": float(omega),
        "branch": b,
        "total": to_nuclear_magnetons(m.real),
        "total_dissipative": to_nuclear_magnetons(m.imag),
        "Lambda": _pairs(res.Lambda),
        "Lambda_current_route": _pairs(res.current_route),
        "Lambda_force_route": _pairs(res.force_route),
        "Lambda_eq4_as_printed": _pairs(res.eq4_as_printed),
        "Lambda_adiabatic": _pairs(res.adiabatic),
        "Lambda_nonadiabatic": _pairs(res.nonadiabatic),
        "Lambda_skew_scattering": _pairs(res.skew_scattering),
        "Lambda_side_jump": _pairs(res.side_jump),
        **{name: to_nuclear_magnetons(mode_moment(getattr(res, name), vectors[:, b], ph.force_constants.masses).real)
           for name in ("adiabatic", "nonadiabatic", "skew_scattering", "side_jump")},
        "moment_muN": to_nuclear_magnetons(m.real),
        "ionic_muN": ionic_moment_muN(vectors[:, b], ph.force_constants.masses, [args.ion_charge] * model.nsub),
        "ion_charge": args.ion_charge,
        "moment_muB": to_bohr_magnetons(m.real),
        "method": args.method,
        "resonances": resonances,
        "nk": args.nk,
        "fd_error_Lambda": res.fd_error if np.isfinite(res.fd_error) else None,
        "theta_at_zero_q0": res.theta_at_zero_q0,
        "eta": {"p": args.eta_p, "c": args.eta_c, "v": args.eta_v},
        "seconds": time.perf_counter() - t0,
        "units": {"q": "1/Å", "omega": "eV", "total": "μ_N per phonon (real part of m_ν, CONVENTIONS.md §5)",
                  "ionic_muN": "μ_N per phonon from the ions as point charges ion_charge·e (numeric/response/moment.py)",
                  "adiabatic": "μ_N per phonon, exact split (CONVENTIONS.md §1.2); likewise nonadiabatic, "
                               "skew_scattering, side_jump",
                  "Lambda": "[re, im] of Λ^{ab}_zz, e=ħ=1, eV/Å units, per primitive cell; "
                             "Λ = mean of the current and force routes (CONVENTIONS.md §4, §8); "
                             "Lambda_adiabatic/nonadiabatic/skew_scattering/side_jump: the exact split (§1.2)"},
    }
    if args.tolerance is not None:
        finer = int(np.ceil(1.5 * args.nk))
        res2 = _solve(args.method, uniform_problem(model, finer, rates, mu=args.mu, temperature=args.temperature), omega, q,
                      resonances)
        # judged on Λ (the moment of a linearly polarized mode is zero, so its relative change is meaningless)
        err = float(np.abs(res2.Lambda - res.Lambda).max() / max(np.abs(res2.Lambda).max(), 1e-300))
        out["kgrid_error_estimate"] = err
        if err > args.tolerance:
            raise ParameterError(
                f"nk = {args.nk} is too coarse for --tolerance {args.tolerance}: Λ changes by {err:.2e} (relative to "
                f"max|Λ|) at nk = {finer}; increase --nk (try {2 * args.nk}).")
    return out


def _solve(method, problem, omega, q, resonances=False):
    """Λ by the referee ("direct", uniform grid) or through the derived kernels ("generated"; with ``resonances`` the
    force route's intraband resonances are integrated analytically, CONVENTIONS.md §7.1), as a LambdaResult."""
    from .response.direct import LambdaResult, lambda_matrix
    if method == "direct":
        return lambda_matrix(problem, omega, q)
    from .response.fast import lambda_generated_rates
    r = lambda_generated_rates(problem, omega, q, [problem.rates], resonances=resonances)[0]
    return LambdaResult(r["Lambda"], r["current_route"], r["force_route"], r["eq4_as_printed"], r["by_term"],
                        float("nan"), r["theta_at_zero_q0"], r["adiabatic"], r["nonadiabatic"], r["skew_scattering"],
                        r["side_jump"], 0.0)


def _pairs(M):
    return [[[float(z.real), float(z.imag)] for z in row] for row in np.asarray(M)]


def cmd_lambda(args) -> int:
    out = lambda_at(args)
    if args.json:
        print(json.dumps(out))
        return 0
    L = np.array([[complex(*z) for z in row] for row in out["Lambda"]])
    print(f"q = ({out['q'][0]:.6f}, {out['q'][1]:.6f}) 1/Å   branch {out['branch']}   ħω = {out['omega']:.6f} eV   "
          f"nk = {out['nk']}   method = {out['method']}" + ("   (resonances integrated analytically)" if out["resonances"]
                                                          else ""))
    print(f"eta_p, eta_c, eta_v = {args.eta_p}, {args.eta_c}, {args.eta_v} eV")
    print("Λ^{ab}_zz (e = ħ = 1, per cell):")
    for a, row in zip("AB", L):
        print(f"   {a}: " + "   ".join(f"{z.real:+.6e} {z.imag:+.6e}i" for z in row))
    print(f"moment per phonon m = {out['moment_muN']:+.6e} μ_N = {out['moment_muB']:+.6e} μ_B "
          f"(dissipative part {out['total_dissipative']:+.3e} μ_N)")
    print(f"ions (charge {out['ion_charge']:g} e): {out['ionic_muN']:+.6e} μ_N; electrons + ions: "
          f"{out['moment_muN'] + out['ionic_muN']:+.6e} μ_N")
    print(f"  split (CONVENTIONS.md §1.2): adiabatic {out['adiabatic']:+.6e}, non-adiabatic {out['nonadiabatic']:+.6e} "
          f"= skew scattering {out['skew_scattering']:+.6e} + side jump {out['side_jump']:+.6e} μ_N")
    if "kgrid_error_estimate" in out:
        print(f"k-grid error estimate: {out['kgrid_error_estimate']:.2e} (relative)")
    if out["method"] == "direct":
        print(f"finite-difference error of Λ: {out['fd_error_Lambda']:.1e}")
    print(f"{out['seconds']:.2f} s")
    return 0


# --------------------------------------------------------------------------------------------------
def _etas(args):
    return [(args.eta_p, args.eta_c, args.eta_v)]


def _scan_columns(scan, s=0):
    """{name: values} of every moment and its error estimate for damping set s of a BranchScan (μ_N)."""
    cols = {f"{p}_muN": scan.moment[p][s] for p in scan.moment}
    cols.update({f"{p}_error_muN": scan.error[p][s] for p in scan.error})
    return cols


def cmd_path(args) -> int:
    """λ of a branch along Γ–K–M–Γ with its exact split; PNG + CSV + NPZ + JSON."""
    from pathlib import Path

    from .model.brillouin import high_symmetry_path
    from .output.files import save
    from .output.plots import path_curves
    from .apps.scan import PARTS, scan_branch

    model = _model(args)
    ph = _phonons(model)
    path = high_symmetry_path(model.lattice, ("G", "K", "M", "G"), args.npath)
    branch = _branch_index(args.branch, 2 * model.nsub)
    if branch < 2:
        raise ParameterError("--branch must be an optical branch (2 or 3) along a path through Γ, where the acoustic "
                             "branches have ω = 0 and the moment per phonon diverges.")
    scan = scan_branch(model, ph, path.k, branch=branch, etas=_etas(args), nk=args.nk, mu=args.mu,
                       temperature=args.temperature, workers=args.workers, resonances=not args.no_resonances)
    out = Path(args.out)
    cols = _scan_columns(scan)
    params = {"model": {k: v for k, v in vars(args).items() if k != "func"}, "path": "G-K-M-G", "branch": branch,
              "units": {"moments": "μ_N per phonon", "omega": "eV", "q": "1/Å"}, "method": "generated kernels",
              "split": "exact (CONVENTIONS.md §1.2)",
              "error": "k-grid estimate: |value(nk) − value(3nk/4)|, Γ-centred grids (numeric/apps/scan.py)"}
    save(out / "path", {"distance": path.distance, "q": path.k, "omega_eV": scan.omega, **cols,
                        "Lambda": scan.Lambda["total"][0]}, params)
    names = [f"{p}_muN" for p in PARTS] + [f"{p}_error_muN" for p in PARTS]
    header = "distance_invA,qx_invA,qy_invA,omega_eV," + ",".join(names)
    np.savetxt(out / "path.csv", np.column_stack([path.distance, path.k, scan.omega] + [cols[n] for n in names]),
               delimiter=",", header=header, comments="")
    caption = f"branch {branch}, η_p={args.eta_p}, η_c={args.eta_c}, η_v={args.eta_v} eV, nk={args.nk}; exact split"
    path_curves(path, {p: scan.moment[p][0] for p in PARTS}, {p: scan.error[p][0] for p in PARTS},
                "moment per phonon (μ_N)", out / "path.png", title=f"moment of phonon branch {branch}",
                caption=caption)
    print(f"wrote {out}/path.png, path.csv, path.npz, path.json")
    for label, i in zip(path.labels, range(0, len(path.k), args.npath)):
        m = {p: scan.moment[p][0][i] for p in PARTS}
        print(f"  {label:>2}: ħω = {1e3 * scan.omega[i]:7.2f} meV  m = {m['total']:+.4e} ± "
              f"{scan.error['total'][0][i]:.1e} μ_N (A {m['adiabatic']:+.4e}, NA {m['nonadiabatic']:+.4e}: "
              f"SS {m['skew_scattering']:+.4e}, SJ {m['side_jump']:+.4e})")
    return 0


def cmd_map(args) -> int:
    """The moment of a branch over the whole zone: computed on the C3v wedge, unfolded with the mirror sign."""
    from pathlib import Path

    from .model.brillouin import fold
    from .output.files import save
    from .output.plots import zone_maps
    from .apps.scan import PARTS, scan_branch
    from .model.zone import irreducible_wedge

    model = _model(args)
    ph = _phonons(model)
    branch = _branch_index(args.branch, 2 * model.nsub)
    if branch < 2:
        raise ParameterError("--branch must be an optical branch (2 or 3): the acoustic ones have ω = 0 at Γ.")
    wedge = irreducible_wedge(model.lattice, args.nq)
    scan = scan_branch(model, ph, wedge.k, branch=branch, etas=_etas(args), nk=args.nk, mu=args.mu,
                       temperature=args.temperature, workers=args.workers, resonances=not args.no_resonances)
    fields = {p: wedge.unfold(scan.moment[p][0], pseudoscalar=True) for p in PARTS}
    errors = {p: wedge.unfold(scan.error[p][0], pseudoscalar=False) for p in PARTS}
    q = fold(model.lattice, wedge.grid)
    out = Path(args.out)
    params = {"model": {k: v for k, v in vars(args).items() if k != "func"}, "branch": branch,
              "grid": f"Γ-centred {args.nq}×{args.nq}, {len(wedge.k)} wedge points (C3v, m_z odd under the mirror)",
              "units": {"moments": "μ_N per phonon", "q": "1/Å"}, "method": "generated kernels",
              "split": "exact (CONVENTIONS.md §1.2)",
              "error": "k-grid estimate: |value(nk) − value(3nk/4)|, Γ-centred grids (numeric/apps/scan.py)"}
    save(out / "map", {"q": q, **{f"{k}_muN": v for k, v in fields.items()},
                       **{f"{k}_error_muN": v for k, v in errors.items()}, "wedge_q": wedge.k}, params)
    caption = f"branch {branch}, η=({args.eta_p}, {args.eta_c}, {args.eta_v}) eV, nk={args.nk}, nq={args.nq}"
    for name in PARTS:
        zone_maps(model.lattice, q, {name: fields[name]}, out / f"map_{name}.png",
                  title=f"{name} moment, branch {branch}", label="moment (μ_N per phonon)", caption=caption)
    print(f"wrote {out}/map.npz, map.json, " + ", ".join(f"map_{p}.png" for p in PARTS))
    print("  max |m| (μ_N): " + ", ".join(f"{p} {np.abs(fields[p]).max():.4e}" for p in PARTS))
    return 0


def cmd_figure2(args) -> int:
    """All panels of the paper's Fig. 2 with data, error estimates and REPORT.md (numeric/apps/figure2.py)."""
    from .apps.figure2 import Settings, figure2

    model = _model(args)
    if args.quick:
        s = Settings(nk=8, nq=6, npath=3, nk_integrand=12, nmap=41, workers=args.workers,
                     resonances=not args.no_resonances)
    else:
        s = Settings(nk=args.nk, nq=args.nq, npath=args.npath, nk_integrand=args.nk_integrand, workers=args.workers,
                     resonances=not args.no_resonances)
    parameters = {k: getattr(args, k) for k in ("t", "delta", "tprime", "beta", "a0", "mu", "temperature")}
    summary = figure2(args.out, model, _phonons(model), s, parameters)
    print(f"wrote {args.out}/REPORT.md, summary.json and panels a–h (.png, .npz, .json)")
    for v in summary["verdicts"]:
        print(f"  ({v['panel']}) {'PASS' if v['passed'] else 'FAIL'}  {v['claim']}: {v['measured']}")
    print("  error estimate / panel max: " + ", ".join(f"{p} {e:.1e}" for p, e in summary["panel_error"].items()))
    print(f"  {summary['seconds']['total']:.0f} s")
    return 0


def cmd_limits(args) -> int:
    """The analytic-limit checks V5, V7, V9 as a table (numeric/verify/limits.py)."""
    from .verify.limits import run_limits

    rows = run_limits(nk=args.nk, quick=args.quick)
    width = max(len(r["check"]) for r in rows)
    print(f"{'check':<{width}}  {'measured':>14}  {'expected':>22}  verdict")
    for r in rows:
        print(f"{r['check']:<{width}}  {r['measured']:>14}  {r['expected']:>22}  {'PASS' if r['passed'] else 'FAIL'}")
        if r.get("note"):
            print(f"{'':<{width}}  {r['note']}")
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def cmd_derive(args) -> int:
    """Regenerate generated/ from the SymPy derivation (derive/), or check it is up to date."""
    from derive.__main__ import main as derive_main   # SymPy is imported here only
    argv = ["--check"] if args.check else []
    if args.out:
        argv += ["--out", args.out]
    if args.test_kernels:
        argv += ["--test-kernels", args.test_kernels]
    return derive_main(argv)


# --------------------------------------------------------------------------------------------------
def _resonance_option(p):
    p.add_argument("--no-resonances", action="store_true",
                   help="leave the force route's intraband resonances on the uniform grid (faster; scatters by 1-5 %% "
                        "near K at the paper's damping; CONVENTIONS.md §7.1)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phonon-moment", description=(
        "Phonon magnetic moment with relaxation (Xue, Qiao, Gao, Niu 2025). Energies in eV, wave vectors in 1/Å."))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("bands", help="electronic bands, valence iso-energy contours, phonon dispersion (PNG + data)")
    _model_args(p)
    p.add_argument("--out", default="out/bands", help="output folder (default out/bands)")
    p.add_argument("--npath", type=int, default=80, help="points per path segment (default 80)")
    p.add_argument("--nmap", type=int, default=201, help="points per axis of the contour map (default 201)")
    p.set_defaults(func=cmd_bands)

    p = sub.add_parser("lambda", help="Λ^{ab}_zz and the mode moment at one q (Eq. 4)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--q", type=float, nargs=2, metavar=("QX", "QY"), help="phonon momentum (1/Å, Cartesian)")
    where.add_argument("--point", choices=["G", "K", "M", "Kp"], help="a named high-symmetry point")
    _damping_args(p)
    p.add_argument("--omega", type=float, default=None, metavar="EV", help="phonon energy ħω (eV); default: the branch's")
    _model_args(p)
    p.add_argument("--nk", type=int, default=48, help="k-grid nk×nk (default 48)")
    p.add_argument("--tolerance", type=float, default=None, metavar="REL",
                   help="fail unless the moment changes by less than REL (relative) on a 1.5× finer grid")
    p.add_argument("--method", choices=["direct", "generated"], default="generated",
                   help="'generated' (default): the kernels derived by SymPy (phonon-moment derive), q₀-derivative "
                        "analytic; 'direct': the referee solving Eq. 5 numerically (reports its finite-difference error)")
    p.add_argument("--no-resonances", action="store_true",
                   help="generated method: leave the force route's intraband resonances on the uniform grid (the "
                        "referee, --method direct, always does; CONVENTIONS.md §7.1)")
    p.add_argument("--ion-charge", type=float, default=6.0, metavar="Z",
                   help="charge of each ion (units of e) for the ionic moment ionic_muN; default 6, bare carbon")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_lambda)

    p = sub.add_parser("path", help="moment of a branch along Γ–K–M–Γ with its exact split (μ_N, error estimates)")
    _damping_args(p, optical_only=True)
    _model_args(p)
    p.add_argument("--nk", type=int, default=24, help="k-grid nk×nk (error estimate from 3nk/4) (default 24)")
    p.add_argument("--npath", type=int, default=10, help="q-points per path segment (default 10)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--out", default="out/path", help="output folder (default out/path)")
    _resonance_option(p)
    p.set_defaults(func=cmd_path)

    p = sub.add_parser("map", help="moment of a branch over the zone (C3v wedge, unfolded; μ_N, error estimates)")
    _damping_args(p, 0.02, 0.004, 0.02, optical_only=True)
    _model_args(p)
    p.add_argument("--nk", type=int, default=24, help="electronic k-grid nk×nk (error estimate from 3nk/4) (default 24)")
    p.add_argument("--nq", type=int, default=12, help="phonon q-grid nq×nq before symmetry reduction (default 12)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--out", default="out/map", help="output folder (default out/map)")
    _resonance_option(p)
    p.set_defaults(func=cmd_map)

    p = sub.add_parser("figure2", help="the paper's Fig. 2, panels (a)-(h), data and REPORT.md deciding its claims",
                       description="Moments in μ_N per phonon quantum, q and k in 1/Å, damping η in eV (the paper's "
                                   "values per panel), angular momentum in ħ and ħ/T. Defaults converge every panel "
                                   "to ~1e-3 of its largest value (REPORT.md states the estimate per panel).")
    _model_args(p)
    p.add_argument("--nk", type=int, default=48, help="electronic k-grid nk×nk (error estimate from 3nk/4) (default 48)")
    p.add_argument("--nq", type=int, default=24, help="phonon q-grid of the maps before C3v reduction (default 24)")
    p.add_argument("--npath", type=int, default=12, help="q-points per path segment (default 12)")
    p.add_argument("--nk-integrand", type=int, default=72, help="k-grid of the skew integrand at q = K (default 72)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--quick", action="store_true", help="a coarse smoke run (nk 8, nq 6): minutes → seconds")
    p.add_argument("--out", default="out/figure2", help="output folder (default out/figure2)")
    _resonance_option(p)
    p.set_defaults(func=cmd_figure2)

    p = sub.add_parser("limits", help="analytic-limit checks V5, V7, V9: measured exponent or ratio vs expected")
    p.add_argument("--nk", type=int, default=24, help="electronic k-grid nk×nk (default 24)")
    p.add_argument("--quick", action="store_true", help="fewer points per fit")
    p.add_argument("--json", action="store_true", help="also print the rows as JSON")
    p.set_defaults(func=cmd_limits)

    p = sub.add_parser("derive", help="re-derive the formulas with SymPy and write generated/ (or --check it)")
    p.add_argument("--check", action="store_true", help="regenerate into a temporary folder; exit 1 with a diff if stale")
    p.add_argument("--out", default=None, help="output folder (default: the package's generated/)")
    p.add_argument("--test-kernels", default=None, metavar="DIR",
                   help="also print the kernels only tests evaluate (theta_n*.py, theta_dq0_n*.py) into DIR")
    p.set_defaults(func=cmd_derive)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as exc:
        parser.exit(2, f"phonon-moment {args.command}: error: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())
