"""Benchmark: wall time and peak memory of `phonon-moment figure2` at the defaults, and how its cost grows with the k- and
q-grids (CONVENTIONS.md §7, §11).

Run: python tests/benchmarks/bench_figure2.py [--full]   (prints seconds and MiB; not collected by pytest)
Without --full only the scaling table is printed (the default run takes minutes).
"""

import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from numeric.model.honeycomb import honeycomb_model
from numeric.model.phonons import Phonons, saito_graphene
from numeric.apps.scan import scan_branch
from numeric.model.zone import irreducible_wedge


def timed_scan(nk, nq=None, nsets=4, resonances=True):
    model = honeycomb_model()
    ph = Phonons(model.lattice, saito_graphene())
    q = irreducible_wedge(model.lattice, nq).k if nq else np.array([model.lattice.point("K")])
    etas = [(0.02, 0.002, 0.004), (0.02, 0.02, 0.004), (0.02, 0.004, 0.02), (0.004, 0.02, 0.04)][:nsets]
    t = time.perf_counter()
    scan_branch(model, ph, q, branch=3, etas=etas, nk=nk, progress=False, resonances=resonances)
    return time.perf_counter() - t, len(q)


def main():
    print("cost of one q-point at K (4 damping sets, the nk and 3nk/4 grids), with and without the resonance treatment:")
    print(f"{'nk':>4} {'s / q':>8} {'uniform':>8}")
    for nk in (24, 48, 72, 96):
        t, _ = timed_scan(nk)
        u, _ = timed_scan(nk, resonances=False)
        print(f"{nk:>4} {t:8.2f} {u:8.2f}")
    print("\ncost of a zone map at nk = 24 against the q-grid:")
    print(f"{'nq':>4} {'wedge q':>8} {'s':>8}")
    for nq in (6, 12, 18):
        t, n = timed_scan(24, nq)
        print(f"{nq:>4} {n:>8} {t:8.2f}")
    if "--full" in sys.argv:
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "numeric.cli", "figure2", "--out", out], check=True)
            wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"\nfigure2 at the defaults: {wall:.0f} s wall, peak resident {peak:.0f} MiB (largest process)")


if __name__ == "__main__":
    main()
