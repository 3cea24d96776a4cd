"""Benchmark: band data on a 10⁶-point k-grid, closed-form 2×2 eigen-solution vs batched numpy.linalg.eigh.

Run: python tests/benchmarks/bench_bands.py   (prints seconds and peak memory of each step)
"""

import time
import tracemalloc

import numpy as np

from numeric.model.bands import band_data, eigh2
from numeric.model.brillouin import uniform_grid
from numeric.model.honeycomb import honeycomb_model


def timed(label, fn):
    tracemalloc.start()
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{label:<40} {dt:8.3f} s   peak {peak:8.1f} MiB")
    return out


def main():
    model = honeycomb_model()
    k, _ = uniform_grid(model.lattice, 1000)
    print(f"{len(k)} k-points, honeycomb defaults")
    H = timed("H(k) (vertex machinery)", lambda: model.hamiltonian(k))
    timed("closed-form eigh2", lambda: eigh2(H))
    timed("numpy.linalg.eigh (batched)", lambda: np.linalg.eigh(H))
    timed("velocity ∂H/∂k", lambda: model.velocity(k))
    bd = timed("band_data (all of the above + projection)", lambda: band_data(model, k))
    timed("Berry curvature + orbital moment", lambda: (bd.berry_curvature(), bd.orbital_moment()))


if __name__ == "__main__":
    main()
