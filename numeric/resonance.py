"""θ²'s intraband resonances, integrated analytically where a uniform grid cannot resolve them (CONVENTIONS.md §7.1).

The problem. The force route's θ² = Tr ρ_wA F (Eq. 3) contains the second-order coherence between |n, k⟩ and
|n, k+q⟩ of one band n, whose denominator (Eq. 5 read, CONVENTIONS.md §1)

    D_n(k) = −ω + iη_p − ε_n(k) + ε_n(k+q) + 2iγ_n

vanishes near the curves g_n(k) ≡ ε_n(k+q) − ε_n(k) = ω. With γ = 0 the idempotency of ρ cancels its residue; with
damping it survives, and the k-integrand of ∂_{q₀}∂_ω θ² carries peaks of width (η_p + 2γ_n)/|∇g_n| ≈ 0.005 1/Å,
hundreds of times the smooth integrand, which nearly cancel on integration. A uniform grid (spacing 0.06 1/Å at
nk = 48) samples them at random: θ² and λ^A scatter by 1–5 % between grids, while at γ = 0 they agree to 1e-6.

The decomposition. At fixed k the kernel is a rational function of the complex frequency whose only poles near the
real axis are ω_n(k) = g_n(k) + i(η_p + 2γ_n) (interband poles lie ≳ 2Δ − ω away):

    I(k; ω) = Σ_n Σ_{p=1}^{3} R_{n,p}(k) / (ω − ω_n(k))^p + S(k; ω),

with R and S smooth in k. The residues are read off the kernel itself, by the trapezoidal rule on a circle around
each pole (:data:`NODES` evaluations at complex ω, radius below the pole's distance from the real axis and from
the other bands' poles). Then, with z_n = ω − i(η_p + 2γ_n),

    Σ_k w I  →  Σ_uniform w I  +  Σ_{T ∈ S} ( ∫_T Σ R̃_{n,p} (z_n − g_n)^{−p} dk − trapezoid_T[P] ),

over the base triangles T of the uniform grid (two per grid cell) where the pole part P varies too fast for the
trapezoidal rule (spread of g_n over T > :data:`SPREAD` × (distance of ω from it + width)). Each such T is cut into
4^:data:`LEVELS` triangles on which g_n, computed exactly at their vertices, is linear; R̃ is interpolated
quadratically from T's vertices and its neighbours' far vertices (:func:`_quadratic_weights`); and ∫ (z − g)^{−p} over
a triangle with linear g is exact, 2A · F[g₁, g₂, g₃], the second divided difference of the second antiderivative F
(Hermite–Genocchi). θ¹ and θ³ have no such denominators (their resonant coherences are first order, between states of
equal occupation, hence zero) and are left on the uniform grid.
"""

from __future__ import annotations

import numpy as np

from .bands import diagonalize
from .brillouin import uniform_grid
from .checks import ParameterError

NODES = 8           # contour nodes per pole
RADIUS = 0.5        # contour radius, as a fraction of the pole's distance from the real axis …
APART = 0.4         # … and of its distance from the other bands' poles
ORDERS = 3          # pole orders kept: ∂_{q₀}∂_ω of a simple pole is at most cubic
SPREAD = 0.5        # a base triangle is treated analytically when max g − min g > SPREAD × (distance + width)
LEVELS = 3          # each treated triangle is cut into 4^LEVELS, on which g is taken linear
SMALL = 0.02        # relative spread below which divided differences use their Taylor series


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
    """Barycentric coordinates of the vertices (nv, 3) of the 4^levels congruent sub-triangles of a triangle, and
    their vertex indices (4^levels, 3)."""
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
    return np.array(bary, float) / m, np.array(tris)


def _antiderivative(p: int, z, x, order: int):
    """d^order/dx^order of F_p, where F_p'' = (z − x)^{−p} (F_p: second antiderivative; order ≥ 0)."""
    u = z - x
    if order == 0:
        return {1: u * np.log(u), 2: -np.log(u), 3: 0.5 / u}[p]
    if order == 1:
        return {1: -np.log(u) - 1.0, 2: 1.0 / u, 3: 0.5 / u**2}[p]
    k = order - 2                                   # (d/dx)^k (z − x)^{−p} = (p)_k (z − x)^{−p−k}
    coeff = np.prod([p + i for i in range(k)]) if k else 1.0
    return coeff * u ** (-p - k)


