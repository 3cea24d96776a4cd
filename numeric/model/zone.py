"""Brillouin-zone maps from an irreducible wedge (CONVENTIONS.md §5: only relations tested at finite η unfold a map).

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
    """

    k: np.ndarray
    grid: np.ndarray
    representative: np.ndarray
    parity: np.ndarray

    def unfold(self, values: np.ndarray, *, pseudoscalar: bool) -> np.ndarray:
        """Values on the full grid from values (nw, ...) on the wedge; ``pseudoscalar`` applies the mirror sign."""
        out = np.asarray(values)[self.representative]
        if pseudoscalar:
            out = out * self.parity.reshape((-1,) + (1,) * (out.ndim - 1))
        return out


def irreducible_wedge(lattice: Lattice, n: int) -> Wedge:
    """Reduce the Γ-centred n×n grid by C3v with exact integer arithmetic on the grid indices."""
    n = grid_size("n (q points per direction)", n)
    grid, _ = uniform_grid(lattice, n)
    b = lattice.reciprocal
    to_frac = np.linalg.inv(b)                              # Cartesian row vector → fractional (k = f @ b)
    flat = np.arange(n * n)
    images = []
    for g in GROUP:
        f = np.rint((grid @ g.T) @ to_frac * n).astype(int) % n
        images.append(f[:, 0] * n + f[:, 1])
    images = np.stack(images)                               # (6, n²) flat index of g q
    orbit_min = images.min(axis=0)
    reps, representative = np.unique(orbit_min, return_inverse=True)
    # the element mapping each point's representative onto it
    rep_point = reps[representative]
    g_idx = np.argmax(images[:, rep_point] == flat[None, :], axis=0)   # the first g with g·rep = p
    parity = PARITY[g_idx]
    # uniform_grid orders points i-slow, j-fast, so the flat index of a point is its row in ``grid``
    return Wedge(grid[reps], grid, representative, parity)
