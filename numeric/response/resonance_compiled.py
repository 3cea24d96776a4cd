"""The compiled form of the resonance treatment's triangle sums (numeric/response/resonance.py, CONVENTIONS.md §7.1).

:func:`triangle_sums` mirrors :func:`numeric.response.resonance._triangle_sums`, the core of ``_cut_integral``: per
base triangle T, for each of its 4^levels sub-triangles it sorts g_n at the three vertices, takes the second divided
differences F_p[g₁, g₂, g₃] of every order p and damping set (the formulas and SMALL-branches of
``resonance._divided_differences``, Taylor series included), sums them with the P2 weights of the sub-triangle's
centroid into coef[s, p, j], and contracts coef with the residues R at T's six P2 nodes. The NumPy form builds
(nset, nT, nsub, 3) temporaries for the same sums; this one holds one triangle's, and decides the sorting,
the differences of g and their reciprocals once per sub-triangle for all damping sets. The band energies and the
antiderivatives F_p at the vertices stay NumPy's, shared by both forms, so that the cancellations in the divided
differences see the same numbers. The NumPy form is the readable one and the oracle (tests/test_compiled.py,
1e-12 relative); ``numeric.response.compiled.enabled()`` selects between them.

Compiled with ``numba.njit(cache=True)`` on first use (seconds, once per machine: numba's cache sits beside this file).
Constants of resonance.py (SMALL) are arguments, so that cached machine code cannot go stale.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _power(u, n):
    """u^n for an integer n by repeated squaring, as NumPy's complex power treats small integer exponents (numba's
    ``**`` goes through exp and log, several times slower)."""
    result, base, m = 1.0 + 0j, u, abs(n)
    while m:
        if m & 1:
            result = result * base
        m >>= 1
        if m:
            base = base * base
    return 1.0 / result if n < 0 else result


@numba.njit(cache=True, inline="always")
def _derivative(p, u, order):
    """d^order/dx^order of F_p at u = z − x, order ≥ 1 (mirrors resonance._antiderivative)."""
    if order == 1:
        if p == 1:
            return -np.log(u) - 1.0
        return _power(u, 1 - p) / (p - 1)
    coeff = 1.0
    for i in range(order - 2):
        coeff *= p + i
    return coeff * _power(u, 2 - p - order)


@numba.njit(cache=True)
def triangle_sums(F, g, vertex, sub, interp, weight, z, R, where, small2):
    """Σ_sub weight · F_p[g₁, g₂, g₃] · interp[sub] per triangle, contracted with R at its P2 nodes: (nset, 2[ℓ], nT, P)
    (mirrors resonance._triangle_sums, whose docstring gives the arguments; small2 = SMALL²)."""
    orders, npts, nset = F.shape
    nT, nL, P = vertex.shape[0], R.shape[2], R.shape[4]
    out = np.zeros((nset, nL, nT, P), np.complex128)
    nsub = sub.shape[0]
    # one triangle's weighted divided differences (real and imaginary parts apart) and their P2 sums coef = D @ interp
    D = np.empty((nset, orders, 2, nsub))
    weights = np.ascontiguousarray(interp.T)
    coef = np.empty((nset, orders, 6), np.complex128)
    for t in range(nT):
        for i in range(nsub):
            v0, v1, v2 = vertex[t, sub[i, 0]], vertex[t, sub[i, 1]], vertex[t, sub[i, 2]]
            if g[v0] > g[v1]:                      # sorted by g, ties kept in order (np.argsort on three values)
                v0, v1 = v1, v0
            if g[v1] > g[v2]:
                v1, v2 = v2, v1
                if g[v0] > g[v1]:
                    v0, v1 = v1, v0
            a, b, c = g[v0], g[v1], g[v2]
            # what resonance._divided_differences shares between orders, here also between damping sets
            sq01, sq12, sq02 = (a - b) ** 2, (b - c) ** 2, (a - c) ** 2
            mid01, mid12, mid02 = (a + b) / 2, (b + c) / 2, (a + c) / 2
            inv01 = 1.0 / (a - b) if a != b else 0.0          # used only where the nodes are apart (not near)
            inv12 = 1.0 / (b - c) if b != c else 0.0
            inv02 = 1.0 / (a - c) if a != c else 0.0
            for s in range(nset):
                zs = z[s]
                zr, zi2 = zs.real, zs.imag ** 2
                # near(x, y): |x − y| < SMALL |z − (x + y)/2|, without square roots
                close01 = sq01 < small2 * ((zr - mid01) ** 2 + zi2)
                close12 = sq12 < small2 * ((zr - mid12) ** 2 + zi2)
                narrow = sq02 < small2 * ((zr - mid02) ** 2 + zi2)
                u, h2, h3 = zs, 0.0, 0.0
                if narrow:
                    # F[x₀,x₁,x₂] = F''(m)/2 + F⁽⁴⁾(m) h₂/24 + F⁽⁵⁾(m) h₃/120, h_k complete symmetric in x − m
                    mean = (a + b + c) / 3
                    da, db, dc = a - mean, b - mean, c - mean
                    u, h2, h3 = zs - mean, 0.5 * (da ** 2 + db ** 2 + dc ** 2), (da ** 3 + db ** 3 + dc ** 3) / 3.0
                for o in range(orders):
                    p = o + 1
                    if narrow:
                        dd = (_derivative(p, u, 2) / 2 + _derivative(p, u, 4) * h2 / 24
                              + _derivative(p, u, 5) * h3 / 120)
                    else:
                        if close01:                # F[x, y] as a Taylor series about the midpoint
                            f01 = _derivative(p, zs - mid01, 1) + _derivative(p, zs - mid01, 3) * sq01 / 24
                        else:
                            f01 = (F[o, v0, s] - F[o, v1, s]) * inv01
                        if close12:
                            f12 = _derivative(p, zs - mid12, 1) + _derivative(p, zs - mid12, 3) * sq12 / 24
                        else:
                            f12 = (F[o, v1, s] - F[o, v2, s]) * inv12
                        dd = (f01 - f12) * inv02
                    D[s, o, 0, i], D[s, o, 1, i] = weight * dd.real, weight * dd.imag
        for s in range(nset):
            for o in range(orders):
                for j in range(6):
                    re = im = 0.0
                    for i in range(nsub):
                        re += D[s, o, 0, i] * weights[j, i]
                        im += D[s, o, 1, i] * weights[j, i]
                    coef[s, o, j] = complex(re, im)
        for s in range(nset):
            for o in range(orders):
                for j in range(6):
                    cj, node = coef[s, o, j], where[t, j]
                    for L in range(nL):
                        for pp in range(P):
                            out[s, L, t, pp] += cj * R[o, s, L, node, pp]
    return out