def _divided_difference(p: int, z, g, F):
    """F_p[g₁, g₂, g₃] for real g (..., 3) sorted ascending along the last axis, z (...) off the real axis and
    F = F_p(z, g) (..., 3); stable for near-equal nodes (Taylor series about the mean or the pair's midpoint where the
    nodes are closer than SMALL × their distance from z)."""
    shape = np.broadcast_shapes(np.shape(z), g.shape[:-1], F.shape[:-1])
    z, g, F = np.broadcast_to(z, shape), np.broadcast_to(g, shape + (3,)), np.broadcast_to(F, shape + (3,))
    a, b, c = g[..., 0], g[..., 1], g[..., 2]

    def first(i, j):                              # F[g_i, g_j], Taylor about the midpoint where they nearly coincide
        x, y = g[..., i], g[..., j]
        close = np.abs(x - y) < SMALL * np.abs(z - (x + y) / 2)
        out = (F[..., i] - F[..., j]) / np.where(close, 1.0, x - y)
        if close.any():
            xs, ys, zs = x[close], y[close], z[close]
            mm = (xs + ys) / 2
            out[close] = _antiderivative(p, zs, mm, 1) + _antiderivative(p, zs, mm, 3) * (xs - ys) ** 2 / 24
        return out

    narrow = (c - a) < SMALL * np.abs(z - (a + c) / 2)
    out = (first(0, 1) - first(1, 2)) / np.where(narrow, 1.0, a - c)
    if narrow.any():
        # F[x₀,x₁,x₂] = F''(m)/2 + F⁽⁴⁾(m) h₂/24 + F⁽⁵⁾(m) h₃/120, h_k complete symmetric polynomials of x − m.
        gs, zs = g[narrow], z[narrow]
        m = gs.mean(axis=-1)
        d = gs - m[..., None]
        h2, h3 = 0.5 * (d**2).sum(-1), (d**3).sum(-1) / 3.0
        out[narrow] = (_antiderivative(p, zs, m, 2) / 2 + _antiderivative(p, zs, m, 4) * h2 / 24
                       + _antiderivative(p, zs, m, 5) * h3 / 120)
    return out


def _bands_pair(model, k, q):
    return diagonalize(model.hamiltonian(k))[0], diagonalize(model.hamiltonian(k + q))[0]


def _check_interband(e0, eq, radius_max):
    """The contours must not enclose an interband pole ε_m(k+q) − ε_n(k), m ≠ n: with a gap larger than ω they lie
    ≳ 2Δ − ω from every intraband one. e0, eq: (npts, nb) energies at k and k + q."""
    d = eq[:, None, :] - e0[:, :, None]                                                   # (npts, n, m)
    nb = d.shape[-1]
    intra = d[:, np.arange(nb), np.arange(nb)]
    inter = d[:, ~np.eye(nb, dtype=bool)]
    gap = np.abs(intra[:, :, None] - inter[:, None, :]).min() if inter.size else np.inf
    if gap < 2 * radius_max:
        raise ParameterError(
            f"an interband pole of the θ² kernel comes within {gap:.3g} eV of an intraband one (needs > "
            f"{2 * radius_max:.3g} eV, i.e. bands separated by more than the resonance widths): the resonance treatment "
            "does not apply to this model; pass --no-resonances (resonances=False).")


