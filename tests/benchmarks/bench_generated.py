"""Benchmark: time per Λ(q) through the generated kernels vs the referee, and the cost of a converged value.

Run: python tests/benchmarks/bench_generated.py   (prints seconds; not collected by pytest)
"""

import time

import numpy as np

from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem
from numeric.response.fast import lambda_generated, lambda_generated_rates
from numeric.model.honeycomb import honeycomb_model
from numeric.model.phonons import Phonons, saito_graphene


def clock(fn, repeat=2):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    model = honeycomb_model()
    rates = rates_from_paper(0.04, 0.04, 0.04)
    K = model.lattice.point("K")
    omega = float(Phonons(model.lattice, saito_graphene()).energies(K)[-1])     # eV, the top branch at K
    print(f"{'nk':>4} {'referee s':>10} {'generated s':>12} {'ratio':>7} {'|ΔΛ|/|Λ|':>10}")
    for nk in (24, 48, 96):
        pb = uniform_problem(model, nk, rates)
        t_ref, ref = clock(lambda: lambda_matrix(pb, omega, K), 1)
        t_gen, gen = clock(lambda: lambda_generated(pb, omega, K))
        err = np.abs(gen["Lambda"] - ref.Lambda).max() / np.abs(ref.Lambda).max()
        print(f"{nk:>4} {t_ref:10.2f} {t_gen:12.2f} {t_ref / t_gen:7.1f} {err:10.1e}")
    print("\nfour damping sets at once (band data and vertices shared), nk = 48:")
    pb = uniform_problem(model, 48, rates)
    sets = [rates_from_paper(*e) for e in ((0.02, 0.002, 0.004), (0.02, 0.02, 0.004), (0.02, 0.004, 0.02),
                                           (0.004, 0.02, 0.04))]
    t4, _ = clock(lambda: lambda_generated_rates(pb, omega, K, sets))
    t1, _ = clock(lambda: lambda_generated(pb, omega, K))
    print(f"  one set {t1:.2f} s, four sets {t4:.2f} s ({t4 / 4:.2f} s per set)")
    print("\nconvergence of Λ^AA at K with the generated path (relative change on doubling nk):")
    prev = None
    for nk in (12, 24, 48, 96):
        pb = uniform_problem(model, nk, rates)
        t, gen = clock(lambda: lambda_generated(pb, omega, K), 1)
        val = gen["Lambda"][0, 0].real
        change = "" if prev is None else f"{abs(val - prev) / abs(val):.1e}"
        print(f"  nk = {nk:3d}  Λ^AA = {val:.8f}  {t:6.2f} s  {change}")
        prev = val


if __name__ == "__main__":
    main()
