"""Benchmark / convergence table of the magnetic-supercell Born–Oppenheimer λ (numeric.verify.supercell). A script, not a test.

Prints, for the honeycomb parameters t = −2.8 eV, Δ = 1 eV, β = 3.37, a0 = 1.42 Å with the Peierls path on the
displaced bonds (t′ = 0, where λ ≠ 0 needs it) and, at the end, the default equilibrium path with t′ = 0.3 eV (the
V7 comparison with the referee, tests/test_adiabatic.py):

1. λ^{ab}_BO from ``born_oppenheimer_lambda`` with pairs (L, 0…3) for several L and nκ, with the quadratic-fit
   value, the odd-fit value, the error estimate, the fit residual and the wall time;
2. the slope ω^{AA}/B at single fields against the Bloch grid nκ (finite-size convergence in L·nκ);
3. a small-field extrapolation ω^{AA}/B = c1 + c3 B² (+ c5 B⁴) over converged points → the reference λ^{AA} = ½ c1.

Run: ``python tests/benchmarks/bench_supercell.py`` (a few minutes on 2 cores; on a loaded machine set
OPENBLAS_NUM_THREADS=1: small dense eigh is then much faster).
"""

from __future__ import annotations

import time

import numpy as np

from numeric.model.honeycomb import honeycomb_model
from numeric.verify.supercell import born_oppenheimer_lambda, molecular_geometry
from numeric.units import TESLA_PER_NATURAL_FIELD


def omega_aa(model, L, n, nk):
    geo = molecular_geometry(model, L, n, nk)
    c = geo.curvature
    return 0.5 * (c[0, 0, 0, 1] - c[0, 1, 0, 0]), 0.5 * (c[0, 0, 1, 1] - c[0, 1, 1, 0]), geo.B


def main():
    model = honeycomb_model(peierls="displaced")
    print("honeycomb: t = -2.8 eV, Δ = 1 eV, t' = 0, β = 3.37, a0 = 1.42 Å, displaced Peierls path;  λ in units of e\n")

    print("1. born_oppenheimer_lambda, pairs (L, 0), (L, 1), (L, 2), (L, 3)")
    print(f"{'L':>3} {'nκ':>3} {'Bmax/T':>7} {'λAA (quad)':>13} {'λBB':>13} {'λAB':>10} {'λAA (odd)':>13} "
          f"{'err est':>9} {'resid/Å⁻²':>10} {'time/s':>7}")
    for L, nk in [(12, 1), (12, 2), (12, 3), (16, 2), (18, 2), (24, 1), (24, 2)]:
        t = time.perf_counter()
        r = born_oppenheimer_lambda(model, pairs=[(L, n) for n in range(4)], nkappa=nk)
        dt = time.perf_counter() - t
        print(f"{L:>3} {nk:>3} {r.B_values.max() * TESLA_PER_NATURAL_FIELD:7.0f} {r.lam[0, 0]:13.8f} "
              f"{r.lam[1, 1]:13.8f} {r.lam[0, 1]:10.1e} {r.lam_odd[0, 0]:13.8f} {r.error_estimate[0, 0]:9.1e} "
              f"{r.residual[0, 0]:10.1e} {dt:7.1f}")

    print("\n2. finite size: ω^AA/B and ω^AB/B at one field vs nκ (torus L·nκ)")
    for L, n in [(12, 1), (18, 1), (24, 1)]:
        for nk in (1, 2, 3) if L < 24 else (1, 2):
            t = time.perf_counter()
            waa, wab, B = omega_aa(model, L, n, nk)
            print(f"   L = {L:2d} n = {n} nκ = {nk}  B = {B:.4e} ({B * TESLA_PER_NATURAL_FIELD:5.0f} T)  "
                  f"ω^AA/B = {waa / B:.10f}  ω^AB/B = {wab / B:+.1e}  ({time.perf_counter() - t:.1f} s)")

    print("\n3. small-field extrapolation of converged slopes (L·nκ ≥ 36 or 48)")
    pts = [(12, 1, 4), (16, 1, 3), (18, 1, 3), (20, 1, 2), (24, 1, 2), (24, 2, 2), (24, 3, 2), (12, 2, 3), (12, 3, 3)]
    B, y = [], []
    for L, n, nk in pts:
        waa, _, b = omega_aa(model, L, n, nk)
        B.append(b)
        y.append(waa / b)
    B, y = np.array(B), np.array(y)
    for deg, label in [(1, "c1 + c3 B²"), (2, "c1 + c3 B² + c5 B⁴")]:
        for cut in (np.inf, 5e-3):
            sel = B < cut
            A = np.vander(B[sel] ** 2, deg + 1, increasing=True)
            c, *_ = np.linalg.lstsq(A, y[sel], rcond=None)
            print(f"   {label:<20} B < {cut:<6}: λ^AA = ½ c1 = {0.5 * c[0]:.7f}   c3 = {c[1]:.2f} Å⁴")


def v7_table():
    """Odd-fit λ^AA_BO against L for the default (equilibrium) Peierls path at t′ = 0.3 eV."""
    model = honeycomb_model(tprime=0.3)
    print("\n4. V7 reference: equilibrium Peierls path, t' = 0.3 eV, odd fit over n = 0..3")
    for L in (12, 24, 36):
        t = time.perf_counter()
        r = born_oppenheimer_lambda(model, pairs=[(L, n) for n in range(4)], nkappa=1)
        print(f"   L = {L:2d}  λAA (odd) = {r.lam_odd[0, 0]:.8f}  λAB = {r.lam_odd[0, 1]:.8f}  "
              f"({time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
    v7_table()