def pole_part_correction(layout_factory, problem, omega, q, rates_list) -> tuple:
    """Σ_{T∈S} (∫_T P̃ − trapezoid_T[P]) for one term of Eq. (4) (module docstring), k-summed with the grid's
    normalization (Σ w = 1): shape (nset, 2[ℓ], npairs) like the kernel's output, and diagnostics.

    ``layout_factory(k)`` returns a :class:`numeric.fast._Contracted` for the points k (the term's own (ω, q) and
    damping sets); ``problem`` is on the uniform grid; ``omega``, ``q`` are the term's (−ω, −q for the swapped term).
    """
    model = problem.model
    nk = _uniform_nk(problem)
    q = np.asarray(q, float)
    widths = np.array([[r.phonon + 2.0 * g for g in r.electron] for r in rates_list])      # (nset, nb)
    if np.any(widths <= 0):
        raise ParameterError("the resonance treatment needs η_p > 0 (the pole's distance from the real axis).")
    e0, eq = _bands_pair(model, problem.k, q)
    g = eq - e0                                                                           # (nk², nb)
    nb = g.shape[1]
    tri = _triangles(model.lattice.reciprocal, nk)
    flat = lambda ij: (ij[..., 0] % nk) * nk + ij[..., 1] % nk
    gt = g[flat(tri)]                                                                     # (ntri, 3, nb)
    lo, hi = gt.min(1), gt.max(1)
    dist = np.where((lo - omega) * (hi - omega) <= 0, 0.0, np.minimum(np.abs(lo - omega), np.abs(hi - omega)))
    treated = np.any(hi - lo > SPREAD * (dist + widths.min(0)), axis=1)                  # (ntri,)
    tri = tri[treated]
    if not len(tri):
        return 0.0, {"treated_triangles": 0, "residue_points": 0}
    far = tri.sum(axis=1, keepdims=True) - 2 * tri                                        # w_i = v_j + v_k − v_i
    nodes = np.concatenate([tri, far], axis=1)                                            # (nT, 6, 2)
    base, where = np.unique(flat(nodes), return_inverse=True)
    where = where.reshape(nodes.shape[:2])

    # Residues at the base points: R_{n,p} = (1/M) Σ_m I(ω_n + r e^{iφ_m}) (r e^{iφ_m})^p.
    _check_interband(e0[base], eq[base], RADIUS * widths.max())
    poles = g[base].T[None] + 1j * widths[:, :, None]                                     # (nset, nb, nbase)
    layout = layout_factory(problem.k[base])
    phases = np.exp(2j * np.pi * (np.arange(NODES) + 0.5) / NODES)
    R = np.zeros((ORDERS, nb) + (len(rates_list), 2, len(base), len(layout.owner)), complex)
    for n in range(nb):
        apart = np.full(poles.shape[::2], np.inf)
        for m in range(nb):
            if m != n:
                apart = np.minimum(apart, np.abs(poles[:, n] - poles[:, m]))
        radius = np.minimum(RADIUS * widths[:, n, None], APART * apart)                  # (nset, nbase)
        radius = np.maximum(radius, 1e-9)
        for ph in phases:
            z = radius * ph
            layout.inputs.omega = (poles[:, n] + z)[:, None, :, None]
            value = layout.theta2()                                                       # (nset, 2, nbase, P)
            for p in range(1, ORDERS + 1):
                R[p - 1, n] += value * (z**p)[:, None, :, None] / NODES
    layout.inputs.omega = omega

    # Trapezoid of the pole part on the treated base triangles (what the uniform grid already holds there).
    zs = omega - 1j * widths                                                              # (nset, nb)
    area = 1.0 / (2 * nk * nk)
    P_base = 0.0
    for p in range(1, ORDERS + 1):
        den = (zs[:, :, None] - g[base].T[None]) ** p                                     # (nset, nb, nbase)
        P_base = P_base + np.einsum("nsLbP,snb->sLbP", R[p - 1], 1.0 / den)
    counts = np.bincount(where[:, :3].ravel(), minlength=len(base))
    trapezoid = np.einsum("sLbP,b->sLP", P_base, counts * area / 3)

    # Exact integral of the quadratically interpolated pole part on 4^LEVELS sub-triangles, g exact at their vertices.
    bary, sub = _subdivision(LEVELS)
    kv = (tri / nk) @ model.lattice.reciprocal                                            # (nT, 3, 2), unwrapped
    kf = np.einsum("vi,tix->tvx", bary, kv)                                               # (nT, nv, 2)
    e0f, eqf = _bands_pair(model, kf.reshape(-1, 2), q)
    gf = (eqf - e0f).reshape(len(tri), len(bary), nb)                                     # (nT, nv, nb)
    interp = _quadratic_weights(bary[sub].mean(axis=1))                                   # (nsub, 6): R̃ at centroids
    sub_area = area / len(sub)
    analytic = 0.0
    for n in range(nb):
        zn = zs[:, n][:, None, None]                                                      # (nset, 1, 1)
        u = zn - gf[None, :, :, n]                                                        # (nset, nT, nv)
        logu = np.log(u)
        values = {1: u * logu, 2: -logu, 3: 0.5 / u}
        corners = gf[:, sub, n]                                                           # (nT, nsub, 3)
        order = np.argsort(corners, axis=-1)
        corners = np.take_along_axis(corners, order, -1)
        vsorted = np.take_along_axis(sub[None].repeat(len(tri), 0), order, -1)          # vertex ids, sorted by g
        T = np.arange(len(tri))[:, None, None]
        for p in range(1, ORDERS + 1):
            W = 2 * sub_area * _divided_difference(p, zn, corners[None], values[p][:, T, vsorted])  # (nset, nT, nsub)
            coef = np.einsum("stu,uj->stj", W, interp)                                    # (nset, nT, 6)
            analytic = analytic + np.einsum("stj,sLtjP->sLP", coef, R[p - 1, n][:, :, where])
    return analytic - trapezoid, {"treated_triangles": int(len(tri)), "residue_points": int(len(base))}
