"""Command line ``phonon-moment``: a thin skin over :mod:`numeric.api` — parse, call the API, print or save
(CONVENTIONS.md §7 lists what each output file holds).

Subcommands import what they need; only ``derive`` imports SymPy (lazily, inside the subcommand), so numerics never pay
for it.
Units on the command line: energies eV, wave vectors 1/Å, temperature K.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np

from .model.honeycomb import HoneycombParameters
from .validation import ParameterError


HONEYCOMB_DEFAULTS = {name: getattr(HoneycombParameters(), name) for name in ("t", "delta", "tprime", "beta", "a0")}
"""The built-in model's options and their defaults (the paper's gapped graphene; one source: HoneycombParameters)."""


def _model_args(p, *, model_file: bool = True):
    g = p.add_argument_group("electronic model (defaults: the paper's gapped graphene, CONVENTIONS.md §9)")
    if model_file:
        g.add_argument("--model", default=None, metavar="FILE|NAME",
                       help="a TOML model file (README: 'Your own model') or a shipped model's name (phonon-moment "
                            "models lists them); replaces --t, --delta, --tprime, --beta, --a0")
    g.add_argument("--t", type=float, default=None, metavar="EV", help=f"nearest-neighbour hopping (eV), default {HONEYCOMB_DEFAULTS['t']:g}")
    g.add_argument("--delta", type=float, default=None, metavar="EV", help=f"staggered potential ±Δ (eV), gap 2Δ; default {HONEYCOMB_DEFAULTS['delta']:g}")
    g.add_argument("--tprime", type=float, default=None, metavar="EV", help=f"next-nearest-neighbour hopping (eV), default {HONEYCOMB_DEFAULTS['tprime']:g}")
    g.add_argument("--beta", type=float, default=None, metavar="X", help=f"-dln t/dln a0, default {HONEYCOMB_DEFAULTS['beta']:g}")
    g.add_argument("--a0", type=float, default=None, metavar="ANGSTROM", help=f"bond length (Å), default {HONEYCOMB_DEFAULTS['a0']:g}")
    g.add_argument("--mu", type=float, default=0.0, metavar="EV", help="chemical potential (eV), default 0 (mid-gap)")
    g.add_argument("--temperature", type=float, default=0.0, metavar="K", help="temperature (K), default 0")


def _damping_args(p, eta_p=0.04, eta_c=0.04, eta_v=0.04, *, optical_only=False):
    """--branch and the paper's three damping parameters (CONVENTIONS.md §1.1), with a subcommand's defaults."""
    p.add_argument("--branch", default="top", help=("'top' (default) or an optical branch index (2, 3)" if optical_only
                                                     else "'top' (default) or a branch index, ascending energy"))
    for name, value in (("p", eta_p), ("c", eta_c), ("v", eta_v)):
        p.add_argument(f"--eta-{name}", type=float, default=value, metavar="EV",
                       help=f"paper's η_{name} (eV), default {value}")


def _system(args):
    """(model, phonons): from --model, or the built-in honeycomb with --t, --delta, … (the defaults filled into args)."""
    from .api import graphene_phonons, honeycomb_model, load_model
    given = [f"--{k}" for k in HONEYCOMB_DEFAULTS if getattr(args, k) is not None]
    if getattr(args, "model", None) is not None:
        if given:
            raise ParameterError(f"--model replaces the built-in model's options; drop {', '.join(given)} (edit the "
                                 "model file instead).")
        return load_model(args.model)
    for k, v in HONEYCOMB_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    model = honeycomb_model(**{k: getattr(args, k) for k in HONEYCOMB_DEFAULTS})
    return model, graphene_phonons(model)


def _eta(args) -> tuple:
    return (args.eta_p, args.eta_c, args.eta_v)


def _options(args) -> dict:
    """The command line as it was given (saved beside every output)."""
    return {k: v for k, v in vars(args).items() if k != "func"}


OUTPUTS = {"bands": ("electron_bands", "valence_isoenergy", "phonon_dispersion"), "path": ("path.",),
           "map": ("map.", "map_"), "figure2": ("panel_", "REPORT.md", "summary.json")}
"""The names each command writes into --out (a rerun replaces them)."""


def _announce_overwrites(args, stems) -> None:
    from .output.files import existing_outputs, output_folder

    output_folder(args.out)                 # a clear error now, not after the computation
    old = existing_outputs(args.out, stems)
    if old:
        shown = ", ".join(old[:6]) + (f", … ({len(old)} files)" if len(old) > 6 else "")
        print(f"phonon-moment {args.command}: {args.out} already holds {shown}: they will be replaced when this run "
              "finishes (an interrupted run leaves them as they are).", file=sys.stderr)


def _staged(args, stems):
    """Write a command's files into a staging folder inside --out, moved into place only when all succeeded."""
    from .output.files import staged_folder

    _announce_overwrites(args, stems)
    return staged_folder(args.out)


