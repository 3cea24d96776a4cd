"""Benchmark: wall time and peak memory of `phonon-moment figure2` at the defaults, and how its cost grows with the k- and
q-grids (CONVENTIONS.md §7, §11).

Run: python tests/benchmarks/bench_figure2.py [--full | --resonance]   (prints seconds and MiB; not collected by pytest)
Without --full only the scaling table is printed (the default run takes minutes). --resonance prints only the CPU time
of the resonance treatment (numeric/response/resonance.py) inside one process's scan, in the compiled and the NumPy
form (numeric/response/compiled.py; the NumPy form runs the eq4 kernels in NumPy too), at K and on every sixth q of
the nq = 24 wedge (19 q), nk = 48, the four damping sets of Fig. 2 (~5 min).
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
from numeric.response import compiled, resonance

ETAS = [(0.02, 0.002, 0.004), (0.02, 0.02, 0.004), (0.02, 0.004, 0.02), (0.004, 0.02, 0.04)]


def timed_scan(nk, nq=None, nsets=4, resonances=True):
    model = honeycomb_model()
    ph = Phonons(model.lattice, saito_graphene())
    q = irreducible_wedge(model.lattice, nq).k if nq else np.array([model.lattice.point("K")])
    t = time.perf_counter()
    scan_branch(model, ph, q, branch=3, etas=ETAS[:nsets], nk=nk, progress=False, resonances=resonances)
    return time.perf_counter() - t, len(q)


def resonance_cpu(q, nk=48, repeat=3):
    """Median CPU seconds of a one-process scan at the q-points (nq, 2) and of the resonance treatment in it
    (pole_part_correction, which numeric/response/fast.py imports at each call), after a warm-up scan."""
    model = honeycomb_model()
    ph = Phonons(model.lattice, saito_graphene())
    inner, spent = resonance.pole_part_correction, [0.0]

    def timed(*args):
        t = time.process_time()
        try:
            return inner(*args)
        finally:
            spent[0] += time.process_time() - t

    resonance.pole_part_correction = timed
    try:
        runs = []
        for _ in range(repeat + 1):
            spent[0], t = 0.0, time.process_time()
            scan_branch(model, ph, q, branch=3, etas=ETAS, nk=nk, progress=False, workers=1)
            runs.append((time.process_time() - t, spent[0]))
    finally:
        resonance.pole_part_correction = inner
    return np.median(runs[1:], axis=0)


def resonance_table():
    lattice = honeycomb_model().lattice
    qs = {"K": np.array([lattice.point("K")]), "wedge (19 q)": irreducible_wedge(lattice, 24).k[::6]}
    print("CPU s of a one-process scan, nk = 48, 4 damping sets (median of 3), and of its resonance treatment:")
    print(f"{'q':>14} {'form':>9} {'scan':>8} {'resonance':>10}")
    for name, q in qs.items():
        for form in (True, False):
            previous = compiled.use(form)
            try:
                scan, treatment = resonance_cpu(q)
            finally:
                compiled.use(previous)
            print(f"{name:>14} {'compiled' if form else 'NumPy':>9} {scan:8.2f} {treatment:10.2f}")


def main():
    if "--resonance" in sys.argv:
        resonance_table()
        return
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
