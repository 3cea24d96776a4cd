"""Benchmark: the resonance treatment at the paper's damping against an independent integration (CONVENTIONS.md §7.1).

At three q (near K, generic, the first q-shell around Γ of Fig. 2's maps, nq = 24) and panel (g)'s damping, the treated
nk = 48 value (numeric/response/resonance.py) of Λ, of its exact split and of the top branch's moment is compared with
adaptive Gauss–Legendre cubature of the plain k-integrand (numeric/verify/zone_quadrature.py), which resolves the
resonance peaks (width ~0.005 1/Å) without knowing where they are. The error estimate (V10: |value(48) − value(36)|,
numeric/apps/scan.py) should bound |treated − reference|. The reference is given at two tolerances from one pass
(``tol`` and 3 × ``tol``); their difference ("ref conv") is how far it is converged.

Λ rows: max over entries, relative to the part's largest entry; m rows: the moment, μ_N per phonon (zero by the mirror
on the first shell, which lies on Γ–M: rounding only); δl: the top branch's field-induced angular momentum, ħ/T
(panel h's quantity).

Run: python tests/benchmarks/bench_resonance_reference.py [tol [q-names]]   (q-names among first-shell, near-K, generic;
~5–10 min per q on one core; not collected by pytest). CONVENTIONS.md §7.1's table: tol 1.5e-4, and 5e-5 for generic.
"""

import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from numeric.apps.figure2 import PAPER_ETAS
from numeric.model.honeycomb import honeycomb_model
from numeric.model.phonons import Phonons, saito_graphene
from numeric.model.zone import irreducible_wedge
from numeric.response.damping import rates_from_paper
from numeric.response.problem import coarse_nk
from numeric.verify.zone_quadrature import resonance_check

NK = 48
TOL = 1.5e-4          # the reference's tolerance per unit length (fractional), relative to each part's largest entry
BASE, ORDER, COARSE = 24, 6, 3.0


def first_shell_q(lattice, nq=24):
    """The q of the first shell around Γ in figure2's irreducible wedge (panel h's largest value sits there)."""
    wedge = irreducible_wedge(lattice, nq).k
    return wedge[np.argsort(np.linalg.norm(wedge, axis=1))[1]]


def main():
    model = honeycomb_model()
    phonons = Phonons(model.lattice, saito_graphene())
    rates = rates_from_paper(*PAPER_ETAS["g"], model.nsub)
    qs = {"first-shell": first_shell_q(model.lattice), "near-K": np.array([1.291, -0.745]),
          "generic": np.array([0.9, 0.25])}
    tol = float(sys.argv[1]) if len(sys.argv) > 1 else TOL
    names = sys.argv[2:] or list(qs)
    print(f"panel (g) damping {PAPER_ETAS['g']} eV; treated nk = {NK}, estimate from nk = {coarse_nk(NK)}; reference: "
          f"{BASE}² base cells, {ORDER}² Gauss points, tol {tol:g} (convergence: against {COARSE:g} × tol)")
    head = f"{'q':>12} {'part':>16} {'':>2} {'treated':>11} {'reference':>11} {'|error|':>9} {'estimate':>9} " \
           f"{'ratio':>6} {'ref conv':>9}"
    with threadpool_limits(limits=1, user_api="blas"):
        for name in names:
            q = qs[name]
            t = time.perf_counter()
            out = resonance_check(model, phonons, q, rates, nk=NK, tol=tol, base=BASE, order=ORDER, coarse=COARSE)
            cost = out["cost"]
            print(f"\n{name}: q = ({q[0]:.4f}, {q[1]:.4f}) 1/Å, ħω = {out['omega']:.5f} eV; reference {cost['points']} "
                  f"points, {cost['cells']} cells, depth {cost['depth']}; {time.perf_counter() - t:.0f} s")
            print(head)
            for part, kind, val, ref, err, est, conv in out["rows"]:
                shown = (f"{'max ' + format(val, '.4g'):>11} {'':>11}" if kind == "Λ" else f"{val:11.6g} {ref:11.6g}")
                print(f"{name:>12} {part:>16} {kind:>2} {shown} {err:9.2e} {est:9.2e} {err / est:6.3f} {conv:9.2e}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
