"""θ²'s intraband resonances, integrated analytically where a uniform grid cannot resolve them (CONVENTIONS.md §7.1).

The problem. The force route's θ² = Tr ρ_wA F (Eq. 3) contains the second-order coherence between |n, k⟩ and
|n, k+q⟩ of one band n, whose denominator (Eq. 5 read, CONVENTIONS.md §1)

    D_n(k) = −ω + iη_p − ε_n(k) + ε_n(k+q) + 2iγ_n

vanishes near the curves g_n(k) ≡ ε_n(k+q) − ε_n(k) = ω. With γ = 0 the idempotency of ρ cancels its residue; with
damping it survives, and the k-integrand of ∂_{q₀}∂_ω θ² carries peaks of width (η_p + 2γ_n)/|∇g_n|, much narrower
than the grid spacing and much taller than the smooth integrand, which nearly cancel on integration. A uniform grid
samples them at random: θ² and λ^A scatter between grids, while at γ = 0 they converge (sizes: CONVENTIONS.md §7.1).

The decomposition. At fixed k the kernel is a rational function of the complex frequency whose only poles near the
real axis are ω_n(k) = g_n(k) + i(η_p + 2γ_n) (interband poles lie ≳ 2Δ − ω away):

    I(k; ω) = Σ_n Σ_{p=1}^{4} R_{n,p}(k) / (ω − ω_n(k))^p + S(k; ω),

with R and S smooth in k. The R are exact Laurent coefficients (:func:`_laurent`), from the derived kernel printed as
the rational function of ω it is (generated theta2_poles, derive/poles.py). Then, with z_n = ω − i(η_p + 2γ_n),

    Σ_k w I  →  Σ_uniform w I  +  Σ_{T ∈ S} ( ∫_T Σ R̃_{n,p} (z_n − g_n)^{−p} dk − trapezoid_T[P] ),

over the base triangles T of the uniform grid (two per grid cell) where band n's pole part P varies too fast for the
trapezoidal rule (spread of g_n over T > :data:`SPREAD` × (distance of ω from it + width)), each band on its own
triangles. Each such T is cut into 4^:data:`LEVELS` triangles on which g_n, computed exactly at their vertices, is
linear; R̃ is interpolated quadratically from T's vertices and its neighbours' far vertices (:func:`_quadratic_weights`);
and ∫ (z − g)^{−p} over a triangle with linear g is exact, 2A · F[g₁, g₂, g₃], the second divided difference of the
second antiderivative F (Hermite–Genocchi). θ¹ and θ³ have no such denominators (their resonant coherences are first
order, between states of equal occupation, hence zero) and are left on the uniform grid.

Where R itself varies faster than its quadratic interpolant follows — near K and K′, on the Dirac scale Δ/v_F ≈ 0.17
1/Å, which matters when the resonance curves are small loops there (q near Γ) — a triangle is replaced by its four
children on the grid of half the spacing, with residues computed at their own nodes, recursively up to LEVELS times
(:func:`_rough` decides, against the size of the term itself, so that generic q, where θ² is large, are rarely refined).

The sums over sub-triangles (:func:`_triangle_sums`) run compiled by numba (numeric/response/resonance_compiled.py)
unless the NumPy form is selected (``numeric.response.compiled``: ``PHONON_MOMENT_KERNELS=numpy``); the NumPy form is
the oracle (tests/test_compiled.py).
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..model.bands import diagonalize
from ..model.brillouin import uniform_grid
from ..validation import ParameterError
from . import compiled

SPREAD = 0.5        # a base triangle is treated analytically when max g − min g > SPREAD × (distance + width)
LEVELS = 3          # each treated triangle is cut into 4^LEVELS, on which g is taken linear
SMALL = 2e-3        # relative spread below which divided differences use their Taylor series (tests: ≤ 1e-9)
REFINE = 10.0       # refine where R's interpolation error per unit area > REFINE × |θ²| (_rough; CONVENTIONS §7.1)


def _uniform_nk(problem) -> int:
    nk = int(round(np.sqrt(len(problem.k))))
    if nk * nk != len(problem.k) or not np.allclose(problem.k, uniform_grid(problem.model.lattice, nk)[0], atol=1e-12):
        raise ParameterError("the resonance treatment needs the Γ-centred uniform grid (brillouin.uniform_grid) as the "
                             "problem's k-points: build the problem with uniform_problem, or pass resonances=False.")
    return nk


def _triangles(reciprocal, nk: int) -> np.ndarray:
    """Integer grid coordinates (2nk², 3, 2), not reduced modulo nk, of the base triangles: each cell cut along its
    short diagonal, so that the triangles are equilateral on the hexagonal lattice."""
    i, j = np.meshgrid(np.arange(nk), np.arange(nk), indexing="ij")
    o = np.stack([i.ravel(), j.ravel()], -1)
    e1, e2, e12 = np.array([1, 0]), np.array([0, 1]), np.array([1, 1])
    b1, b2 = reciprocal
    if np.linalg.norm(b1 + b2) <= np.linalg.norm(b1 - b2):
        return np.concatenate([np.stack([o, o + e1, o + e12], 1), np.stack([o, o + e12, o + e2], 1)])
    return np.concatenate([np.stack([o, o + e1, o + e2], 1), np.stack([o + e1, o + e12, o + e2], 1)])


def _quadratic_weights(lam: np.ndarray) -> np.ndarray:
    """Weights (n, 6) of the nodes (v₀, v₁, v₂, w₀, w₁, w₂) that interpolate quadratically at points with barycentrics
    lam (n, 3) in the triangle v: w_i = v_j + v_k − v_i are the far vertices of the three neighbouring triangles, so
    the w's span a triangle twice the size with the v's at its edge midpoints (the P2 Lagrange element), whose
    barycentrics are μ_i = (1 − λ_i)/2."""
    mu = (1.0 - lam) / 2
    corner = mu * (2 * mu - 1)
    mid = 4 * np.stack([mu[:, 1] * mu[:, 2], mu[:, 0] * mu[:, 2], mu[:, 0] * mu[:, 1]], -1)
    return np.concatenate([mid, corner], -1)


def _subdivision(levels: int):
    """Barycentric coordinates times 2^levels (integers) of the vertices (nv, 3) of the 4^levels congruent
    sub-triangles of a triangle, and their vertex indices (4^levels, 3)."""
    m = 2**levels
    index, bary = {}, []
    for a in range(m + 1):
        for b in range(m + 1 - a):
            index[a, b] = len(bary)
            bary.append((m - a - b, a, b))
    tris = []
    for a in range(m):
        for b in range(m - a):
            tris.append((index[a, b], index[a + 1, b], index[a, b + 1]))
            if a + b < m - 1:
                tris.append((index[a + 1, b], index[a + 1, b + 1], index[a, b + 1]))
    return np.array(bary), np.array(tris)


def _antiderivative(p: int, z, x, order: int):
    """d^order/dx^order of F_p, where F_p'' = (z − x)^{−p} (F_p: second antiderivative; order ≥ 0)."""
    u = z - x
    if order == 0:                                  # F_1 = u log u, F_2 = −log u, F_p = u^{2−p}/((p−1)(p−2))
        return u * np.log(u) if p == 1 else -np.log(u) if p == 2 else u ** (2 - p) / ((p - 1) * (p - 2))
    if order == 1:                                  # F_1' = −log u − 1, F_p' = u^{1−p}/(p − 1)
        return -np.log(u) - 1.0 if p == 1 else u ** (1 - p) / (p - 1)
    k = order - 2                                   # (d/dx)^k (z − x)^{−p} = (p)_k (z − x)^{−p−k}
    coeff = np.prod([p + i for i in range(k)]) if k else 1.0
    return coeff * u ** (-p - k)


def _divided_differences(z, g, F):
    """{p: F_p[g₁, g₂, g₃]} for real g (..., 3) sorted ascending along the last axis, z (...) off the real axis and
    F = {p: F_p(z, g)} (..., 3); stable for near-equal nodes (Taylor series about the mean or the pair's midpoint where
    the nodes are closer than SMALL × their distance from z). The masks and the differences of g are shared by all p."""
    shape = np.broadcast_shapes(np.shape(z), g.shape[:-1])
    z, g = np.broadcast_to(z, shape), np.broadcast_to(g, shape + (3,))
    zr, zi2 = z.real, z.imag**2

    def near(x, y):                               # |x − y| < SMALL |z − (x + y)/2|, without square roots
        return (x - y) ** 2 < SMALL**2 * ((zr - (x + y) / 2) ** 2 + zi2)

    pairs = {}
    for i, j in ((0, 1), (1, 2)):
        x, y = g[..., i], g[..., j]
        close = near(x, y)
        pairs[i, j] = (close, 1.0 / np.where(close, 1.0, x - y))
    a, c = g[..., 0], g[..., 2]
    narrow = near(a, c)
    inv_ac = 1.0 / np.where(narrow, 1.0, a - c)
    out = {}
    for p, Fp in F.items():
        Fp = np.broadcast_to(Fp, shape + (3,))
        first = []
        for (i, j), (close, inv) in pairs.items():   # F[g_i, g_j], Taylor about the midpoint where they nearly coincide
            f = (Fp[..., i] - Fp[..., j]) * inv
            if close.any():
                xs, ys, zs = g[..., i][close], g[..., j][close], z[close]
                mm = (xs + ys) / 2
                f[close] = _antiderivative(p, zs, mm, 1) + _antiderivative(p, zs, mm, 3) * (xs - ys) ** 2 / 24
            first.append(f)
        o = (first[0] - first[1]) * inv_ac
        if narrow.any():
            # F[x₀,x₁,x₂] = F''(m)/2 + F⁽⁴⁾(m) h₂/24 + F⁽⁵⁾(m) h₃/120, h_k complete symmetric polynomials of x − m.
            gs, zs = g[narrow], z[narrow]
            m = gs.mean(axis=-1)
            d = gs - m[..., None]
            h2, h3 = 0.5 * (d**2).sum(-1), (d**3).sum(-1) / 3.0
            o[narrow] = (_antiderivative(p, zs, m, 2) / 2 + _antiderivative(p, zs, m, 4) * h2 / 24
                         + _antiderivative(p, zs, m, 5) * h3 / 120)
        out[p] = o
    return out


def _bands_pair(model, k, q):
    return diagonalize(model.hamiltonian(k))[0], diagonalize(model.hamiltonian(k + q))[0]


def _check_interband(e0, eq, width):
    """R must be smooth on the scale of the resonance: an interband pole ε_m(k+q) − ε_n(k), m ≠ n, must stay farther
    than the widths from every intraband one (with a gap larger than ω they lie ≳ 2Δ − ω away). e0, eq: (npts, nb)
    energies at k and k + q."""
    d = eq[:, None, :] - e0[:, :, None]                                                   # (npts, n, m)
    nb = d.shape[-1]
    intra = d[:, np.arange(nb), np.arange(nb)]
    inter = d[:, ~np.eye(nb, dtype=bool)]
    gap = np.abs(intra[:, :, None] - inter[:, None, :]).min() if inter.size else np.inf
    if gap < width:
        raise ParameterError(
            f"an interband pole of the θ² kernel comes within {gap:.3g} eV of an intraband one (needs > {width:.3g} eV, "
            "the largest resonance width η_p + 2γ): the resonance treatment does not apply to this model; pass "
            "--no-resonances (resonances=False).")


def _laurent(poles, exponents, coefficients, j):
    """Laurent coefficients R_p, p = 1 … max_m e_mj, about the pole ω_j of K(ω) = Σ_m C_m Π_i (ω − ω_i)^{−e_mi}
    (generated theta2_poles, derive/poles.py). With t = ω − ω_j and δ_i = ω_i − ω_j, the other factors are analytic
    at t = 0,

        (ω − ω_i)^{−e} = (t − δ_i)^{−e} = (−δ_i)^{−e} Σ_s C(e + s − 1, s) (t/δ_i)^s,

    so R_p = Σ_{m: e_mj ≥ p} C_m [t^{e_mj − p}] Π_{i≠j} (t − δ_i)^{−e_mi}: exact, no contour. Only the poles that
    multiply ω_j in some C_m enter (for θ², interband ones; the two intraband poles never share a term, so they may
    coincide)."""
    R = [0.0] * int(exponents[:, j].max())
    # Terms that vanish at every point add nothing (in an insulator at T = 0, those of the cubic and quartic orders).
    terms = [(e, C) for e, C in zip(exponents, coefficients) if e[j] > 0 and np.any(C)]
    length = max((int(e[j]) for e, _ in terms), default=0)
    factors = {}                                               # (i, e) → Taylor coefficients of (t − δ_i)^{−e}
    for e, C in terms:
        a = int(e[j])
        series = [1.0] + [0.0] * (a - 1)                       # Taylor coefficients of Π_{i≠j} in t, up to t^{a−1}
        for i, ei in enumerate(e):
            if i == j or ei == 0:
                continue
            if (i, ei) not in factors:                         # the same factor recurs in many terms m
                d = poles[i] - poles[j]
                factors[i, ei] = [comb(int(ei) + s - 1, s) * (-d) ** (-int(ei)) * d ** (-s) for s in range(length)]
            factor = factors[i, ei]
            series = [sum(series[r] * factor[s - r] for r in range(s + 1)) for s in range(a)]
        for p in range(1, a + 1):
            R[p - 1] = R[p - 1] + C * series[a - p]
    return R


def _residues(layout, model, k, q, widths, n):
    """Laurent coefficients R_{n,p}(k) of band n's intraband pole at the points k (npts, 2) (:func:`_laurent` on
    theta2_poles of ``layout``, a :class:`numeric.response.fast._Contracted` at those points): shape (orders, nset, 2[ℓ], npts,
    P), trailing orders that vanish identically dropped (for an insulator at T = 0 the cubic and quartic ones do: their
    coefficients carry f_n(k) − f_n(k+q) or f'_n, exactly zero); g_n(k) (npts,); and the one-hot map (P, nsub²) of the
    pairs onto the entries (a, b) of Λ that Eq. (4) sums them into."""
    e0, eq = _bands_pair(model, k, q)
    g = eq - e0
    _check_interband(e0, eq, widths.max())
    poles, bands, exponents, coefficients = layout.theta2_poles()
    j = bands.index((n, n))
    expected = (g[:, n][None] + 1j * widths[:, n, None])[:, None, :, None]                 # (nset, 1, npts, 1)
    if not np.allclose(poles[j], expected, rtol=0, atol=1e-9):
        raise RuntimeError(f"generated pole {j} is not band {n}'s intraband pole g_n + i(η_p + 2γ_n)")
    # The poles depend on the damping set and k only: their series are taken on that shape, (nset, 1, npts, 1).
    R = _laurent([pole[:, :1, :, :1] for pole in poles], exponents, coefficients, j)
    while len(R) > 1 and not np.any(R[-1]):
        R.pop()
    return np.stack(np.broadcast_arrays(*R)), g[:, n], layout.entries()


def _distinct(ij):
    """The distinct integer points (n, 2) of ij (..., 2), in np.unique(axis=0)'s lexicographic order, and the index of
    each point of ij into them (...): marked on the grid of their bounding box, without sorting (np.unique along an
    axis sorts structured rows, several times slower; the box is at most the zone's finest grid)."""
    lo = np.array([ij[..., 0].min(), ij[..., 1].min()])
    span = np.array([ij[..., 0].max(), ij[..., 1].max()]) - lo + 1
    keys = (ij[..., 0] - lo[0]) * span[1] + ij[..., 1] - lo[1]
    present = np.zeros(span[0] * span[1], bool)
    present[keys] = True
    distinct = np.flatnonzero(present)
    rank = np.empty(present.size, np.intp)
    rank[distinct] = np.arange(len(distinct))
    return np.stack([distinct // span[1] + lo[0], distinct % span[1] + lo[1]], -1), rank[keys]


def _p2_nodes(tri, N):
    """The P2 nodes (vertices, then the neighbours' far vertices w_i = v_j + v_k − v_i) of triangles ``tri`` (nT, 3, 2)
    on the grid of N×N points: their distinct points modulo N (nnodes, 2) and each triangle's indices into them (nT, 6)."""
    return _distinct(np.concatenate([tri, tri.sum(axis=1, keepdims=True) - 2 * tri], axis=1) % N)


def _children(tri):
    """The four congruent children (4nT, 3, 2) of triangles ``tri`` on the grid N, in the coordinates of the grid 2N."""
    v0, v1, v2 = 2 * tri[:, 0], 2 * tri[:, 1], 2 * tri[:, 2]
    m01, m02, m12 = tri[:, 0] + tri[:, 1], tri[:, 0] + tri[:, 2], tri[:, 1] + tri[:, 2]
    return np.concatenate([np.stack(c, 1) for c in ((v0, m01, m02), (m01, v1, m12), (m02, m12, v2), (m01, m12, m02))])


def _distance(lo, hi, omega):
    """Distance of ω from the interval [lo, hi] (0 inside)."""
    return np.where((lo - omega) * (hi - omega) <= 0, 0.0, np.minimum(np.abs(lo - omega), np.abs(hi - omega)))


def _rough(R, owner, where, g, omega, width, scale):
    """Triangles whose pole part is not resolved by the quadratic interpolant of R. At the centroid the quadratic (P2)
    and linear interpolants differ by ΔR_p = (Σ_v R_p − Σ_w R_p)/9, taken on what Eq. (4) keeps of R (summed over ℓ
    and over the pairs of each entry (a, b) of Λ, with ``owner``; scalars under the point group, so that the decision
    is covariant and symmetry relations keep holding to rounding); with the pole factor's size on the triangle,
    e_T = Σ_p max|ΔR_p| / (distance of ω from g over T + width)^p estimates the error per unit area of the zone, and a
    triangle is flagged for damping set s where e_T > REFINE × ``scale``[s]: the error of the unflagged part of the k-sum
    is then ≲ REFINE × scale however the treated area is cut. Returns (nset, nT) flags."""
    gt = g[where[:, :3]]
    dist = _distance(gt.min(1), gt.max(1), omega)
    entries = R.sum(axis=2) @ owner                                                      # (orders, nset, npts, nab)
    nodes = entries[:, :, where]                                                         # (orders, nset, nT, 6, nab)
    jump = np.abs(nodes[..., :3, :].sum(-2) - nodes[..., 3:, :].sum(-2)).max(axis=-1) / 9       # (orders, nset, nT)
    error = sum(jump[p - 1] / (dist[None] + width[:, None]) ** p for p in range(1, len(jump) + 1))  # (nset, nT)
    return error > REFINE * scale[:, None]


def _pole_integral(layout, model, q, widths, zs, n, tri, N, R, owner, where, levels, g, omega, scale,
                   active):
    """∫_T Σ_p R̃_{n,p} (z_n − g_n)^{−p} dk for each triangle T of ``tri`` on the N×N grid (zone area 1), R̃ from the
    residues R at their P2 nodes ``where`` (g_n at those nodes: ``g``): shape (nset, 2[ℓ], nT, P). For each damping set,
    the triangles :func:`_rough` flags get the sum over their children on the grid 2N, with residues of their own, while
    ``levels`` remain (the children are cut one level less, so the final sub-triangles are the same); the others are
    cut into 4^levels sub-triangles (:func:`_cut_integral`). Only the (set, triangle) pairs in ``active`` (nset, nT)
    are refined. Also returns the number of residue points added."""
    if levels > 0:
        rough = _rough(R, owner, where, g, omega, widths[:, n], scale) & active          # (nset, nT)
    else:
        rough = np.zeros(active.shape, bool)
    out = np.zeros((R.shape[1], R.shape[2], len(tri), R.shape[-1]), complex)
    own = ~rough.all(axis=0)                                                              # some set keeps T itself
    if own.any():
        out[:, :, own] = _cut_integral(model, q, zs, n, tri[own], N, R, where[own], levels)
    extra = 0
    parents = np.flatnonzero(rough.any(axis=0))
    if len(parents):
        kids = _children(tri[parents])
        points, kid_where = _p2_nodes(kids, 2 * N)
        kpts = (points / (2 * N)) @ model.lattice.reciprocal
        kid_R, kid_g, _ = _residues(layout.at(kpts), model, kpts, q, widths, n)
        fine, extra = _pole_integral(layout, model, q, widths, zs, n, kids, 2 * N, kid_R, owner, kid_where,
                                     levels - 1, kid_g, omega, scale, np.tile(rough[:, parents], 4))
        fine = fine.reshape(fine.shape[:2] + (4, len(parents)) + fine.shape[3:]).sum(axis=2)
        out[:, :, parents] = np.where(rough[:, None, parents, None], fine, out[:, :, parents])
        extra += len(points)
    return out, extra


def _cut_integral(model, q, zs, n, tri, N, R, where, levels):
    """∫_T Σ_p R̃_{n,p} (z_n − g_n)^{−p} dk for each T, (nset, 2[ℓ], nT, P), with T cut into 4^levels sub-triangles on
    which g_n, computed at their vertices, is linear and R̃ (quadratic from the P2 nodes ``where``) is taken at the
    centroid: ∫ (z − g)^{−p} over a sub-triangle of area A is 2A · F_p[g₁, g₂, g₃] (module docstring)."""
    bary, sub = _subdivision(levels)
    M = N * 2**levels
    # The sub-triangles' vertices are points of the M×M grid; unwrapped, a vertex that neighbouring triangles share is
    # one point, whose g_n and F_p are computed once.
    points, vertex = _distinct(np.matmul(bary, tri))                                    # (npts, 2), (nT, nv)
    e0f, eqf = _bands_pair(model, (points / M) @ model.lattice.reciprocal, q)
    g = eqf[:, n] - e0f[:, n]                                                             # (npts,)
    z = zs[:, n]
    u = z - g[:, None]                                                                    # (npts, nset)
    # log u = ½ log|u|² + i arg u: NumPy vectorizes the real log and arctan2, not the complex log (4× slower)
    logu = 0.5 * np.log(u.real**2 + u.imag**2) + 1j * np.arctan2(u.imag, u.real)
    F = [u * logu if p == 1 else -logu if p == 2 else _antiderivative(p, z, g[:, None], 0)
         for p in range(1, len(R) + 1)]                                                  # (orders, npts, nset)
    interp = _quadratic_weights(bary[sub].mean(axis=1) / 2**levels)                       # (nsub, 6): R̃ at centroids
    return _triangle_sums(np.array(F), g, vertex, sub, interp, 1.0 / (N * N * len(sub)), z, R, where)


def _triangle_sums(F, g, vertex, sub, interp, weight, z, R, where):
    """Σ_sub weight · F_p[g₁, g₂, g₃] · interp[sub] per triangle, contracted with the residues at its P2 nodes:
    (nset, 2[ℓ], nT, P). F (orders, npts, nset): F_p(z, g) at the points where g (npts,) is known; vertex (nT, nv):
    each triangle's sub-triangle vertices among them; sub (nsub, 3): the sub-triangles' vertices (into nv); interp
    (nsub, 6): the P2 weights at their centroids; weight: twice a sub-triangle's area; z (nset,); R (orders, nset,
    2[ℓ], nnodes, P) at the P2 nodes ``where`` (nT, 6). The compiled form (numeric/response/resonance_compiled.py)
    makes the same sums without the (nset, nT, nsub, 3) temporaries."""
    if compiled.enabled():
        from .resonance_compiled import triangle_sums
        c = np.ascontiguousarray                  # one array layout per argument: numba compiles one signature
        return triangle_sums(c(F), c(g), c(vertex), c(sub), c(interp), weight, c(z), c(R), c(where), SMALL**2)
    ids = vertex[:, sub]                                                                  # (nT, nsub, 3)
    ids = np.take_along_axis(ids, np.argsort(g[ids], axis=-1), -1)                        # sorted by g
    out = 0.0
    dd = _divided_differences(z[:, None, None], g[ids][None], {p: np.moveaxis(Fp[ids], -1, 0)
                                                               for p, Fp in enumerate(F, 1)})
    for p, value in dd.items():
        coef = (weight * value) @ interp                                                  # (nset, nT, 6)
        out = out + np.einsum("stj,sLtjP->sLtP", coef, R[p - 1][:, :, where])
    return out


def pole_part_correction(layout, scale) -> tuple:
    """Σ_{T∈S} (∫_T P̃ − trapezoid_T[P]) for one term of Eq. (4) (module docstring), k-summed with the grid's
    normalization (Σ w = 1): shape (nset, 2[ℓ], npairs) like the kernel's output, and diagnostics.

    ``layout``: the term's :class:`numeric.response.fast._Contracted` on the uniform grid (its (ω, q), −ω and −q for the swapped
    term, and damping sets), whose band data and vertices the residues at grid points reuse
    (:meth:`~numeric.response.fast._Contracted.restricted`), and from which those at finer points are laid out
    (:meth:`~numeric.response.fast._Contracted.at`); ``scale`` (nset,) the size of the term's θ² on the grid, for the
    refinement criterion (:func:`_rough`).
    Each band's resonances are treated on the triangles where that band's pole part is under-resolved, for each damping
    set on its own: a set's result does not depend on the other sets computed with it.
    """
    problem, omega, q = layout.inputs.problem, layout.inputs.omega, layout.inputs.q
    model = problem.model
    nk = _uniform_nk(problem)
    widths = np.array([[r.phonon + 2.0 * g for g in r.electron] for r in layout.rates])    # (nset, nb)
    if np.any(widths <= 0):
        raise ParameterError("the resonance treatment needs η_p > 0 (the pole's distance from the real axis).")
    e0, eq = _bands_pair(model, problem.k, q)
    g = eq - e0                                                                           # (nk², nb)
    all_tri = _triangles(model.lattice.reciprocal, nk)
    flat = lambda ij: (ij[..., 0] % nk) * nk + ij[..., 1] % nk
    gt = g[flat(all_tri)]                                                                 # (ntri, 3, nb)
    lo, hi = gt.min(1), gt.max(1)
    dist = _distance(lo, hi, omega)
    zs = omega - 1j * widths                                                              # (nset, nb)
    area = 1.0 / (2 * nk * nk)
    total, info = 0.0, {"treated_triangles": 0, "residue_points": 0}
    for n in range(g.shape[1]):
        selected = hi[:, n] - lo[:, n] > SPREAD * (dist[:, n] + widths[:, n, None])      # (nset, ntri)
        keep = selected.any(axis=0)
        tri, selected = all_tri[keep], selected[:, keep]
        if not len(tri):
            continue
        points, where = _p2_nodes(tri, nk)
        R, gn, owner = _residues(layout.restricted(flat(points)), model, problem.k[flat(points)], q, widths, n)
        # Trapezoid of the pole part on each treated triangle (what the uniform grid already holds there).
        P = sum(R[p - 1] / ((zs[:, n, None] - gn[None]) ** p)[:, None, :, None] for p in range(1, len(R) + 1))
        trapezoid = P[:, :, where[:, :3]].sum(axis=3) * area / 3                          # (nset, 2, nT, P)
        analytic, extra = _pole_integral(layout, model, q, widths, zs, n, tri, nk, R, owner, where, LEVELS, gn,
                                         omega, scale, selected)
        total = total + np.einsum("sLtP,st->sLP", analytic - trapezoid, selected)
        info["treated_triangles"] += int(len(tri))
        info["residue_points"] += int(len(points)) + extra
    return total, info
