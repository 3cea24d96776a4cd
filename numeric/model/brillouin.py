"""Brillouin-zone grids, the high-symmetry path, zone folding and the point operations of the honeycomb.

Wave vectors are Cartesian, in 1/Å; reciprocal vectors are the rows b1, b2 of ``Lattice.reciprocal``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import ParameterError, finite, grid_size
from .lattice import Lattice

DISPLAY_LABELS = {"G": "Γ", "Kp": "K′"}
"""Display names of point labels; labels not listed are shown as they are."""

FOLD_RANGE = 2
"""fold() tries every reciprocal translation m1 b1 + m2 b2 with |m_i| ≤ FOLD_RANGE around the reduced point."""


def rotation(angle: float) -> np.ndarray:
    """Counter-clockwise rotation by ``angle`` (rad) as a (2, 2) matrix acting on column vectors.

    For row vectors ``k`` (shape (..., 2)) apply it as ``k @ rotation(angle).T``.
    """
    angle = float(finite("angle (rad)", angle))
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


C3 = rotation(2 * np.pi / 3)
"""Rotation by 2π/3 about an A site (the origin). It maps the honeycomb (A at the origin, B at (a0, 0))
onto itself, A → A and B → B, and hence the reciprocal lattice and the Brillouin zone onto themselves;
K → K (up to a reciprocal vector)."""

MIRROR_X = np.diag([1.0, -1.0])
"""The mirror y → −y (the line y = 0 through the A site and its bond to B). A symmetry of the honeycomb
that maps A → A and B → B (a1 ↔ a2); in k-space it maps K ↔ K′ (up to a reciprocal vector)."""

MIRROR_Y = np.diag([-1.0, 1.0])
"""The point part of the mirror x → −x. About the origin it maps the Bravais lattice (and the reciprocal
lattice) onto itself but moves B to a hexagon centre; the symmetry of the honeycomb is the same mirror about
the bond centre (a0/2, 0), x → a0 − x, which swaps A and B (so it is a symmetry only when the two sublattices
are equivalent, e.g. equal masses, no staggered potential). In k-space (kx, ky) → (−kx, ky) maps K → K
(K − (b1 + b2)) and K′ → K′."""


@dataclass(frozen=True)
class Path:
    """A piecewise-straight path through labelled points of the Brillouin zone.

    Attributes
    ----------
    k : (npts, 2) array
        Cartesian wave vectors, 1/Å; each segment endpoint appears once.
    distance : (npts,) array
        Cumulative path length in 1/Å, starting at 0.
    ticks : (nlabels,) array
        Position of each label along ``distance`` (1/Å).
    labels : tuple of str
        Display labels ('G' → 'Γ', 'Kp' → 'K′').
    """

    k: np.ndarray
    distance: np.ndarray
    ticks: np.ndarray
    labels: tuple


def uniform_grid(lattice: Lattice, n: int):
    """Γ-centred n × n Monkhorst–Pack-type grid k = (i/n) b1 + (j/n) b2, i, j = 0 … n−1.

    Parameters
    ----------
    lattice : Lattice
        Supplies b1, b2 (1/Å).
    n : int
        Points per reciprocal direction, ≥ 1.

    Returns
    -------
    k : (n², 2) array
        Cartesian wave vectors in 1/Å (i slow, j fast); k[0] = Γ.
    weights : (n²,) array
        1/n² each (they sum to 1).
    """
    n = grid_size("n (k points per direction)", n)
    frac = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), axis=-1).reshape(-1, 2) / n
    return frac @ lattice.reciprocal, np.full(n * n, 1.0 / (n * n))


def high_symmetry_path(lattice: Lattice, labels=("G", "K", "M", "G"), n_per_segment: int = 60) -> Path:
    """Straight segments between named high-symmetry points.

    Parameters
    ----------
    lattice : Lattice
        Supplies the named points (``Lattice.point``; an unknown label raises ParameterError).
    labels : sequence of str
        At least two point labels, e.g. ("G", "K", "M", "G").
    n_per_segment : int
        Points per segment, ≥ 1 (the segment's end point is the next segment's start).

    Returns
    -------
    Path
        ``nseg · n_per_segment + 1`` points.
    """
    n = grid_size("n_per_segment", n_per_segment)
    labels = tuple(labels)
    if len(labels) < 2:
        raise ParameterError(f"labels must name at least two points, got {labels!r}: pass e.g. ('G', 'K').")
    ends = np.array([lattice.point(label) for label in labels])                 # (nlab, 2)
    t = np.arange(n) / n
    k = (ends[:-1, None, :] + t[None, :, None] * (ends[1:] - ends[:-1])[:, None, :]).reshape(-1, 2)
    k = np.concatenate([k, ends[-1:]])
    distance = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(k, axis=0), axis=1))])
    ticks = distance[::n]
    return Path(k, distance, ticks, tuple(DISPLAY_LABELS.get(label, label) for label in labels))


def fold(lattice: Lattice, k) -> np.ndarray:
    """Map Cartesian wave vectors into the first Brillouin zone (Wigner–Seitz cell of the reciprocal lattice).

    Parameters
    ----------
    lattice : Lattice
        Supplies b1, b2 (1/Å).
    k : (..., 2) array
        Cartesian wave vectors in 1/Å.

    Returns
    -------
    (..., 2) array
        k − G with G the reciprocal lattice vector closest to k. On the zone boundary (ties) the
        first candidate wins, so the result is one of the equivalent boundary points.
    """
    k = np.asarray(finite("k (wave vector, 1/Å)", np.asarray(k, dtype=float), fix="pass finite wave vectors"))
    if k.ndim < 1 or k.shape[-1] != 2:
        raise ParameterError(f"k must have shape (..., 2) (Cartesian 1/Å), got shape {k.shape}: pass 2D wave vectors.")
    b = lattice.reciprocal
    frac = k @ np.linalg.inv(b)
    reduced = k - np.floor(frac) @ b
    m = np.arange(-FOLD_RANGE, FOLD_RANGE + 1)
    candidates = np.stack(np.meshgrid(m, m, indexing="ij"), axis=-1).reshape(-1, 2) @ b   # (nc, 2)
    shifted = reduced[..., None, :] - candidates                                           # (..., nc, 2)
    best = np.argmin(np.einsum("...ci,...ci->...c", shifted, shifted), axis=-1)
    return np.take_along_axis(shifted, best[..., None, None], axis=-2)[..., 0, :]
