"""Benchmark of the referee: wall time per Λ(q) at several k-grids (prints numbers; not collected by pytest).

Run: python tests/benchmarks/bench_direct.py
"""

import time

import numpy as np

from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem
from numeric.model.honeycomb import honeycomb_model
from numeric.response.moment import mode_moment, to_nuclear_magnetons
from numeric.model.phonons import Phonons, saito_graphene


def main():
    model = honeycomb_model()
    ph = Phonons(model.lattice, saito_graphene())
    rates = rates_from_paper(0.04, 0.04, 0.04)
    points = {"K": model.lattice.point("K"), "generic (0.31, 0.17)": np.array([0.31, 0.17])}
    print(f"{'q':>22} {'nk':>4} {'seconds':>8} {'Λ^AA':>24} {'m_top (μ_N)':>14}")
    for label, q in points.items():
        e, v = ph.modes(q)
        for nk in (24, 48, 96):
            pb = uniform_problem(model, nk, rates)
            t = time.perf_counter()
            res = lambda_matrix(pb, e[-1], q)
            dt = time.perf_counter() - t
            m = to_nuclear_magnetons(mode_moment(res.Lambda, v[:, -1], ph.force_constants.masses).real)
            print(f"{label:>22} {nk:>4} {dt:8.2f} {res.Lambda[0, 0].real:+12.6f}{res.Lambda[0, 0].imag:+11.6f}i {m:+14.6e}")


if __name__ == "__main__":
    main()
