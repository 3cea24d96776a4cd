"""Tests of numeric.model.phonons: sum rule, symmetry, the Saito graphene fit, and an independent
real-space supercell construction of the harmonic force matrix."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from numeric.model.brillouin import C3, uniform_grid
from numeric.validation import ParameterError
from numeric.model.lattice import honeycomb
from numeric.model.phonons import (
    ForceConstants,
    Phonons,
    angular_momentum,
    circular_lz,
    saito_graphene,
)
from numeric.units import PHONON_ENERGY2, force_constant_from_1e4_dyn_per_cm

A0 = 1.42                              # Å
EQUAL = (12.011, 12.011)               # u
UNEQUAL = (12.0, 14.0)                 # u
MASSES = [EQUAL, UNEQUAL]
MASS_IDS = ["equal", "unequal"]

ZERO_MODE_EV = 1e-6                    # |ħω| of an acoustic mode at Γ
MATRIX_RTOL = 1e-12                    # Hermiticity, orthonormality, eigen-equation (relative to ‖D‖)
SYMMETRY_EV = 1e-10                    # energies at symmetry-related q
UNSTABLE_EV = -1e-6                    # lowest allowed ħω on the grid
LZ_ATOL = 1e-10                        # angular momentum (ħ)
SAITO_MEV = 1.5                        # tolerance against the recorded Saito-fit frequencies
SUPERCELL_RTOL = 1e-8                  # finite-difference supercell vs Bloch construction
FD_STEP = 1e-2                         # Å; V is exactly quadratic, so the step only sets round-off
FD_CHUNK = 512                         # displacement patterns per vectorized energy evaluation
NONDEGENERATE_EV = 1e-4                # minimum gap of the "generic" random q points

RNG = np.random.default_rng(7)
RANDOM_Q = RNG.uniform(-3.0, 3.0, size=(24, 2))    # 1/Å, generic points (no symmetry)


@lru_cache(maxsize=None)
def model(masses=EQUAL):
    lattice = honeycomb(A0)
    return lattice, Phonons(lattice, saito_graphene(masses))


def eigenvalues(energies):
    """ω² in eV/(Å² u) back from ħω (sign kept)."""
    return np.sign(energies) * energies**2 / PHONON_ENERGY2


# ---------------------------------------------------------------- basic properties of D(q)

@pytest.mark.parametrize("masses", MASSES, ids=MASS_IDS)
def test_acoustic_sum_rule(masses):
    lattice, ph = model(masses)
    energies, _ = ph.modes(lattice.point("G"))
    assert np.all(np.abs(energies[:2]) < ZERO_MODE_EV)
    assert np.all(energies[2:] > 0.1)
    dyn = ph.dynamical_matrix(np.zeros(2))
    sqrt_m = np.sqrt(np.repeat(masses, 2))
    for direction in np.eye(2):
        translation = sqrt_m * np.tile(direction, 2)      # mass-weighted uniform translation
        assert np.linalg.norm(dyn @ translation) < MATRIX_RTOL * np.linalg.norm(dyn)


@pytest.mark.parametrize("masses", MASSES, ids=MASS_IDS)
def test_hermitian_orthonormal_eigenvectors(masses):
    _, ph = model(masses)
    dyn = ph.dynamical_matrix(RANDOM_Q)
    scale = np.max(np.abs(dyn))
    assert dyn.shape == (len(RANDOM_Q), 4, 4)
    assert np.max(np.abs(dyn - np.conj(np.swapaxes(dyn, -1, -2)))) < MATRIX_RTOL * scale
    energies, vectors = ph.modes(RANDOM_Q)
    overlap = np.conj(np.swapaxes(vectors, -1, -2)) @ vectors
    assert np.max(np.abs(overlap - np.eye(4))) < MATRIX_RTOL
    assert np.all(np.diff(energies, axis=-1) >= 0)
    residual = dyn @ vectors - vectors * eigenvalues(energies)[:, None, :]
    assert np.max(np.abs(residual)) < 1e3 * MATRIX_RTOL * scale


def test_modes_broadcast_shapes():
    lattice, ph = model()
    q = RANDOM_Q[:6].reshape(2, 3, 2)
    energies, vectors = ph.modes(q)
    assert energies.shape == (2, 3, 4) and vectors.shape == (2, 3, 4, 4)
    single, _ = ph.modes(q[1, 2])
    np.testing.assert_allclose(single, energies[1, 2], rtol=0, atol=SYMMETRY_EV)


@pytest.mark.parametrize("masses", MASSES, ids=MASS_IDS)
def test_no_unstable_modes_on_grid(masses):
    lattice, ph = model(masses)
    k, _ = uniform_grid(lattice, 41)
    energies, _ = ph.modes(k)
    assert energies.min() >= UNSTABLE_EV


@pytest.mark.parametrize("masses", MASSES, ids=MASS_IDS)
def test_c3_and_time_reversal_of_frequencies(masses):
    _, ph = model(masses)
    reference = ph.energies(RANDOM_Q)
    np.testing.assert_allclose(ph.energies(RANDOM_Q @ C3.T), reference, rtol=0, atol=SYMMETRY_EV)
    np.testing.assert_allclose(ph.energies(-RANDOM_Q), reference, rtol=0, atol=SYMMETRY_EV)


def test_shell_radii_of_honeycomb():
    _, ph = model()
    np.testing.assert_allclose(ph.shell_radii, A0 * np.array([1.0, np.sqrt(3.0), 2.0]), rtol=1e-12)


# ---------------------------------------------------------------- the Saito fit

SAITO_REFERENCE_MEV = {
    "G": (195.7, 195.7),               # optical pair only (modes 3, 4)
    "K": (134.0, 157.0, 157.0, 177.0),
    "M": (94.0, 156.0, 170.0, 184.0),
}


@pytest.mark.parametrize("label", sorted(SAITO_REFERENCE_MEV))
def test_saito_graphene_frequencies(label):
    """ħω of graphene with the Saito–Dresselhaus–Dresselhaus in-plane fit, shells 1–3.

    Force constants, masses and a0: the defaults of CONVENTIONS.md §9. Reference values: an independent quick check
    of exactly this truncation (in-plane, three shells), stated in CONVENTIONS.md §9. The tolerance (1.5 meV) covers
    the rounding of that record.
    """
    lattice, ph = model()
    energies, _ = ph.modes(lattice.point(label))
    mev = 1e3 * energies
    print(f"{label}: ħω = {np.array2string(mev, precision=2)} meV")
    reference = np.array(SAITO_REFERENCE_MEV[label])
    np.testing.assert_allclose(mev[-len(reference):], reference, rtol=0, atol=SAITO_MEV)


def test_saito_force_constants_in_ev_per_a2():
    fc = saito_graphene()
    assert len(fc.shells) == 3 and fc.masses == EQUAL
    assert fc.shells[0][0] == pytest.approx(force_constant_from_1e4_dyn_per_cm(36.50), rel=1e-15)
    assert fc.shells[2][1] == pytest.approx(force_constant_from_1e4_dyn_per_cm(-5.25), rel=1e-15)


# ---------------------------------------------------------------- independent real-space check
#
# A periodic N × N supercell is built from explicit atom positions, its bonds found by brute force over
# periodic images and classified by the honeycomb shell radii written out here (a0, √3 a0, 2a0), and the
# total pair energy V(u) = Σ_bonds ½ [φ_r (Δu·d̂)² + φ_ti (Δu·t̂)²] is differentiated twice by central
# finite differences. Nothing of numeric.model.phonons is used except the force-constant values.

SHELL_RADII = A0 * np.array([1.0, np.sqrt(3.0), 2.0])
COORDINATION = (3, 6, 3)


def supercell_atoms(lattice, n):
    """Positions (natoms, 2), Å, and supercell vectors (2, 2); atom index = cell · nsub + α."""
    cells = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), axis=-1).reshape(-1, 2)
    positions = (cells @ lattice.vectors)[:, None, :] + lattice.positions[None, :, :]
    return positions.reshape(-1, 2), n * lattice.vectors


def supercell_bonds(positions, super_vectors):
    """Ordered bonds (i, j, d̂, shell) with d = r_j + T − r_i over all periodic images T."""
    m = np.arange(-2, 3)
    images = np.stack(np.meshgrid(m, m, indexing="ij"), axis=-1).reshape(-1, 2) @ super_vectors
    d = positions[None, :, None, :] + images[None, None, :, :] - positions[:, None, None, :]   # (i, j, T, 2)
    dist = np.linalg.norm(d, axis=-1)
    match = np.abs(dist[..., None] - SHELL_RADII) < 1e-6                                        # (i, j, T, shell)
    i, j, t, shell = np.nonzero(match)
    return i, j, d[i, j, t] / dist[i, j, t, None], shell


def pair_energy(u, bonds, phi):
    """Total harmonic pair energy (eV) of displacement batches u (..., natoms, 2) in Å."""
    i, j, dhat, shell = bonds
    that = np.stack([-dhat[:, 1], dhat[:, 0]], axis=-1)
    du = u[..., j, :] - u[..., i, :]
    radial = np.sum(du * dhat, axis=-1) ** 2
    tangential = np.sum(du * that, axis=-1) ** 2
    # ordered bonds visit every bond twice: ½ for the double count, ½ of the harmonic energy
    return 0.25 * np.sum(phi[shell, 0] * radial + phi[shell, 1] * tangential, axis=-1)


@lru_cache(maxsize=None)
def supercell_hessian(n, masses):
    """Mass-reduced real-space force matrix (eV/(Å² u)) of the n × n supercell, by finite differences."""
    lattice = honeycomb(A0)
    positions, super_vectors = supercell_atoms(lattice, n)
    bonds = supercell_bonds(positions, super_vectors)
    phi = np.array(saito_graphene(masses).shells)
    ndof = positions.size
    a, b = np.triu_indices(ndof)
    eye = np.eye(ndof)
    energy = {}
    for sa in (1, -1):
        for sb in (1, -1):
            energy[sa, sb] = np.concatenate([
                pair_energy(FD_STEP * (sa * eye[a[c]] + sb * eye[b[c]]).reshape(len(c), -1, 2), bonds, phi)
                for c in np.array_split(np.arange(len(a)), max(1, len(a) // FD_CHUNK))])
    upper = (energy[1, 1] - energy[1, -1] - energy[-1, 1] + energy[-1, -1]) / (4 * FD_STEP**2)
    hessian = np.zeros((ndof, ndof))
    hessian[a, b] = upper
    hessian[b, a] = upper
    sqrt_m = np.sqrt(np.tile(np.repeat(masses, 2), n * n))
    return hessian / np.outer(sqrt_m, sqrt_m), positions


@pytest.mark.parametrize("n", [2, 3])
def test_supercell_coordination(n):
    """The reference builder itself: every atom has 3, 6, 3 neighbours in shells 1, 2, 3."""
    lattice = honeycomb(A0)
    positions, super_vectors = supercell_atoms(lattice, n)
    i, _, _, shell = supercell_bonds(positions, super_vectors)
    counts = np.zeros((len(positions), 3), dtype=int)
    np.add.at(counts, (i, shell), 1)
    assert np.all(counts == COORDINATION)


SUPERCELL_CASES = [pytest.param(label, n, masses, id=f"{label}-{n}x{n}-{name}")
                   for label, n in [("G", 2), ("K", 3), ("Kp", 3), ("M", 2)]
                   for masses, name in zip(MASSES, MASS_IDS)]
# 6 × 6 is commensurate with both K and M (and needs several periodic images for the third shell)
SUPERCELL_CASES += [pytest.param(label, 6, EQUAL, id=f"{label}-6x6-equal") for label in ("K", "M")]


@pytest.mark.parametrize(("label", "n", "masses"), SUPERCELL_CASES)
def test_dynamical_matrix_against_supercell(label, n, masses):
    """At a q commensurate with the n × n supercell, the Bloch vectors e^{iq·r}/√N (r with τ_α) span an
    invariant subspace of the real-space force matrix H, and H B = B D(q) (convention I)."""
    lattice, ph = model(masses)
    q = lattice.point(label)
    hessian, positions = supercell_hessian(n, masses)
    ncell = n * n
    phase = np.exp(1j * positions @ q) / np.sqrt(ncell)                                   # (natoms,)
    basis = np.zeros((positions.size, 4), dtype=complex)
    sub = np.tile(np.arange(2), ncell)
    for atom in range(len(positions)):
        basis[2 * atom:2 * atom + 2, 2 * sub[atom]:2 * sub[atom] + 2] = phase[atom] * np.eye(2)
    dyn = ph.dynamical_matrix(q)
    scale = np.max(np.abs(dyn))
    assert np.max(np.abs(hessian @ basis - basis @ dyn)) < SUPERCELL_RTOL * scale
    projected = np.conj(basis.T) @ hessian @ basis
    energies, _ = ph.modes(q)
    lam = np.linalg.eigvalsh(projected)
    reference = np.sign(lam) * np.sqrt(np.abs(lam) * PHONON_ENERGY2)
    if label == "G":   # the acoustic pair is √(round-off); compare the optical pair only
        energies, reference = energies[2:], reference[2:]
    print(f"{label}: supercell {1e3 * reference} meV, Bloch {1e3 * energies} meV")
    np.testing.assert_allclose(energies, reference, rtol=SUPERCELL_RTOL, atol=0)


@pytest.mark.parametrize("masses", MASSES, ids=MASS_IDS)
@pytest.mark.parametrize("n", [2, 3])
def test_supercell_spectrum_is_union_over_commensurate_q(n, masses):
    """All ω² of the n × n supercell = the ω² of D(q) over the n × n Γ-centred grid."""
    lattice, ph = model(masses)
    hessian, _ = supercell_hessian(n, masses)
    k, _ = uniform_grid(lattice, n)
    bloch = np.sort(eigenvalues(ph.modes(k)[0]).ravel())
    supercell = np.linalg.eigvalsh(hessian)
    np.testing.assert_allclose(supercell, bloch, rtol=0, atol=SUPERCELL_RTOL * supercell.max())


# ---------------------------------------------------------------- angular momentum and gauge

def test_angular_momentum_vanishes_with_inversion():
    _, ph = model(EQUAL)
    energies, vectors = ph.modes(RANDOM_Q)
    assert np.min(np.diff(energies, axis=-1)) > NONDEGENERATE_EV, "RANDOM_Q must be generic (non-degenerate)"
    np.testing.assert_allclose(angular_momentum(vectors), 0.0, rtol=0, atol=LZ_ATOL)


@pytest.mark.parametrize("masses", MASSES, ids=MASS_IDS)
@pytest.mark.parametrize("pair", [slice(0, 2), slice(2, 4)], ids=["acoustic", "optical"])
def test_circular_modes_at_gamma(masses, pair):
    lattice, ph = model(masses)
    _, vectors = ph.modes(lattice.point("G"))
    lz = angular_momentum(vectors)[pair]
    np.testing.assert_allclose(lz, [-1.0, 1.0], rtol=0, atol=LZ_ATOL)
    assert abs(lz.sum()) < LZ_ATOL


@pytest.mark.parametrize("label", ["G", "K", "Kp"])
def test_degenerate_subspaces_are_lz_eigenvectors(label):
    """Inside every degenerate subspace the projected L_z is diagonal, ordered by increasing l_z."""
    lattice, ph = model(EQUAL)
    energies, vectors = ph.modes(lattice.point(label))
    lz_matrix = np.conj(vectors.T) @ circular_lz(2) @ vectors
    degenerate = np.abs(energies[:, None] - energies[None, :]) < 1e-6
    assert np.count_nonzero(degenerate) > 4, f"expected a degenerate pair at {label}"
    off_diagonal = np.where(degenerate & ~np.eye(4, dtype=bool), lz_matrix, 0)
    assert np.max(np.abs(off_diagonal)) < LZ_ATOL
    lz = np.real(np.diag(lz_matrix))
    for a, b in zip(*np.nonzero(np.triu(degenerate, 1))):
        assert lz[a] <= lz[b] + LZ_ATOL


def test_angular_momentum_time_reversal_without_inversion():
    lattice, ph = model(UNEQUAL)
    _, plus = ph.modes(RANDOM_Q)
    _, minus = ph.modes(-RANDOM_Q)
    np.testing.assert_allclose(angular_momentum(minus), -angular_momentum(plus), rtol=0, atol=LZ_ATOL)
    _, at_k = ph.modes(lattice.point("K"))
    assert np.max(np.abs(angular_momentum(at_k))) > 0.1


def test_phase_gauge_largest_component_real_positive():
    _, ph = model(UNEQUAL)
    _, vectors = ph.modes(RANDOM_Q)
    largest = np.take_along_axis(vectors, np.argmax(np.abs(vectors), axis=-2)[..., None, :], axis=-2)
    assert np.max(np.abs(largest.imag)) < MATRIX_RTOL
    assert np.all(largest.real > 0)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("masses", [(-12.0, 12.0), (12.0, 0.0), (np.nan, 12.0)])
def test_bad_masses(masses):
    with pytest.raises(ParameterError, match="masses"):
        saito_graphene(masses)


def test_mass_count_must_match_sublattices():
    with pytest.raises(ParameterError, match="masses"):
        Phonons(honeycomb(A0), saito_graphene((12.0, 12.0, 12.0)))


def test_empty_shells():
    with pytest.raises(ParameterError, match="shells"):
        ForceConstants((), EQUAL)


@pytest.mark.parametrize("q", [[np.nan, 0.0], [0.0, np.inf], [1.0, 2.0, 3.0]])
def test_bad_q(q):
    _, ph = model()
    with pytest.raises(ParameterError, match="q"):
        ph.modes(q)