# --------------------------------------------------------------------------------------------------
def cmd_bands(args) -> int:
    """Electronic bands, valence iso-energy contours (Fig. 2a), phonon dispersion; PNG + data."""
    from .api import band_structure

    model, ph = _system(args)
    caption = (f"model file {args.model}" if args.model else
               f"t={args.t} eV, Δ={args.delta} eV, t′={args.tprime} eV, a0={args.a0} Å; phonons: Saito shells 1–3")
    with _staged(args, OUTPUTS["bands"]) as stage:
        band_structure(model, ph, npath=args.npath, nmap=args.nmap).save(stage, {"options": _options(args)}, caption)
    print(f"wrote {args.out}/: electron_bands, valence_isoenergy, phonon_dispersion (.png, .npz, .json)")
    for label in ("G", "K", "M"):
        e, _ = ph.modes(model.lattice.point(label))
        shown = ", ".join(f"{1e3 * x:7.2f}" for x in np.clip(e, 0, None))
        print(f"  phonon ħω at {label:>2}: {shown} meV")
    return 0


# --------------------------------------------------------------------------------------------------
def lambda_at(args) -> dict:
    """The JSON object of ``phonon-moment lambda``: :func:`numeric.api.moment` on the command line's arguments."""
    from .api import moment

    model, phonons = _system(args)
    q = args.point if args.point is not None else args.q
    return moment(model, phonons, q, branch=args.branch, eta=_eta(args), omega=args.omega, nk=args.nk,
                  method=args.method, resonances=not args.no_resonances, mu=args.mu, temperature=args.temperature,
                  ion_charge=args.ion_charge, tolerance=args.tolerance, max_memory_gib=args.max_memory).to_dict()


