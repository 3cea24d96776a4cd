"""Brillouin-zone maps from an irreducible wedge (CONVENTIONS.md §5: only relations tested at finite η unfold a map).

Any model: :func:`symmetry_group` keeps the elements of C3v that map the model (orbitals, atoms, every hopping, masses
and charges) onto itself about the origin, so a model file without that symmetry is reduced by C3 only, or not at all.

The symmetry group used is C3v = {C3^n, M C3^n}, M the mirror y → −y (A → A, B → B). The referee's tests show
Λ^{ab}(ω, g q) = Λ^{ab}(ω, q) for every g of it at finite damping (tests/test_direct.py), and the phonon energies are
invariant. A mode moment m_z is a pseudovector component: even under C3, odd under the vertical mirror,
m(C3 q) = m(q), m(M q) = −m(q) (tests/test_zone.py checks this on the referee at finite η). Time reversal and C2 are
not used: damping breaks the first, Δ the second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .brillouin import C3, MIRROR_X, uniform_grid
from ..validation import grid_size
from .lattice import Lattice

GROUP = tuple([np.linalg.matrix_power(C3, n) for n in range(3)]
              + [MIRROR_X @ np.linalg.matrix_power(C3, n) for n in range(3)])
"""The six point operations of C3v (column-vector convention); the last three reverse m_z."""
PARITY = np.array([1, 1, 1, -1, -1, -1])
"""Sign picked up by a pseudoscalar like m_z under each element of GROUP."""


@dataclass(frozen=True)
class Wedge:
    """An n×n Γ-centred grid reduced by C3v.

    Attributes
    ----------
    k : (nw, 2) array
        Representatives (Cartesian, 1/Å), one per orbit.
    grid : (n², 2) array
        The full grid (as :func:`numeric.model.brillouin.uniform_grid`).
    representative : (n²,) int array
        Index into ``k`` of the orbit of every grid point.
    parity : (n²,) int array
        ±1: the sign that maps a pseudoscalar (m_z) at the representative to the grid point.
    operations : int
        The order of the group used: 6 (C3v), 3 (C3) or 1 (no reduction).
    """

    k: np.ndarray
    grid: np.ndarray
    representative: np.ndarray
    parity: np.ndarray
    operations: int = 6

    @property
    def symmetry(self) -> str:
        """The group used, in words."""
        return {6: "C3v, m_z odd under the mirror", 3: "C3", 1: "none"}[self.operations]

    def unfold(self, values: np.ndarray, *, pseudoscalar: bool) -> np.ndarray:
        """Values on the full grid from values (nw, ...) on the wedge; ``pseudoscalar`` applies the mirror sign."""
        out = np.asarray(values)[self.representative]
        if pseudoscalar:
            out = out * self.parity.reshape((-1,) + (1,) * (out.ndim - 1))
        return out


SITE_TOL = 1e-6
"""Å: a rotated site within this distance of a site (modulo lattice vectors) is its image."""


def site_images(lattice: Lattice, g: np.ndarray):
    """(perm, cells): g τ_i = τ_perm[i] + cells[i]·a for every site i, or None if some image is not a site."""
    to_frac = np.linalg.inv(lattice.vectors)
    perm, cells = [], []
    for tau in lattice.positions @ g.T:
        df = (tau - lattice.positions) @ to_frac                                  # (nsite, 2) fractional offsets
        ok = np.linalg.norm((df - np.round(df)) @ lattice.vectors, axis=1) < SITE_TOL
        if not ok.any():
            return None
        j = int(np.argmax(ok))
        perm.append(j)
        cells.append(np.round(df[j]).astype(int))
    return np.array(perm), np.array(cells)


def is_symmetry(model, phonons, g: np.ndarray) -> bool:
    """Whether the point operation g (about the origin) maps the model and its phonons onto themselves: the electrons
    and atoms (:func:`model_symmetry`), with equal masses and charges on atoms and their images."""
    if not model_symmetry(model, g):
        return False
    perm, _ = site_images(model.atoms, g)
    fc = phonons.force_constants
    charges = fc.charges or (0.0,) * len(fc.masses)
    return all(fc.masses[a] == fc.masses[b] and charges[a] == charges[b] for a, b in enumerate(perm))


def model_symmetry(model, g: np.ndarray) -> bool:
    """Whether the point operation g (about the origin) maps the electronic model onto itself: lattice, atoms,
    orbitals (scalar, with equal on-site energies and carried by their atoms' images) and every hopping (equal t₀,
    reference length and β). What Λ (Eq. 4) needs; the phonons are :func:`is_symmetry`'s business."""
    vec = model.lattice.vectors
    M = np.round((vec @ g.T) @ np.linalg.inv(vec)).astype(int)                  # rows: g a_i in units of a
    if not np.allclose(M @ vec, vec @ g.T, atol=SITE_TOL):
        return False
    orb, at = site_images(model.lattice, g), site_images(model.atoms, g)
    if orb is None or at is None:
        return False
    perm, cells = orb
    owner = np.array(model.orbital_atom)
    if not (np.array_equal(at[0][owner], owner[perm]) and np.allclose(model.onsite[perm], model.onsite)):
        return False
    bonds = {(h.to, h.frm, tuple(h.R)): h for h in model.hoppings}
    for h in model.hoppings:
        R = tuple(int(x) for x in np.asarray(h.R) @ M + cells[h.frm] - cells[h.to])
        image = bonds.get((int(perm[h.to]), int(perm[h.frm]), R))
        if image is None or not (np.isclose(image.t0, h.t0, rtol=0, atol=1e-12)
                                 and np.isclose(image.length, h.length) and np.isclose(image.beta, h.beta)):
            return False
    return True


def symmetry_group(model, phonons):
    """The largest of C3v, C3 and {1} whose every element is a symmetry of the model (:func:`is_symmetry`):
    (group, parity) for :func:`irreducible_wedge`."""
    ok = [is_symmetry(model, phonons, g) for g in GROUP]
    if all(ok):
        return GROUP, PARITY
    if all(ok[:3]):
        return GROUP[:3], PARITY[:3]
    return GROUP[:1], PARITY[:1]


def irreducible_wedge(lattice: Lattice, n: int, group=GROUP, parity=PARITY) -> Wedge:
    """Reduce the Γ-centred n×n grid by ``group`` (default C3v; ``parity``: the sign of m_z under each element) with
    exact integer arithmetic on the grid indices."""
    n = grid_size("n (q points per direction)", n)
    grid, _ = uniform_grid(lattice, n)
    b = lattice.reciprocal
    to_frac = np.linalg.inv(b)                              # Cartesian row vector → fractional (k = f @ b)
    flat = np.arange(n * n)
    images = []
    for g in group:
        f = np.rint((grid @ g.T) @ to_frac * n).astype(int) % n
        images.append(f[:, 0] * n + f[:, 1])
    images = np.stack(images)                               # (ng, n²) flat index of g q
    orbit_min = images.min(axis=0)
    reps, representative = np.unique(orbit_min, return_inverse=True)
    # the element mapping each point's representative onto it
    rep_point = reps[representative]
    g_idx = np.argmax(images[:, rep_point] == flat[None, :], axis=0)   # the first g with g·rep = p
    parity = np.asarray(parity)[g_idx]
    # uniform_grid orders points i-slow, j-fast, so the flat index of a point is its row in ``grid``
    return Wedge(grid[reps], grid, representative, parity, len(group))
