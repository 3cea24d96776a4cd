"""Tests of numeric.model.brillouin: the uniform grid, the high-symmetry path, zone folding, point operations."""

from __future__ import annotations

import numpy as np
import pytest

from numeric.model.brillouin import C3, MIRROR_X, MIRROR_Y, fold, high_symmetry_path, rotation, uniform_grid
from numeric.validation import ParameterError
from numeric.model.lattice import honeycomb

A0 = 1.42                      # Å
GEOMETRY_ATOL = 1e-12          # 1/Å or Å
FRACTION_DECIMALS = 9          # rounding of fractional coordinates before comparing sets
INTEGER_ATOL = 1e-9            # "is a reciprocal lattice vector" in fractional coordinates

RNG = np.random.default_rng(7)
LATTICE = honeycomb(A0)
B = LATTICE.reciprocal


def fractional(k):
    """Coordinates of Cartesian k (..., 2) in the basis b1, b2."""
    return np.asarray(k) @ np.linalg.inv(B)


def as_set_mod_one(frac):
    return {tuple(row) for row in np.round(np.mod(np.round(frac, FRACTION_DECIMALS), 1.0), FRACTION_DECIMALS) % 1.0}


def shortest_reciprocal_vectors():
    """The six shortest nonzero reciprocal vectors ±b1, ±b2, ±(b1 + b2) (b1·b2 < 0 here)."""
    m = np.array([[1, 0], [0, 1], [1, 1], [-1, 0], [0, -1], [-1, -1]])
    g = m @ B
    assert np.allclose(np.linalg.norm(g, axis=1), np.linalg.norm(B[0]))
    return g


# ---------------------------------------------------------------- grid

@pytest.mark.parametrize("n", [1, 2, 3, 4, 6, 7])
def test_uniform_grid(n):
    k, weights = uniform_grid(LATTICE, n)
    assert k.shape == (n * n, 2) and weights.shape == (n * n,)
    assert weights.sum() == pytest.approx(1.0, abs=GEOMETRY_ATOL)
    assert np.min(np.linalg.norm(k, axis=1)) < GEOMETRY_ATOL          # Γ included
    points = as_set_mod_one(fractional(k))
    assert len(points) == n * n                                        # all distinct modulo G
    assert as_set_mod_one(fractional(k @ C3.T)) == points              # C3-symmetric modulo G


# ---------------------------------------------------------------- path

@pytest.mark.parametrize("n_per_segment", [1, 7, 60])
def test_high_symmetry_path(n_per_segment):
    path = high_symmetry_path(LATTICE, ("G", "K", "M", "G"), n_per_segment)
    gamma, k_point, m_point = (LATTICE.point(label) for label in ("G", "K", "M"))
    assert path.k.shape == (3 * n_per_segment + 1, 2) and path.distance.shape == (len(path.k),)
    assert path.labels == ("Γ", "K", "M", "Γ")
    ends = np.arange(4) * n_per_segment
    np.testing.assert_allclose(path.k[ends], [gamma, k_point, m_point, gamma], atol=GEOMETRY_ATOL)
    np.testing.assert_allclose(path.ticks, path.distance[ends], atol=GEOMETRY_ATOL)
    assert path.distance[0] == 0.0 and np.all(np.diff(path.distance) > 0)
    total = np.linalg.norm(k_point) + np.linalg.norm(m_point - k_point) + np.linalg.norm(m_point)
    assert path.distance[-1] == pytest.approx(total, abs=GEOMETRY_ATOL)


def test_path_display_labels():
    path = high_symmetry_path(LATTICE, ("Kp", "G", "K"), 5)
    assert path.labels == ("K′", "Γ", "K")


# ---------------------------------------------------------------- fold

def test_fold_into_first_zone():
    k = RNG.uniform(-20.0, 20.0, size=(500, 2))
    folded = fold(LATTICE, k)
    assert folded.shape == k.shape
    g = shortest_reciprocal_vectors()
    norm = np.linalg.norm(folded, axis=1)
    to_g = np.linalg.norm(folded[:, None, :] - g[None, :, :], axis=-1)
    assert np.all(norm[:, None] <= to_g + GEOMETRY_ATOL)
    shift = fractional(k - folded)
    np.testing.assert_allclose(shift, np.round(shift), rtol=0, atol=INTEGER_ATOL)


