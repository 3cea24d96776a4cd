"""Benchmark: the resonance treatment at the paper's damping against an independent integration (CONVENTIONS.md §7.1).

At three q (near K, generic, the first q-shell around Γ of Fig. 2's maps, nq = 24) and panel (g)'s damping, the treated
nk = 48 value (numeric/response/resonance.py) of Λ, of its exact split and of the top branch's moment is compared with
adaptive Gauss–Legendre cubature of the plain k-integrand (numeric/verify/zone_quadrature.py), which resolves the
resonance peaks (width ~0.005 1/Å) without knowing where they are. The error estimate (V10: |value(48) − value(36)|,
numeric/apps/scan.py) should bound |treated − reference|. The reference is given at two tolerances from one pass
(``tol`` and 3 × ``tol``); their difference ("ref conv") is how far it is converged.

Λ rows: max over entries, relative to the part's largest entry; moment rows: μ_N per phonon.

Run: python tests/benchmarks/bench_resonance_reference.py [tol]   (~25 min on one core; not collected by pytest)
"""

import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from numeric.apps.figure2 import PAPER_ETAS
from numeric.model.brillouin import uniform_grid
from numeric.model.honeycomb import honeycomb_model
from numeric.model.phonons import Phonons, saito_graphene
from numeric.model.zone import irreducible_wedge
from numeric.response.damping import rates_from_paper
from numeric.response.fast import lambda_generated_rates
from numeric.response.moment import mode_moments, to_nuclear_magnetons
from numeric.response.problem import Problem, coarse_nk
from numeric.verify.zone_quadrature import PARTS, adaptive_zone_integral, lambda_integrand

NK = 48
TOL = 1.5e-4          # the reference's tolerance per unit length (fractional), relative to each part's largest entry
BASE, ORDER, COARSE = 24, 6, 3.0


def first_shell_q(lattice, nq=24):
    """The q of the first shell around Γ in figure2's irreducible wedge (panel h's largest value sits there)."""
    wedge = irreducible_wedge(lattice, nq).k
    return wedge[np.argsort(np.linalg.norm(wedge, axis=1))[1]]


def treated(model, omega, q, rates, nk):
    """Λ's parts on the nk grid with the resonance treatment, (len(PARTS), nsub, nsub)."""
    k, w = uniform_grid(model.lattice, nk)
    out = lambda_generated_rates(Problem(model, k, w, rates), omega, q, [rates], resonances=True)[0]
    return np.array([out[p] for p in PARTS])


def compare(model, phonons, q, rates, tol=TOL, base=BASE, order=ORDER, coarse=COARSE):
    """Rows (part, kind, treated, reference, |error|, estimate, reference convergence) at one q, and the run's cost."""
    omega = float(phonons.energies(q[None])[0, -1])
    value, rough = treated(model, omega, q, rates, NK), treated(model, omega, q, rates, coarse_nk(NK))
    nsub = model.natoms
    scale = np.repeat(np.abs(value).max(axis=(1, 2)), nsub * nsub)
    t = time.perf_counter()
    ref = adaptive_zone_integral(lambda_integrand(model, omega, q, rates), model.lattice.reciprocal, base=base,
                                 tol=tol, scale=scale, order=order, coarse=coarse)
    cost = {"seconds": time.perf_counter() - t, "points": ref.points, "cells": ref.cells, "depth": ref.depth,
            "unresolved": ref.unresolved}
    fine, loose = (v.reshape(value.shape) for v in (ref.value, ref.coarse_value))
    e = phonons.modes(q[None])[1][0][:, -1]
    moment = lambda L: to_nuclear_magnetons(1.0) * mode_moments(L, e, phonons.force_constants.masses).real
    rows = []
    for i, part in enumerate(PARTS):
        size = np.abs(value[i]).max()
        rel = lambda a, b: np.abs(a - b).max() / size
        rows.append((part, "Λ", size, rel(value[i], fine[i]), rel(value[i], rough[i]), rel(fine[i], loose[i])))
        m = [moment(x) for x in (value[i], fine[i], rough[i], loose[i])]
        rows.append((part, "m", m[0], m[1], abs(m[0] - m[1]), abs(m[0] - m[2]), abs(m[1] - m[3])))
    return omega, rows, cost


def main():
    tol = float(sys.argv[1]) if len(sys.argv) > 1 else TOL
    model = honeycomb_model()
    phonons = Phonons(model.lattice, saito_graphene())
    rates = rates_from_paper(*PAPER_ETAS["g"], model.nsub)
    qs = {"first shell": first_shell_q(model.lattice), "near K": np.array([1.291, -0.745]),
          "generic": np.array([0.9, 0.25])}
    print(f"panel (g) damping {PAPER_ETAS['g']} eV; treated nk = {NK}, estimate from nk = {coarse_nk(NK)}; reference: "
          f"{BASE}² base cells, {ORDER}² Gauss points, tol {tol:g} (convergence: against {COARSE:g} × tol)")
    head = f"{'q':>12} {'part':>16} {'':>2} {'treated':>11} {'reference':>11} {'|error|':>9} {'estimate':>9} " \
           f"{'ratio':>6} {'ref conv':>9}"
    with threadpool_limits(limits=1, user_api="blas"):
        for name, q in qs.items():
            omega, rows, cost = compare(model, phonons, q, rates, tol)
            print(f"\n{name}: q = ({q[0]:.4f}, {q[1]:.4f}) 1/Å, ħω = {omega:.5f} eV; reference {cost['points']} points, "
                  f"{cost['cells']} cells, depth {cost['depth']}, {cost['seconds']:.0f} s")
            print(head)
            for part, kind, *numbers in rows:
                if kind == "Λ":
                    size, err, est, conv = numbers
                    print(f"{name:>12} {part:>16} {kind:>2} {'max ' + format(size, '.4g'):>11} {'':>11} {err:9.2e} "
                          f"{est:9.2e} {err / est:6.3f} {conv:9.2e}")
                else:
                    val, ref, err, est, conv = numbers
                    print(f"{name:>12} {part:>16} {kind:>2} {val:11.6g} {ref:11.6g} {err:9.2e} {est:9.2e} "
                          f"{err / est:6.3f} {conv:9.2e}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
