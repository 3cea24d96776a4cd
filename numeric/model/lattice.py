"""Bravais lattices with a basis, and the honeycomb geometry (CONVENTIONS.md §1, §4).

Lengths in Å, wave vectors in 1/Å. For the honeycomb lattice with bond length ``a0``:

- sublattice A at τ_A = (0, 0), B at τ_B = (a0, 0);
- primitive vectors a1 = a0 (3/2,  √3/2), a2 = a0 (3/2, −√3/2);
- reciprocal vectors b_i · a_j = 2π δ_ij;
- K = (2π/3a0, 2π/(3√3 a0)), K' = −K, M = (2π/3a0, 0);
- the path of the paper's Fig. 2(b,c) is Γ–K–M–Γ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..validation import ParameterError, finite, positive


@dataclass(frozen=True)
class Lattice:
    """A 2D Bravais lattice with a basis.

    Parameters
    ----------
    vectors : (2, 2) array
        Rows are the primitive vectors a1, a2 in Å.
    positions : (nsub, 2) array
        Basis (sublattice) positions τ_α in Å, in Cartesian coordinates.
    labels : tuple of str
        Sublattice names, e.g. ("A", "B").
    points : dict
        Named high-symmetry points in Cartesian 1/Å.
    """

    vectors: np.ndarray
    positions: np.ndarray
    labels: tuple
    points: dict = field(default_factory=dict)

    def __post_init__(self):
        vec = np.array(finite("lattice vectors", self.vectors), dtype=float)
        pos = np.array(finite("sublattice positions", self.positions), dtype=float)
        if vec.shape != (2, 2) or abs(np.linalg.det(vec)) < 1e-12:
            raise ParameterError("lattice vectors must be two independent 2D vectors (a (2, 2) array).")
        if pos.ndim != 2 or pos.shape[1] != 2 or len(self.labels) != pos.shape[0]:
            raise ParameterError("positions must be (nsub, 2) with one label per sublattice.")
        vec.flags.writeable = False
        pos.flags.writeable = False
        object.__setattr__(self, "vectors", vec)
        object.__setattr__(self, "positions", pos)

    @property
    def nsub(self) -> int:
        return self.positions.shape[0]

    @property
    def reciprocal(self) -> np.ndarray:
        """Rows b1, b2 with b_i · a_j = 2π δ_ij, in 1/Å."""
        return 2 * np.pi * np.linalg.inv(self.vectors).T

    @property
    def cell_area(self) -> float:
        """Unit-cell area in Å²."""
        return float(abs(np.linalg.det(self.vectors)))

    def point(self, label: str) -> np.ndarray:
        """Cartesian coordinates (1/Å) of a named high-symmetry point."""
        try:
            return np.array(self.points[label], dtype=float)
        except KeyError:
            known = ", ".join(sorted(self.points))
            raise ParameterError(f"unknown point label {label!r}: use one of {known}.") from None

    def shifted(self, origin: np.ndarray) -> "Lattice":
        """The same lattice with every sublattice position moved by ``origin`` (Å)."""
        return Lattice(self.vectors, self.positions + np.asarray(origin, float), self.labels, dict(self.points))

    def neighbours(self, alpha: int, beta: int, rmax: float):
        """Yield (R, d) for every β-site at R·a + τ_β within ``rmax`` of the α-site at τ_α.

        ``R`` is the integer translation (2,), ``d = τ_α − (R·a + τ_β)`` the vector from the
        β-site to the α-site (the convention of a hop c†_α c_β, CONVENTIONS.md §4).
        """
        nmax = int(np.ceil(rmax / np.min(np.linalg.norm(self.vectors, axis=1)))) + 2
        for n1 in range(-nmax, nmax + 1):
            for n2 in range(-nmax, nmax + 1):
                R = np.array([n1, n2])
                d = self.positions[alpha] - (R @ self.vectors + self.positions[beta])
                dist = np.linalg.norm(d)
                if 1e-9 < dist <= rmax + 1e-9:
                    yield R, d


def honeycomb(a0: float = 1.42) -> Lattice:
    """The honeycomb lattice of bond length ``a0`` (Å); see the module docstring for the geometry."""
    a0 = positive("a0 (bond length, Å)", a0)
    s3 = np.sqrt(3.0)
    vectors = a0 * np.array([[1.5, s3 / 2], [1.5, -s3 / 2]])
    positions = np.array([[0.0, 0.0], [a0, 0.0]])
    K = np.array([2 * np.pi / (3 * a0), 2 * np.pi / (3 * s3 * a0)])
    points = {
        "G": np.zeros(2),
        "K": K,
        "Kp": -K,
        "M": np.array([2 * np.pi / (3 * a0), 0.0]),
    }
    return Lattice(vectors, positions, ("A", "B"), points)
