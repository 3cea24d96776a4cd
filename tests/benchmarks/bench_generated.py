"""Benchmark: one Λ(q) through the generated kernels, NumPy form and compiled form, against the referee as yardstick.

Run: python tests/benchmarks/bench_generated.py [--quick]   (prints seconds; not collected by pytest)

Prints, in one run, on one core (BLAS threads pinned to 1), CPU seconds of this process (``time.process_time``: on a
shared machine wall time measures the neighbours), medians of several runs, the five figures of the compiled fast path:
the yardstick (one referee Λ(K) at nk = 48); 1. the generated path at a generic q on the same grid in both forms after
warm-up, their agreement with the referee and the compiled form's compile time from an empty cache; 2. Λ(K) at nk = 96
without resonance treatment (the converged value, 1e-4), on the little group's k-points and on all of them, and through
``numeric.moment``; 3. ``phonon-moment figure2`` at the defaults (wall time, both cores; skipped by ``--quick``); 4. the
growth of the cost with nk, with the number of q-points and with the number of bands (N = 2, 3, 4); and the compiled
kernels' operation rate (operations counted in the printed source; a complex multiply counts as one). The fifth figure,
the test suite's time, is CI's. ``--quick`` also skips the referee at nk = 48 and uses nk = 24 as yardstick instead.
"""

import ast
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("PHONON_MOMENT_CACHE", tempfile.mkdtemp(prefix="bench-generated-"))   # empty: a cold compile

import numpy as np  # noqa: E402

from numeric.model.honeycomb import honeycomb_model  # noqa: E402
from numeric.model.phonons import Phonons, saito_graphene  # noqa: E402
from numeric.model.random_model import gap_midpoint, random_model  # noqa: E402
from numeric.response import compiled  # noqa: E402
from numeric.response.damping import Rates, rates_from_paper  # noqa: E402
from numeric.response.direct import lambda_matrix, uniform_problem  # noqa: E402
from numeric.response.fast import lambda_generated_rates  # noqa: E402
from numeric.response.little_group import little_group  # noqa: E402
from numeric.api import graphene_phonons, moment  # noqa: E402

GENERIC_Q = np.array([0.5137, 0.2291])           # 1/Å: no symmetry of the lattice maps it to itself
OMEGA = float(Phonons(honeycomb_model().lattice, saito_graphene()).energies(
    honeycomb_model().lattice.point("K"))[-1])      # eV, the top branch at K, from the phonons