def test_fold_keeps_points_inside_and_vectorizes():
    inside = 0.4 * np.array([LATTICE.point("K"), LATTICE.point("M"), [0.0, 0.0]])
    np.testing.assert_allclose(fold(LATTICE, inside), inside, atol=GEOMETRY_ATOL)
    shifted = (inside + B[0] - 2 * B[1]).reshape(1, 3, 2)
    np.testing.assert_allclose(fold(LATTICE, shifted), inside.reshape(1, 3, 2), atol=GEOMETRY_ATOL)


# ---------------------------------------------------------------- point operations

def lattice_sites(sublattice, n=4):
    m = np.arange(-n, n + 1)
    cells = np.stack(np.meshgrid(m, m, indexing="ij"), axis=-1).reshape(-1, 2)
    return cells @ LATTICE.vectors + LATTICE.positions[sublattice]


def is_site(r, sublattice):
    """True where Cartesian r (..., 2) is a site of ``sublattice``."""
    frac = (np.asarray(r) - LATTICE.positions[sublattice]) @ np.linalg.inv(LATTICE.vectors)
    return np.all(np.abs(frac - np.round(frac)) < INTEGER_ATOL, axis=-1)


@pytest.mark.parametrize(("operation", "maps_a_to", "maps_b_to"), [
    (C3, 0, 1),
    (MIRROR_X, 0, 1),
], ids=["C3", "mirror_y_to_minus_y"])
def test_point_symmetries_about_a_site(operation, maps_a_to, maps_b_to):
    assert np.all(is_site(lattice_sites(0) @ operation.T, maps_a_to))
    assert np.all(is_site(lattice_sites(1) @ operation.T, maps_b_to))


def test_mirror_x_about_bond_centre_swaps_sublattices():
    centre = np.array([A0 / 2, 0.0])
    for sub, other in ((0, 1), (1, 0)):
        image = (lattice_sites(sub) - centre) @ MIRROR_Y.T + centre
        assert np.all(is_site(image, other))


@pytest.mark.parametrize(("operation", "k_image"), [(C3, "K"), (MIRROR_X, "Kp"), (MIRROR_Y, "K")],
                         ids=["C3", "MIRROR_X", "MIRROR_Y"])
def test_point_operations_in_k_space(operation, k_image):
    shift = fractional(operation @ LATTICE.point("K") - LATTICE.point(k_image))
    np.testing.assert_allclose(shift, np.round(shift), rtol=0, atol=INTEGER_ATOL)
    mapped = fractional(B @ operation.T)            # images of b1, b2 are integer combinations
    np.testing.assert_allclose(mapped, np.round(mapped), rtol=0, atol=INTEGER_ATOL)


def test_rotation():
    np.testing.assert_allclose(np.linalg.matrix_power(C3, 3), np.eye(2), atol=GEOMETRY_ATOL)
    np.testing.assert_allclose(rotation(np.pi / 2) @ [1.0, 0.0], [0.0, 1.0], atol=GEOMETRY_ATOL)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_grid_rejects_bad_n(n):
    with pytest.raises(ParameterError, match=r"^n \("):
        uniform_grid(LATTICE, n)


def test_path_rejects_unknown_label():
    with pytest.raises(ParameterError, match="'X'"):
        high_symmetry_path(LATTICE, ("G", "X"))


@pytest.mark.parametrize(("labels", "n_per_segment", "name"), [
    (("G", "K"), 0, "n_per_segment"),
    (("G",), 10, "labels"),
])
def test_path_rejects_bad_arguments(labels, n_per_segment, name):
    with pytest.raises(ParameterError, match=name):
        high_symmetry_path(LATTICE, labels, n_per_segment)


def test_fold_rejects_nan():
    with pytest.raises(ParameterError, match="k"):
        fold(LATTICE, [np.nan, 0.0])