def cmd_lambda(args) -> int:
    out = lambda_at(args)
    for note in out["warnings"]:
        print(f"phonon-moment lambda: warning: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(out))
        return 0
    L = np.array([[complex(*z) for z in row] for row in out["Lambda"]])
    print(f"q = ({out['q'][0]:.6f}, {out['q'][1]:.6f}) 1/Å   branch {out['branch']}   ħω = {out['omega']:.6f} eV   "
          f"nk = {out['nk']}   method = {out['method']}" + ("   (resonances integrated analytically)" if out["resonances"]
                                                          else ""))
    print(f"eta_p, eta_c, eta_v = {args.eta_p}, {args.eta_c}, {args.eta_v} eV")
    print("Λ^{ab}_zz (e = ħ = 1, per cell):")
    for a, row in zip("AB" if len(L) == 2 else [str(i) for i in range(len(L))], L):
        print(f"   {a}: " + "   ".join(f"{z.real:+.6e} {z.imag:+.6e}i" for z in row))
    print(f"moment per phonon m = {out['moment_muN']:+.6e} μ_N = {out['moment_muB']:+.6e} μ_B "
          f"(dissipative part {out['total_dissipative']:+.3e} μ_N)")
    print(f"ions (charge {out['ion_charge']} e): {out['ionic_muN']:+.6e} μ_N; electrons + ions: "
          f"{out['moment_muN'] + out['ionic_muN']:+.6e} μ_N")
    print(f"  split (CONVENTIONS.md §1.2): adiabatic {out['adiabatic']:+.6e}, non-adiabatic {out['nonadiabatic']:+.6e} "
          f"= skew scattering {out['skew_scattering']:+.6e} + side jump {out['side_jump']:+.6e} μ_N")
    if out["whole_muN"] is not None:
        split = ("" if out["whole_adiabatic_muN"] is None else f" (adiabatic {out['whole_adiabatic_muN']:+.6e}, "
                 f"non-adiabatic {out['whole_nonadiabatic_muN']:+.6e})")
        print(f"whole moment, before Eq. (4)'s contraction (CONVENTIONS.md §5): {out['whole_muN']:+.6e} μ_N{split}")
    if out["kgrid_error_estimate"] is not None:
        print(f"k-grid error estimate: {out['kgrid_error_estimate']:.2e} of max|Λ| (nk against 3nk/4)")
    if out["method"] == "direct":
        print(f"finite-difference error of Λ: {out['fd_error_Lambda']:.1e}")
    print(f"{out['seconds']:.2f} s")
    return 0


# --------------------------------------------------------------------------------------------------
def cmd_path(args) -> int:
    """λ of a branch along Γ–K–M–Γ with its exact split; PNG + CSV + NPZ + JSON."""
    from .api import PARTS, path

    model, phonons = _system(args)
    with _staged(args, OUTPUTS["path"]) as stage:
        result = path(model, phonons, npath=args.npath, branch=args.branch, eta=_eta(args),
                      nk=args.nk, mu=args.mu, temperature=args.temperature, resonances=not args.no_resonances,
                      workers=args.workers)
        result.save(stage, {"options": _options(args)})
    print(f"wrote {args.out}/path.png, path.csv, path.npz, path.json")
    scan = result.scan
    for label, i in zip(result.path.labels, range(0, len(result.q), args.npath)):
        m = {p: scan.moment[p][0][i] for p in PARTS}
        print(f"  {label:>2}: ħω = {1e3 * scan.omega[i]:7.2f} meV  m = {m['total']:+.4e} ± "
              f"{scan.error['total'][0][i]:.1e} μ_N (A {m['adiabatic']:+.4e}, NA {m['nonadiabatic']:+.4e}: "
              f"SS {m['skew_scattering']:+.4e}, SJ {m['side_jump']:+.4e})"
              + (f"; whole {scan.moment['whole'][0][i]:+.4e} μ_N" if "whole" in scan.moment else ""))
    return 0


def cmd_map(args) -> int:
    """The moment of a branch over the whole zone: computed on the wedge of the model's symmetry (C3v for the paper's
    model), unfolded."""
    from .api import zone_map

    model, phonons = _system(args)
    with _staged(args, OUTPUTS["map"]) as stage:
        result = zone_map(model, phonons, nq=args.nq, branch=args.branch, eta=_eta(args), nk=args.nk,
                          mu=args.mu, temperature=args.temperature, resonances=not args.no_resonances,
                          workers=args.workers)
        result.save(stage, {"options": _options(args)})
    fields = result.moments()
    parts = tuple(result.scan.moment)                     # PARTS and the whole moment's
    print(f"wrote {args.out}/map.npz, map.json, " + ", ".join(f"map_{p}.png" for p in parts))
    print("  max |m| (μ_N): " + ", ".join(f"{p} {np.abs(fields[f'{p}_muN']).max():.4e}" for p in parts))
    return 0


def cmd_figure2(args) -> int:
    """All panels of the paper's Fig. 2 with data, error estimates and REPORT.md (numeric/apps/figure2.py)."""
    from .api import figure2

    model, phonons = _system(args)
    parameters = {k: getattr(args, k) for k in ("t", "delta", "tprime", "beta", "a0", "mu", "temperature")}
    _announce_overwrites(args, OUTPUTS["figure2"])
    summary = figure2(args.out, model, phonons, quick=args.quick, nk=args.nk, nq=args.nq, npath=args.npath,
                      nk_integrand=args.nk_integrand, resonances=not args.no_resonances, workers=args.workers,
                      model_parameters=parameters)
    print(f"wrote {args.out}/REPORT.md, summary.json and panels a–h (.png, .npz, .json)")
    for v in summary["verdicts"]:
        print(f"  ({v['panel']}) {'PASS' if v['passed'] else 'FAIL'}  {v['claim']}: {v['measured']}")
    print("  error estimate / panel max: " + ", ".join(f"{p} {e:.1e}" for p, e in summary["panel_error"].items()))
    print(f"  {summary['seconds']['total']:.0f} s")
    return 0


def cmd_limits(args) -> int:
    """The analytic-limit checks V5, V6, V7, V9, V11 as a table (numeric/verify/limits.py)."""
    from .api import limits

    rows = limits(nk=args.nk, quick=args.quick)
    width = max(len(r["check"]) for r in rows)
    print(f"{'check':<{width}}  {'measured':>14}  {'expected':>22}  verdict")
    for r in rows:
        print(f"{r['check']:<{width}}  {r['measured']:>14}  {r['expected']:>22}  {'PASS' if r['passed'] else 'FAIL'}")
        if r.get("note"):
            print(f"{'':<{width}}  {r['note']}")
    if args.json:
        print(json.dumps(rows, indent=2))
    failed = [r["check"] for r in rows if not r["passed"]]
    if failed:
        print(f"phonon-moment limits: {len(failed)} check(s) failed: {'; '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0       # a script or CI sees a failed limit


def cmd_sweep(args) -> int:
    """A parameter sweep on Dask into a resumable Zarr store (numeric/apps/sweep.py documents the TOML spec)."""
    from .apps.sweep import plot_slice, shipped

    if args.list:
        for name, description in shipped().items():
            print(f"{name:<20} {description}")
        return 0
    if args.spec is None or args.out is None:
        raise ParameterError("give a sweep file (TOML) or a name from --list and --out STORE.")
    from .api import sweep

    try:
        ds = sweep(args.spec, args.out, scheduler=args.scheduler, workers=args.workers, quick=args.quick,
                   max_tasks=args.max_tasks)
    except KeyboardInterrupt:
        print(f"interrupted: the finished tasks are in {args.out}; rerun the same command to compute the rest.",
              file=sys.stderr)
        return 130
    dims = ", ".join(f"{d} {n}" for d, n in ds["total"].sizes.items())
    if ds.attrs["tasks_run"]:
        run = json.loads(ds.attrs["runs"])[-1]
        done = f"this run: {run['finished']} tasks in {run['seconds']:.1f} s on {run['scheduler']}"
    else:
        done = "nothing left to compute (the store already holds every point)"
    print(f"wrote {args.out} ({dims}): {int(ds['done'].sum())}/{ds['done'].size} points done; {done}")
    if args.plot:
        print(f"wrote {plot_slice(ds, args.plot)}")
    return 0


def cmd_sweep_plot(args) -> int:
    """A 2-D slice of a sweep store (default: λ^NA/λ^A over the first two swept parameters) as a PNG."""
    from .apps.sweep import plot_slice

    print(f"wrote {plot_slice(args.store, args.out, quantity=args.quantity, x=args.x, y=args.y, q=args.q)}")
    return 0


def cmd_models(args) -> int:
    """The shipped model files (``--model NAME``)."""
    from .api import models
    for name, line in models().items():
        print(f"{name:<18} {line}")
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


def cmd_notebooks(args) -> int:
    """Execute the teaching notebooks and write .ipynb copies with outputs and HTML (numeric/output/notebooks.py)."""
    from .output.notebooks import execute_notebooks

    for name, seconds in execute_notebooks(args.out, args.only, html=not args.no_html):
        print(f"  {name}: {seconds:.1f} s")
    print(f"wrote the executed notebooks into {args.out} (.ipynb{'' if args.no_html else ' and .html'})")
    return 0


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
                   help="fail unless the k-grid error estimate max|Λ(nk) − Λ(3nk/4)|/max|Λ| is below REL (without it, "
                        "an estimate above 1e-2 gives a warning)")
    p.add_argument("--max-memory", type=float, default=None, metavar="GIB",
                   help="refuse a k-grid whose estimated memory exceeds GIB (default: the memory available)")
    p.add_argument("--method", choices=["direct", "generated"], default="generated",
                   help="'generated' (default): the kernels derived by SymPy (phonon-moment derive), q₀-derivative "
                        "analytic; 'direct': the referee solving Eq. 5 numerically (reports its finite-difference error)")
    p.add_argument("--no-resonances", action="store_true",
                   help="generated method: leave the force route's intraband resonances on the uniform grid (the "
                        "referee, --method direct, always does; CONVENTIONS.md §7.1)")
    p.add_argument("--ion-charge", type=float, default=None, metavar="Z",
                   help="charge of each ion (units of e) for the ionic moment ionic_muN; default: the model file's "
                        "atoms' charges, else 6 (bare carbon)")
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

    p = sub.add_parser("map", help="moment of a branch over the zone (symmetry wedge, unfolded; μ_N, error estimates)")
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
    _model_args(p, model_file=False)
    p.add_argument("--nk", type=int, default=48, help="electronic k-grid nk×nk (error estimate from 3nk/4) (default 48)")
    p.add_argument("--nq", type=int, default=24, help="phonon q-grid of the maps before C3v reduction (default 24)")
    p.add_argument("--npath", type=int, default=12, help="q-points per path segment (default 12)")
    p.add_argument("--nk-integrand", type=int, default=72, help="k-grid of the skew integrand at q = K (default 72)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--quick", action="store_true", help="a coarse smoke run (nk 8, nq 6): minutes → seconds")
    p.add_argument("--out", default="out/figure2", help="output folder (default out/figure2)")
    _resonance_option(p)
    p.set_defaults(func=cmd_figure2)

    p = sub.add_parser("limits", help="analytic-limit checks V5, V6, V7, V9, V11: measured exponent or ratio vs expected "
                                      "(exit status 1 if any check fails)")
    p.add_argument("--nk", type=int, default=24, help="electronic k-grid nk×nk (default 24)")
    p.add_argument("--quick", action="store_true", help="fewer points per fit")
    p.add_argument("--json", action="store_true", help="also print the rows as JSON")
    p.set_defaults(func=cmd_limits)

    p = sub.add_parser("sweep", help="a grid over model and damping parameters × q on Dask, into a resumable "
                                     "Zarr store (xarray; moments in μ_N)",
                       description="The sweep is a TOML file or the name of a shipped example (--list). Runs on a local "
                                   "Dask cluster by default, or on a running scheduler (--scheduler ADDRESS); the "
                                   "store is the checkpoint: a rerun computes only the missing points.")
    p.add_argument("spec", nargs="?", help="TOML spec file or shipped example name (e.g. eta-phase-diagram)")
    p.add_argument("--out", help="the Zarr store (a folder) to create or resume")
    p.add_argument("--list", action="store_true", help="list the shipped example specs")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://host:8786), or 'synchronous' (in this process, no Dask); "
                        "default: a local cluster")
    p.add_argument("--workers", type=int, default=None, help="processes of the local cluster (default: all cores)")
    p.add_argument("--quick", action="store_true", help="shrink the spec to a smoke test (≤3 values, ≤2 q, nk ≤ 8)")
    p.add_argument("--max-tasks", type=int, default=None, metavar="N", help="stop after N tasks (rerun to finish)")
    p.add_argument("--plot", default=None, metavar="PNG", help="also draw the 2-D slice of sweep-plot into PNG")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("sweep-plot", help="a 2-D slice of a sweep store as a PNG (default λ^NA/λ^A)")
    p.add_argument("store", help="the Zarr store written by phonon-moment sweep")
    p.add_argument("--out", default="sweep.png", help="PNG file (default sweep.png)")
    p.add_argument("--quantity", default="ratio", help="'ratio' (λ^NA/λ^A, default) or a variable, e.g. total")
    p.add_argument("--x", default=None, help="swept parameter on the x axis (default: the first)")
    p.add_argument("--y", default=None, help="swept parameter on the y axis (default: the second)")
    p.add_argument("--q", type=int, default=0, help="q-point index (default 0)")
    p.set_defaults(func=cmd_sweep_plot)

    p = sub.add_parser("models", help="list the shipped model files (--model NAME)")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("derive", help="re-derive the formulas with SymPy and write generated/ (or --check it)")
    p.add_argument("--check", action="store_true", help="regenerate into a temporary folder; exit 1 with a diff if stale")
    p.add_argument("--out", default=None, help="output folder (default: the package's generated/)")
    p.add_argument("--test-kernels", default=None, metavar="DIR",
                   help="also print the kernels only tests evaluate (theta_n*.py, theta_dq0_n*.py) into DIR")
    p.set_defaults(func=cmd_derive)

    p = sub.add_parser("notebooks", help="execute the teaching notebooks; write .ipynb copies with outputs and HTML")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--only", default=None, help="only the notebooks whose file name contains this text (e.g. 01)")
    p.add_argument("--no-html", action="store_true", help="write the executed .ipynb only")
    p.set_defaults(func=cmd_notebooks)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .api import AccuracyWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AccuracyWarning)        # the commands print them (and --json lists them)
            return args.func(args)
    except ParameterError as exc:
        parser.exit(2, f"phonon-moment {args.command}: error: {exc}\n")
    except KeyboardInterrupt:
        print(f"phonon-moment {args.command}: interrupted; no partial output was left in place.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
