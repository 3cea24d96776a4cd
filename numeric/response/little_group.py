"""The little group of q: Eq. (4)'s k-sum on one point of each orbit of the grid, the rest by symmetry.

Let g be a point operation about the origin that maps the model onto itself (``numeric.model.zone.model_symmetry``:
atom a at τ_a goes to g τ_a = τ_{π(a)} + a lattice vector) and q onto itself modulo the reciprocal lattice,
g q = q + G. Rotating a displacement Bloch wave of convention I (amplitude u_a e^{iq·r} at the atom r = R + τ_a,
CONVENTIONS.md §4) gives the wave g u_a e^{i gq·r'} at atom π(a), r' = g r, with no phase; and a wave at q + G is the
wave at q with its amplitude at atom c multiplied by e^{iG·τ_c} (by e^{−iG·τ_c} for the field w at −q). The k-resolved
summand of Eq. (4) (its ε_{k₁k₂} contraction is invariant under g, mirrors included: the vector potential's ε_{ℓk}
turns with it) therefore obeys

    S^{π(a)π(b)}(g k; q) = e^{iφ_a} S^{ab}(k; q) e^{−iφ_b},   φ_a = −G·τ_{π(a)},   i.e. S(gk) = D_g S(k) D_g^†,

and on a grid that g maps onto itself (the Γ-centred uniform grid), with uniform weights w,

    Λ = Σ_k w S(k) = Σ_{g ∈ G_q} D_g [ Σ_{r ∈ reps} w (|orbit r| / |G_q|) S(r) ] D_g^†,

one representative r per orbit of the little group G_q. The cost of the k-sum falls by |G_q| (3 at K and K′ of a
C3-symmetric model, up to 6 at Γ). tests/test_little_group.py checks the relation point by point and the reduced sums
against the full grid on models with and without a permutation of the atoms (graphene, hBN, Haldane, breathing kagome).

The reduction is exact on the grid (it reorders the sum); it is not used with the resonance treatment, whose triangles
need the whole grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.brillouin import uniform_grid
from ..model.zone import GROUP, irreducible_wedge, model_symmetry, site_images

RECIPROCAL_TOL = 1e-9       # g q − q counts as a reciprocal-lattice vector within this (fractional coordinates)


@dataclass(frozen=True)
class LittleGroup:
    """The operations of the model's point group that fix q (modulo G), and the reduced k-grid they allow.

    Attributes
    ----------
    k : (nr, 2) array
        One representative per orbit of the nk×nk Γ-centred grid, 1/Å.
    weights : (nr,) array
        (1/nk²) × |orbit| / |G_q|: the Σ_g D_g (…) D_g^† of the module docstring restores the full sum
        (CONVENTIONS.md §4.1).
    phases : (ng, nsub, nsub) complex array
        D_g: D_g[π(a), a] = e^{−iG·τ_{π(a)}}, one per operation.
    operations : (ng, 2, 2) array
        The operations g (Cartesian, acting on column vectors), the identity first.
    """

    k: np.ndarray
    weights: np.ndarray
    phases: np.ndarray
    operations: np.ndarray

    @property
    def order(self) -> int:
        return len(self.phases)

    def unfold(self, matrix: np.ndarray) -> np.ndarray:
        """Σ_g D_g M D_g^† for matrices M (..., nsub, nsub) summed over the representatives (module docstring)."""
        return np.einsum("gai,...ij,gbj->...ab", self.phases, matrix, np.conj(self.phases))

    def polarizations(self, w) -> np.ndarray:
        """w_g = (D̄_g ⊗ R_g)^† w for every g, (ng, 2 nsub): the images of one mode w (2 nsub,) laid out (atom, x/y).

        The projection p(k) = Σ T^{ab}_{ij}(k) w^a_i w^{b*}_j (fast._Projected, whose u-carrying vertices take w and
        whose w-carrying ones take w*: hence the conjugate phase D̄) obeys p_w(gk) = p_{w_g}(k) for a rotation g, so the
        grid's sum is Σ_g Σ_r (weight) p_{w_g}(r) (tests/test_little_group.py, against the whole grid). Rotations only:
        for a mirror the same rule, with or without det g, did not reproduce the whole grid for polarizations that are
        not mirror eigenvectors (CONVENTIONS.md §4.1), so the projected route reduces by the rotations alone."""
        w = np.asarray(w, complex).reshape(-1, 2)
        return np.stack([(D.T @ w @ g).ravel() for D, g in zip(self.phases, self.operations)])


def little_group(model, q, nk: int, *, rotations_only: bool = False) -> LittleGroup:
    """The little group of q among the elements of C3v (``numeric.model.zone.GROUP``) that map ``model`` onto itself,
    and the Γ-centred nk×nk grid reduced by it (:class:`LittleGroup`); ``rotations_only`` leaves the mirrors out
    (the projected tensor's route: :meth:`LittleGroup.polarizations`)."""
    q = np.asarray(q, float)
    to_frac = np.linalg.inv(model.lattice.reciprocal)
    ops = []
    for g in GROUP if not rotations_only else [g for g in GROUP if np.linalg.det(g) > 0]:
        G = g @ q - q
        frac = G @ to_frac
        if np.abs(frac - np.round(frac)).max() < RECIPROCAL_TOL and model_symmetry(model, g):
            ops.append((g, np.round(frac) @ model.lattice.reciprocal))
    wedge = irreducible_wedge(model.lattice, nk, group=[g for g, _ in ops], parity=np.ones(len(ops)))
    orbit = np.bincount(wedge.representative, minlength=len(wedge.k))
    weights = orbit / (len(ops) * nk * nk)
    tau = model.atoms.positions
    phases = np.zeros((len(ops), model.natoms, model.natoms), complex)
    for i, (g, G) in enumerate(ops):
        perm, _ = site_images(model.atoms, g)
        phases[i, perm, np.arange(model.natoms)] = np.exp(-1j * (tau[perm] @ G))
    return LittleGroup(wedge.k, weights, phases, np.array([g for g, _ in ops]))


def reduction(problem, q, *, rotations_only: bool = False) -> LittleGroup | None:
    """The little group of q on the problem's grid if it reduces the k-sum: the problem on the Γ-centred uniform grid
    (:func:`on_uniform_grid`) and some operation besides the identity; else None."""
    nk = on_uniform_grid(problem)
    if nk is None:
        return None
    group = little_group(problem.model, q, nk, rotations_only=rotations_only)
    return group if group.order > 1 else None


def on_uniform_grid(problem) -> int | None:
    """nk if the problem's k-points and weights are the Γ-centred nk×nk grid (the reduction's premise), else None."""
    nk = int(round(np.sqrt(len(problem.k))))
    if nk * nk != len(problem.k):
        return None
    k, w = uniform_grid(problem.model.lattice, nk)
    if np.allclose(problem.k, k, rtol=0, atol=1e-12) and np.allclose(problem.weights, w, rtol=0, atol=1e-15):
        return nk
    return None
