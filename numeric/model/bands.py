"""Band data of a tight-binding model at any set of k-points (CONVENTIONS.md §3, §4).

Conventions (e = ħ = 1, energies eV, lengths Å, Bloch convention I):

- velocity matrix elements v^μ_nm = ⟨n|∂H/∂k_μ|m⟩ (eV·Å);
- interband Berry connection A^μ_nm = ⟨n|i∂_μ m⟩ = i v^μ_nm/(ε_m − ε_n), n ≠ m (Å); the paper's A_{n3 k, n1 k} below Eq. 8;
- Berry curvature Ω_n = i⟨∂n|×|∂n⟩_z = −2 Σ_{m≠n} Im(v^x_nm v^y_mn)/(ε_n − ε_m)² (Å²);
- orbital moment m_n = −(i/2)⟨∂n|×(H − ε_n)|∂n⟩_z = −Σ_{m≠n} Im(v^x_nm v^y_mn)/(ε_n − ε_m) (eV·Å², e = ħ = 1),
  the gauge-invariant moment of Xiao, Chang & Niu, RMP 82, 1959 (2010), for the coupling H(k + A): the energy in a
  field B_z is ε_n − m_n B_z. The paper's m^e = ½ Im⟨∂n|×v|n⟩ (below Eq. 7) is not gauge invariant; this is the reading
  adopted (CONVENTIONS.md §3, §8).

Two-band models use the closed-form eigen-solution, larger ones batched ``eigh`` (why: CONVENTIONS.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import ParameterError, finite, grid_size

DEGENERACY_TOL = 1e-9  # eV; interband formulas divide by ε_n − ε_m


def eigh2(H: np.ndarray):
    """Closed-form eigen-solution of Hermitian 2×2 matrices H = h0 + h·σ, shape (..., 2, 2).

    Returns ascending energies (..., 2) and eigenvectors (..., 2, 2) (columns). The gauge is chosen per k from
    the better-conditioned of two closed forms, so no column is ever 0/0 away from h = 0.
    """
    a = H[..., 0, 0].real
    c = H[..., 1, 1].real
    off = H[..., 0, 1]                        # = hx − i hy
    h0, hz = 0.5 * (a + c), 0.5 * (a - c)
    hx, hy = off.real, -off.imag
    r = np.sqrt(hx**2 + hy**2 + hz**2)
    energies = np.stack([h0 - r, h0 + r], axis=-1)
    up = hz >= 0
    # upper: (r + hz, hx + i hy) if hz ≥ 0 else (hx − i hy, r − hz); lower is orthogonal to it.
    u0 = np.where(up, r + hz, off)
    u1 = np.where(up, hx + 1j * hy, r - hz)
    norm = np.sqrt(np.abs(u0) ** 2 + np.abs(u1) ** 2)
    u0, u1 = u0 / norm, u1 / norm
    vectors = np.empty(H.shape, dtype=complex)
    vectors[..., 0, 1], vectors[..., 1, 1] = u0, u1
    vectors[..., 0, 0], vectors[..., 1, 0] = -np.conj(u1), np.conj(u0)
    return energies, vectors


def diagonalize(H: np.ndarray):
    """Ascending energies and eigenvector columns of Hermitian matrices (..., n, n)."""
    if H.shape[-1] == 2:
        return eigh2(H)
    return np.linalg.eigh(H)


@dataclass(frozen=True)
class BandData:
    """Band energies, eigenvectors and velocity matrix elements at a set of k-points.

    Attributes
    ----------
    k : (..., 2) array, 1/Å
    energies : (..., nb) array, eV, ascending
    vectors : (..., nsub, nb) complex array, eigenvector columns (Bloch convention I)
    velocity : (..., 2, nb, nb) complex array, v^μ_nm in eV·Å
    """

    k: np.ndarray
    energies: np.ndarray
    vectors: np.ndarray
    velocity: np.ndarray

    def _gaps(self) -> np.ndarray:
        e = self.energies
        gaps = e[..., :, None] - e[..., None, :]
        nb = e.shape[-1]
        off = ~np.eye(nb, dtype=bool)
        if np.any(np.abs(gaps[..., off]) < DEGENERACY_TOL):
            raise ParameterError(
                "degenerate bands: an interband quantity divides by ε_n − ε_m = 0 at some k; "
                "open a gap (delta ≠ 0) or avoid the touching point.")
        return np.where(off, gaps, np.inf)          # ε_n − ε_m, infinite on the diagonal

    def berry_connection(self) -> np.ndarray:
        """Interband Berry connection A^μ_nm = i v^μ_nm/(ε_m − ε_n) (n ≠ m; zero on the diagonal), Å."""
        return 1j * self.velocity / (-self._gaps())[..., None, :, :]

    def berry_curvature(self) -> np.ndarray:
        """Ω_n (Å²): −2 Σ_{m≠n} Im(v^x_nm v^y_mn)/(ε_n − ε_m)²."""
        g = self._gaps()
        vx, vy = self.velocity[..., 0, :, :], self.velocity[..., 1, :, :]
        prod = (vx * np.swapaxes(vy, -1, -2)).imag
        return -2.0 * np.sum(prod / g**2, axis=-1)

    def orbital_moment(self) -> np.ndarray:
        """m_n (eV·Å², e = ħ = 1): −Σ_{m≠n} Im(v^x_nm v^y_mn)/(ε_n − ε_m)."""
        g = self._gaps()
        vx, vy = self.velocity[..., 0, :, :], self.velocity[..., 1, :, :]
        prod = (vx * np.swapaxes(vy, -1, -2)).imag
        return -np.sum(prod / g, axis=-1)


def band_data(model, k) -> BandData:
    """Diagonalize ``model`` at k-points ``k`` (..., 2) (1/Å) and project the velocity onto the bands."""
    k = np.asarray(finite("k", k, fix="pass finite wave vectors in 1/Å"), dtype=float)
    energies, vectors = diagonalize(model.hamiltonian(k))
    dH = model.velocity(k)
    vd = np.conj(np.swapaxes(vectors, -1, -2))[..., None, :, :]
    velocity = vd @ dH @ vectors[..., None, :, :]
    return BandData(k, energies, vectors, velocity)


def chern_number(model, nfilled: int = 1, nk: int = 36) -> float:
    """Chern number of the ``nfilled`` lowest bands by the lattice method of Fukui, Hatsugai & Suzuki, J. Phys. Soc.
    Jpn. 74, 1674 (2005): C = (1/2π) ∫ Ω d²k with Ω = i⟨∂u|×|∂u⟩ (this module's sign), summed over the plaquettes of
    an nk × nk grid as the phase of the product of the occupied subspace's link overlaps.

    Uses the cell-periodic Bloch convention II (H(k + G) = H(k)), so the grid closes on itself. Exact (an integer to
    rounding) once the grid resolves the curvature; returns the float so a caller sees how close it is.
    """
    nk = int(nk)
    b = model.lattice.reciprocal
    frac = np.stack(np.meshgrid(np.arange(nk), np.arange(nk), indexing="ij"), axis=-1) / nk
    _, U = np.linalg.eigh(model.hamiltonian(frac @ b, bloch="II"))
    occ = U[..., :nfilled]                                             # (nk, nk, norb, nfilled)

    def link(axis):
        shifted = np.roll(occ, -1, axis=axis)
        det = np.linalg.det(np.conj(np.swapaxes(occ, -1, -2)) @ shifted)
        return det / np.abs(det)

    U1, U2 = link(0), link(1)
    flux = np.angle(U1 * np.roll(U2, -1, axis=0) * np.conj(np.roll(U1, -1, axis=1)) * np.conj(U2))
    orientation = np.sign(np.linalg.det(b))                            # the plaquettes' (b1, b2) sense against (x, y)
    return float(-orientation * flux.sum() / (2 * np.pi))


ISOENERGY_SPAN = 1.25    # half-width of the iso-energy mesh in units of |K|: the first zone and a margin around it


def valence_isoenergy(model, n: int):
    """The valence band over a square around Γ that holds the first Brillouin zone (the paper's Fig. 2a).

    Parameters
    ----------
    model : TightBindingModel
        Its lattice supplies K, which sets the square's half-width ``ISOENERGY_SPAN``·|K|.
    n : int
        Mesh points per direction (≥ 2).

    Returns
    -------
    kx, ky : (n, n) arrays
        Cartesian wave vectors in 1/Å (``numpy.meshgrid(..., indexing="xy")``).
    valence : (n, n) array
        ε_0(k) in eV, the lowest band (the valence band at half filling).
    """
    n = grid_size("n (iso-energy mesh points per direction)", n, minimum=2)
    span = ISOENERGY_SPAN * np.linalg.norm(model.lattice.point("K"))
    axis = np.linspace(-span, span, n)
    kx, ky = np.meshgrid(axis, axis, indexing="xy")
    energies, _ = diagonalize(model.hamiltonian(np.stack([kx, ky], -1)))
    return kx, ky, energies[..., 0]