def median_time(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        times.append(time.process_time() - t)
    return statistics.median(times), out


class KernelClock:
    """Time spent inside the compiled drivers, and the operations they performed (counted in the printed source)."""

    def __init__(self):
        self.seconds, self.ops = 0.0, 0.0          # CPU seconds
        self._call = compiled.call

    def __enter__(self):
        def timed(gen, name, args, shape):
            t = time.process_time()
            out = self._call(gen, name, args, shape)
            self.seconds += time.process_time() - t
            self.ops += operations(gen, name) * np.prod(shape)
            return out
        compiled.call = timed
        return self

    def __exit__(self, *exc):
        compiled.call = self._call


_OPS = {}


def operations(gen, name):
    """Arithmetic operations of one evaluation of the printed function (binary and unary operators, _recip)."""
    key = (gen.__name__, name)
    if key not in _OPS:
        tree = ast.parse(inspect.getsource(getattr(gen, name)))
        _OPS[key] = sum(isinstance(n, (ast.BinOp, ast.UnaryOp)) or (isinstance(n, ast.Call) and
                        getattr(n.func, "id", "") == "_recip") for n in ast.walk(tree))
    return _OPS[key]


def lam(pb, q, rates, form, **kw):
    compiled.use(form == "compiled")
    return lambda_generated_rates(pb, OMEGA, q, rates, **kw)[0]


def main():
    quick = "--quick" in sys.argv
    model = honeycomb_model()
    rates = [rates_from_paper(0.04, 0.04, 0.04)]
    K = model.lattice.point("K")
    nk_ref = 24 if quick else 48
    pb = uniform_problem(model, nk_ref, rates[0])
    print(f"CPU time of one process, one thread; medians of 5 runs (referee 2, nk = 96 and growth 3). "
          f"numba cache: {os.environ['PHONON_MOMENT_CACHE']}")

    t_ref, ref = median_time(lambda: lambda_matrix(pb, OMEGA, K), 2)
    print(f"\nyardstick: referee Λ(K), nk = {nk_ref}: {t_ref:.2f} s")

    print(f"\n1. generic q = {GENERIC_Q} 1/Å, nk = {nk_ref}, one damping set")
    t = time.process_time()
    lam(pb, GENERIC_Q, rates, "compiled")
    first = time.process_time() - t
    t_c, gen_c = median_time(lambda: lam(pb, GENERIC_Q, rates, "compiled"))
    t_n, gen_n = median_time(lambda: lam(pb, GENERIC_Q, rates, "numpy"))
    ref_q = lambda_matrix(pb, OMEGA, GENERIC_Q).Lambda
    err = np.abs(gen_c["Lambda"] - ref_q).max() / np.abs(ref_q).max()
    agree = np.abs(gen_c["Lambda"] - gen_n["Lambda"]).max() / np.abs(gen_n["Lambda"]).max()
    print(f"   first call − later calls: {first - t_c:.1f} s (numba compiling the N = 2 drivers Λ uses if the cache "
          f"directory was empty, else loading them)")
    print(f"   NumPy form    {t_n * 1e3:8.1f} ms   {t_ref / t_n:6.1f}× the yardstick")
    print(f"   compiled form {t_c * 1e3:8.1f} ms   {t_ref / t_c:6.1f}× the yardstick   (target ≥ 100×)")
    print(f"   |Λ_compiled − Λ_referee| / |Λ| = {err:.1e};  |Λ_compiled − Λ_NumPy| / |Λ| = {agree:.1e}")
    compiled.use(True)
    with KernelClock() as clock:
        lam(pb, GENERIC_Q, rates, "compiled")
    print(f"   of which compiled kernels {clock.seconds * 1e3:.1f} ms: {clock.ops:.3g} operations, "
          f"{clock.ops / clock.seconds / 1e9:.2f} G operations/s; the rest is input preparation (band data, vertices)")

    print("\n2. Λ(K), nk = 96, generated, resonances off (converged to 1e-4)")
    pb96 = uniform_problem(model, 96, rates[0])
    t96, _ = median_time(lambda: lam(pb96, K, rates, "compiled"), 3)
    t96_all, _ = median_time(lambda: lam(pb96, K, rates, "compiled", symmetry=False), 3)
    print(f"   {t96 * 1e3:.0f} ms = {100 * t96 / t_ref:.1f} % of the yardstick (target ≤ 3 %), on the little group's "
          f"{len(little_group(model, K, 96).k)} of 9216 k-points; on all of them {t96_all * 1e3:.0f} ms")
    phonons = graphene_phonons(model)
    for what, kw in (("numeric.moment(..., whole=False, error_estimate=False)", dict(whole=False, error_estimate=False)),
                     ("numeric.moment(...) (+ whole moment)", dict(error_estimate=False)),
                     ("numeric.moment(...) (+ whole moment + k-grid estimate on nk = 72)", {})):
        call = partial(moment, model, phonons, "K", nk=96, method="generated", resonances=False, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
            tm, _ = median_time(call, 3)
        print(f"   {what}: {tm * 1e3:.0f} ms = {100 * tm / t_ref:.1f} %")

    if not quick:
        print("\n3. `phonon-moment figure2` at the defaults (two worker processes), wall time and peak memory")
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "numeric.cli", "figure2", "--out", out], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - t
            summary = json.loads((Path(out) / "summary.json").read_text())
        peak = max(summary["peak_rss_MiB"].values())
        worst = max(summary["panel_error"].values())
        print(f"   {wall:.0f} s wall = {wall / t_ref:.1f}× the yardstick (target ≤ 12×), peak {peak:.0f} MiB, "
              f"largest panel error estimate {worst:.1e} of its maximum (1e-3 required); the numba cache was this "
              f"run's, warm from the items above")

    print("\n4a. growth with nk (Λ at the generic q, one set)")
    print(f"   {'nk':>4} {'NumPy ms':>10} {'compiled ms':>12} {'ratio':>6}")
    for nk in (24, 48, 96):
        p = uniform_problem(model, nk, rates[0])
        tn, _ = median_time(lambda: lam(p, GENERIC_Q, rates, "numpy"), 3)
        tc, _ = median_time(lambda: lam(p, GENERIC_Q, rates, "compiled"), 3)
        print(f"   {nk:>4} {tn * 1e3:10.1f} {tc * 1e3:12.1f} {tn / tc:6.1f}")

    print(f"\n4b. growth with the number of q-points (nk = {nk_ref}, compiled, one process, q along Γ–K)")
    for nq in (1, 4, 16):
        qs = [K * (i + 1) / nq for i in range(nq)]
        t, _ = median_time(lambda: [lam(pb, q, rates, "compiled") for q in qs], 3)
        print(f"   {nq:>3} q-points {t:7.2f} s  ({t / nq * 1e3:.0f} ms per q)")

    print(f"\n4c. growth with the number of bands N (random models, nk = {nk_ref}, generic q; N = 4 is derived on first "
          "use and cached, CONVENTIONS.md §7.2)")
    for nb in (2, 3, 4):
        m = random_model(nb, 0)
        r = [Rates(0.03, tuple(0.01 + 0.005 * i for i in range(nb)))]
        p = uniform_problem(m, nk_ref, r[0], mu=gap_midpoint(m))
        t = time.process_time()
        lam(p, GENERIC_Q, r, "compiled")
        first = time.process_time() - t
        tc, _ = median_time(lambda: lam(p, GENERIC_Q, r, "compiled"), 3)
        tn, _ = median_time(lambda: lam(p, GENERIC_Q, r, "numpy"), 3)
        print(f"   N = {nb}: NumPy {tn * 1e3:8.1f} ms, compiled {tc * 1e3:8.1f} ms ({tn / tc:.1f}×), "
              f"first call {first:.1f} s (compiling the N-band drivers, and for N = 4 deriving the kernels, if not cached)")


if __name__ == "__main__":
    main()
