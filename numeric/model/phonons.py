"""In-plane phonons of a 2D lattice with a basis, force constants up to a few neighbour shells.

Model
-----
Every bond of shell ``n`` with bond vector ``d`` carries the 2×2 force-constant tensor

    K(d) = φ_r d̂ d̂ᵀ + φ_ti t̂ t̂ᵀ,   t̂ = ẑ × d̂,

(radial and in-plane tangential springs, eV/Å²), and the harmonic energy is
V = Σ_bonds ½ (u_i − u_j)ᵀ K (u_i − u_j), each unordered bond counted once.

Bloch convention ("convention I", the same as the electrons): a mode displaces the site at the full
equilibrium position r = R·a + τ_α by u = e^α / √M_α · exp(i q·r). The mass-reduced dynamical matrix,
in eV/(Å² u) with component index 2α + i (i = x, y), is

    D_{αi,βj}(q) = [δ_αβ Σ_{bonds of α} K(d)_{ij} − Σ_{(R, d) ∈ neighbours(α, β)} K(d)_{ij} e^{−i q·d}] / √(M_α M_β),

with d = τ_α − (R·a + τ_β) as in :meth:`numeric.model.lattice.Lattice.neighbours`. Its eigenvalues ω²
give ħω through ``units.PHONON_ENERGY2``.

Phonon angular momentum (Zhang & Niu, PRL 112, 085503 (2014)): l_z = e† L_z e in units of ħ with
L_z = ⊕_α [[0, −i], [i, 0]].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import ParameterError, finite
from .lattice import Lattice
from ..units import PHONON_ENERGY2, force_constant_from_1e4_dyn_per_cm

SHELL_TOL = 1e-6
"""Two neighbour distances closer than this (Å) belong to the same shell."""

DEGENERACY_RTOL = 1e-9
"""Modes with |Δ(ħω)| ≤ DEGENERACY_RTOL · max|ħω| (at the same q) are treated as degenerate."""

ZERO_EIGENVALUE_RTOL = 1e-10
"""Eigenvalues |ω²| ≤ ZERO_EIGENVALUE_RTOL · max|ω²| count as numerically zero when grouping degenerate
modes (ħω ∝ √|ω²| amplifies round-off near zero, so the Γ acoustic pair would otherwise look split)."""

GAUGE_RTOL = 1e-8
"""Phase gauge: the first component whose modulus is within this relative margin of the largest is made
real and positive (so ties such as |e_x| = |e_y| of a circular mode are broken deterministically)."""

SAITO_GRAPHENE_1E4_DYN_PER_CM = ((36.50, 24.50), (8.80, -3.23), (3.00, -5.25))
"""(φ_r, φ_ti) of shells 1–3 of graphene in 10⁴ dyn/cm: Saito, Dresselhaus & Dresselhaus,
*Physical Properties of Carbon Nanotubes* (Imperial College Press, 1998), ch. 9 (in-plane part)."""

CARBON_MASS_U = 12.011


@dataclass(frozen=True)
class ForceConstants:
    """Radial and tangential force constants per neighbour shell, and the sublattice masses.

    Parameters
    ----------
    shells : tuple of (float, float)
        ``(phi_r, phi_ti)`` for shells 1, 2, … in eV/Å²: radial and in-plane tangential spring of
        every bond in the shell. Shell n is the n-th distinct neighbour distance of the lattice.
    masses : tuple of float
        Mass of each sublattice in u (unified atomic mass units), one per sublattice.
    charges : tuple of float, optional
        Each atom's charge in e, for the ions' own moment (``numeric.response.moment.ionic_moment_muN``); None leaves
        it to the caller (the API's default is bare carbon, 6).
    """

    shells: tuple
    masses: tuple
    charges: tuple | None = None

    def __post_init__(self):
        shells = finite("shells (force constants, eV/Å²)", np.asarray(self.shells, dtype=float),
                        fix="pass finite (phi_r, phi_ti) pairs")
        if shells.ndim != 2 or shells.shape[1] != 2 or shells.shape[0] < 1:
            raise ParameterError(
                f"shells must be a non-empty sequence of (phi_r, phi_ti) pairs in eV/Å², got {self.shells!r}: "
                "pass at least one shell, e.g. ((phi_r, phi_ti),).")
        masses = finite("masses (u)", np.asarray(self.masses, dtype=float).reshape(-1),
                        fix="pass one finite mass per sublattice")
        if masses.size < 1 or not np.all(masses > 0):
            raise ParameterError(f"masses must be > 0 (u), got {self.masses!r}: pass one positive mass per sublattice.")
        object.__setattr__(self, "shells", tuple((float(r), float(t)) for r, t in shells))
        object.__setattr__(self, "masses", tuple(float(m) for m in masses))
        if self.charges is not None:
            charges = finite("charges (e)", np.asarray(self.charges, dtype=float).reshape(-1),
                             fix="pass one finite charge per sublattice")
            if charges.size != masses.size:
                raise ParameterError(f"charges has {charges.size} entries for {masses.size} masses: pass one per atom.")
            object.__setattr__(self, "charges", tuple(float(z) for z in charges))


def saito_graphene(masses=(CARBON_MASS_U, CARBON_MASS_U)) -> ForceConstants:
    """The Saito–Dresselhaus–Dresselhaus in-plane force constants of graphene, shells 1–3.

    Parameters
    ----------
    masses : tuple of float
        Sublattice masses (A, B) in u; carbon by default. Unequal masses break inversion.

    Returns
    -------
    ForceConstants
        Shells in eV/Å², converted from the tabulated 10⁴ dyn/cm.
    """
    shells = tuple((force_constant_from_1e4_dyn_per_cm(r), force_constant_from_1e4_dyn_per_cm(t))
                   for r, t in SAITO_GRAPHENE_1E4_DYN_PER_CM)
    return ForceConstants(shells, tuple(masses))


def bond_tensor(d: np.ndarray, phi_r, phi_ti) -> np.ndarray:
    """Force-constant tensors K(d) = φ_r d̂d̂ᵀ + φ_ti t̂t̂ᵀ with t̂ = ẑ × d̂.

    Parameters
    ----------
    d : (..., 2) array
        Bond vectors in Å (nonzero).
    phi_r, phi_ti : float or (...) array
        Radial and tangential force constants in eV/Å².

    Returns
    -------
    (..., 2, 2) array
        K in eV/Å².
    """
    d = np.asarray(d, dtype=float)
    dhat = d / np.linalg.norm(d, axis=-1, keepdims=True)
    that = np.stack([-dhat[..., 1], dhat[..., 0]], axis=-1)
    phi_r = np.asarray(phi_r, dtype=float)[..., None, None]
    phi_ti = np.asarray(phi_ti, dtype=float)[..., None, None]
    return phi_r * dhat[..., :, None] * dhat[..., None, :] + phi_ti * that[..., :, None] * that[..., None, :]


def shell_distances(lattice: Lattice, nshells: int) -> np.ndarray:
    """The first ``nshells`` distinct neighbour distances (Å) over all sublattice pairs."""
    rmax = float(np.min(np.linalg.norm(lattice.vectors, axis=1)))
    for _ in range(32):
        dists = [np.linalg.norm(d) for a in range(lattice.nsub) for b in range(lattice.nsub)
                 for _, d in lattice.neighbours(a, b, rmax)]
        distinct = _distinct(np.sort(dists))
        if distinct.size >= nshells:
            return distinct[:nshells]
        rmax *= 1.5
    raise ParameterError(f"could not find {nshells} neighbour shells: pass fewer shells in ForceConstants.")


def _distinct(sorted_values: np.ndarray) -> np.ndarray:
    if sorted_values.size == 0:
        return sorted_values
    keep = np.concatenate([[True], np.diff(sorted_values) > SHELL_TOL])
    return sorted_values[keep]


def circular_lz(nsub: int) -> np.ndarray:
    """L_z = ⊕_α [[0, −i], [i, 0]] on the 2·nsub displacement components (units of ħ)."""
    return np.kron(np.eye(nsub), np.array([[0, -1j], [1j, 0]]))


def angular_momentum(vectors: np.ndarray) -> np.ndarray:
    """Phonon angular momentum l_z = e† L_z e of each mode, in units of ħ.

    Parameters
    ----------
    vectors : (..., 2nsub, nmode) complex array
        Polarization vectors as columns (as returned by :meth:`Phonons.modes`).

    Returns
    -------
    (..., nmode) array
        l_z = 2 Σ_α Im(conj(e^α_x) e^α_y); ±1 for a fully circular normalized mode.
    """
    e = np.asarray(vectors)
    ex, ey = e[..., 0::2, :], e[..., 1::2, :]
    return 2.0 * np.sum(np.imag(np.conj(ex) * ey), axis=-2)


def energies_from_eigenvalues(eigenvalues: np.ndarray) -> np.ndarray:
    """ħω in eV from eigenvalues of D in eV/(Å² u); a negative eigenvalue gives a negative energy."""
    lam = np.asarray(eigenvalues, dtype=float)
    return np.sign(lam) * np.sqrt(np.abs(lam) * PHONON_ENERGY2)


class Phonons:
    """Force-constant phonons of ``lattice`` with ``force_constants``.

    Parameters
    ----------
    lattice : Lattice
        Geometry (Å); every sublattice pair is searched for neighbours.
    force_constants : ForceConstants
        One mass per sublattice, force constants per shell.

    Attributes
    ----------
    shell_radii : (nshells,) array
        Distance of each shell in Å.
    """

    def __init__(self, lattice: Lattice, force_constants: ForceConstants):
        if len(force_constants.masses) != lattice.nsub:
            raise ParameterError(
                f"masses has {len(force_constants.masses)} entries but the lattice has {lattice.nsub} sublattices: "
                "pass one mass per sublattice.")
        self.lattice = lattice
        self.force_constants = force_constants
        self.nsub = lattice.nsub
        self.masses = np.array(force_constants.masses)
        self.shell_radii = shell_distances(lattice, len(force_constants.shells))
        self._bonds = self._collect_bonds()
        self._onsite = self._onsite_blocks()

    def _collect_bonds(self) -> dict:
        """{(α, β): (d (nb, 2), K (nb, 2, 2))} for every bond within the shells."""
        phi = np.array(self.force_constants.shells)
        rmax = self.shell_radii[-1] + SHELL_TOL
        bonds = {}
        for a in range(self.nsub):
            for b in range(self.nsub):
                d = np.array([d for _, d in self.lattice.neighbours(a, b, rmax)]).reshape(-1, 2)
                if d.shape[0] == 0:
                    continue
                shell = np.argmin(np.abs(np.linalg.norm(d, axis=1)[:, None] - self.shell_radii[None, :]), axis=1)
                bonds[a, b] = (d, bond_tensor(d, phi[shell, 0], phi[shell, 1]))
        return bonds

    def _onsite_blocks(self) -> np.ndarray:
        onsite = np.zeros((self.nsub, 2, 2))
        for (a, _), (_, k) in self._bonds.items():
            onsite[a] += k.sum(axis=0)
        return onsite

    def dynamical_matrix(self, q) -> np.ndarray:
        """Mass-reduced dynamical matrix D(q).

        Parameters
        ----------
        q : (..., 2) array
            Wave vectors, Cartesian, 1/Å.

        Returns
        -------
        (..., 2nsub, 2nsub) complex array
            D in eV/(Å² u), Hermitian; component index 2α + i (i = x, y).
        """
        q = _check_q(q)
        n = 2 * self.nsub
        dyn = np.zeros(q.shape[:-1] + (n, n), dtype=complex)
        for a in range(self.nsub):
            dyn[..., 2 * a:2 * a + 2, 2 * a:2 * a + 2] += self._onsite[a]
        for (a, b), (d, k) in self._bonds.items():
            phase = np.exp(-1j * (q @ d.T))                       # (..., nb)
            dyn[..., 2 * a:2 * a + 2, 2 * b:2 * b + 2] -= np.einsum("...n,nij->...ij", phase, k)
        scale = 1.0 / np.sqrt(np.repeat(self.masses, 2))
        return dyn * scale[:, None] * scale[None, :]

    def modes(self, q):
        """Phonon energies and polarization vectors at ``q``.

        Parameters
        ----------
        q : (..., 2) array
            Wave vectors, Cartesian, 1/Å.

        Returns
        -------
        energies : (..., 2nsub) array
            ħω in eV, ascending. A negative eigenvalue ω² < 0 (instability) gives a negative energy.
        vectors : (..., 2nsub, 2nsub) complex array
            Column ν is the orthonormal polarization e_ν (component 2α + i).

        Notes
        -----
        Gauge rules, so the output is deterministic:

        1. Degenerate modes (|Δħω| ≤ ``DEGENERACY_RTOL`` · max|ħω| at that q; numerically zero
           eigenvalues, below ``ZERO_EIGENVALUE_RTOL`` · max|ω²|, count as equal) are rotated inside
           their subspace into eigenvectors of the projected L_z = ⊕_α [[0, −i], [i, 0]] (circular basis)
           and ordered by increasing l_z. Examples: the Γ acoustic and optical pairs become l_z = −1, +1.
        2. Each vector is then multiplied by a phase so that its largest-modulus component (the first
           one within ``GAUGE_RTOL`` of the largest) is real and positive.
        """
        lam, vec = np.linalg.eigh(self.dynamical_matrix(q))
        vec = _circular_in_degenerate_subspaces(lam, vec, circular_lz(self.nsub))
        return energies_from_eigenvalues(lam), _fix_phase(vec)

    def energies(self, q) -> np.ndarray:
        """ħω in eV at ``q`` (..., 2), ascending; shape (..., 2nsub)."""
        return energies_from_eigenvalues(np.linalg.eigvalsh(self.dynamical_matrix(q)))


def _check_q(q) -> np.ndarray:
    q = np.asarray(finite("q (wave vector, 1/Å)", np.asarray(q, dtype=float),
                          fix="pass finite Cartesian wave vectors"), dtype=float)
    if q.ndim < 1 or q.shape[-1] != 2:
        raise ParameterError(f"q must have shape (..., 2) (Cartesian 1/Å), got shape {q.shape}: pass 2D wave vectors.")
    return q


def _degenerate_groups(lam: np.ndarray) -> np.ndarray:
    """Integer group label per mode (..., n); equal labels = degenerate. ``lam`` ascending."""
    lam_max = np.max(np.abs(lam), axis=-1, keepdims=True)
    lam = np.where(np.abs(lam) <= ZERO_EIGENVALUE_RTOL * lam_max, 0.0, lam)
    omega = energies_from_eigenvalues(lam)
    tol = DEGENERACY_RTOL * np.max(np.abs(omega), axis=-1, keepdims=True)
    new_group = np.diff(omega, axis=-1) > tol
    zeros = np.zeros(new_group.shape[:-1] + (1,), dtype=int)
    return np.concatenate([zeros, np.cumsum(new_group, axis=-1)], axis=-1)


def _circular_in_degenerate_subspaces(lam: np.ndarray, vec: np.ndarray, lz: np.ndarray) -> np.ndarray:
    """Rotate each degenerate block of ``vec`` into L_z eigenvectors, ordered by increasing l_z.

    The projected L_z is masked to the degenerate blocks and offset by 4 × (group label): its
    eigenvalues lie in [−1, 1] per block, so the offset keeps blocks apart and in ω order, while
    eigh orders each block by increasing l_z.
    """
    group = _degenerate_groups(lam)
    same = group[..., :, None] == group[..., None, :]
    projected = np.conj(np.swapaxes(vec, -1, -2)) @ lz @ vec
    block = np.where(same, projected, 0.0)
    n = lam.shape[-1]
    block = block + 4.0 * group[..., :, None] * np.eye(n)
    _, rot = np.linalg.eigh(block)
    rot = np.where(same, rot, 0.0)
    return vec @ rot


def _fix_phase(vec: np.ndarray) -> np.ndarray:
    """Make the largest-modulus component of each column real and positive."""
    mod = np.abs(vec)
    big = mod >= (1.0 - GAUGE_RTOL) * np.max(mod, axis=-2, keepdims=True)
    idx = np.argmax(big, axis=-2)                                  # first True per column
    pivot = np.take_along_axis(vec, idx[..., None, :], axis=-2)
    return vec * (np.conj(pivot) / np.abs(pivot))
