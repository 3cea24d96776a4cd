"""From the sublattice matrix Λ^{ab}_zz to the moment of a phonon mode (CONVENTIONS.md §5, §6). Shared by every path.

Eq. (1) generalized to sublattices: the Lagrangian gains L_Z = B Σ_ab Λ^{ab} (u^a × u̇^b)_z. For one phonon in mode ν,
u^a = e^a_ν Q e^{−iωt}/√M_a + c.c. with |Q|² = ħ/(2ω), the time average is

    ⟨(u^a × u̇^b)_z⟩ = (iħ/2) (X_ab + X_ba) / √(M_a M_b),      X_ab = (e^a × e^{b*})_z ,

so the moment per phonon quantum is

    m_ν = (iħ/2) Σ_ab (Λ^{ab} + Λ^{ba}) X_ab / √(M_a M_b).

i(X_ab + X_ba) is real, so m_ν is real exactly when the symmetric part Λ^{(ab)} is; its imaginary part (nonzero at finite
damping) is returned separately, never dropped: it is the field-odd difference of the two circular modes' damping.
For a = b this reduces to Λ^{aa} l^a/M_a with l^a = 2 Im(e^{a*}_x e^a_y) the sublattice angular momentum (Zhang–Niu).
"""

from __future__ import annotations

import numpy as np

from ..units import AMU_IN_NATURAL_MASS, AMU_KG, MU_B_EV_PER_T, MU_N_EV_PER_T, PROTON_MASS_KG, TESLA_PER_NATURAL_FIELD


def cross_z(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a × b)_z of 2-vectors along the last axis."""
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def mode_moment(Lambda: np.ndarray, polarization: np.ndarray, masses_u) -> complex:
    """m_ν (eV·Å² in e = ħ = 1 units, i.e. eV per ħ/(eÅ²)) from Λ^{ab} (nsub, nsub) and a polarization (2 nsub,).

    Returns a complex number whose real part is the moment and whose imaginary part is the dissipative remainder.
    """
    return complex(mode_moments(Lambda, polarization, masses_u))


def mode_moments(Lambda: np.ndarray, polarization: np.ndarray, masses_u) -> np.ndarray:
    """:func:`mode_moment` for a stack of matrices Λ (..., nsub, nsub) and one polarization; complex array (...)."""
    e = np.asarray(polarization).reshape(-1, 2)
    M = np.asarray(masses_u, float) * AMU_IN_NATURAL_MASS
    X = cross_z(e[:, None, :], np.conj(e)[None, :, :])          # X_ab
    L = np.asarray(Lambda)
    sym = L + np.swapaxes(L, -1, -2)
    return 0.5j * np.sum(sym * (X / np.sqrt(M[:, None] * M[None, :])), axis=(-2, -1))


def tensor_mode_moment(T: np.ndarray, polarization: np.ndarray, masses_u) -> float:
    """The real part of :func:`tensor_mode_moments` (in the Hermitian limit, where T's anti-Hermitian part is all of it,
    the whole moment): m_ν = −2 Im Σ_{ab,ij} T^{ab}_{ij} e^a_i e^{b*}_j / √(M_a M_b). Units as :func:`mode_moment`."""
    return float(tensor_mode_moments(T, polarization, masses_u).real)


def tensor_mode_moments(T: np.ndarray, polarization: np.ndarray, masses_u) -> np.ndarray:
    """The whole moment of a mode (CONVENTIONS.md §5) from the tensor T^{ab}_{ij} (..., nsub, 2, nsub, 2) of
    ``numeric.response.direct.lambda_tensor`` or ``numeric.response.fast.lambda_tensor_generated``
    (Λ^{ab} = Σ_ij ε_ij T^{ab}_{ij}); complex array (...):

        m̃_ν = 2i Σ_{ab,ij} T^{ab}_{ij} w^a_i w^{b*}_j,      w^a = e^a/√M_a.

    In the Hermitian limit T is anti-Hermitian as a matrix in (a i), (b j) and m̃ is real: the Lagrangian
    B Σ 2T^{ab}_{ij} u^a_i(q) u̇^b_j(−q) + c.c. averages, for one phonon, to B m̃. At finite damping the real part
    (from T's anti-Hermitian part) is the moment, the field-linear shift of the mode's frequency, and the imaginary
    part (from T's Hermitian part) a field-odd change of its damping, as for :func:`mode_moment`. With T = ½ Λ ε
    (q = Γ, C3v) m̃ is :func:`mode_moment` whenever the sublattice amplitudes are relatively real (Re X_ab = 0: every
    Γ mode of a two-atom crystal); otherwise they differ by −Σ_ab Im Λ^{[ab]} Re X_ab (§5). Away from Γ T has δ_ij and
    traceless parts that Eq. (4)'s Λ drops (CONVENTIONS.md §8). Units as :func:`mode_moment`."""
    w = mass_weighted(polarization, masses_u).reshape(-1, 2)
    return whole_from_projection(np.einsum("...aibj,ai,bj->...", np.asarray(T), w, np.conj(w)))


def mass_weighted(polarization: np.ndarray, masses_u) -> np.ndarray:
    """w = e/√M (2 nsub,), component 2a + i, M in e = ħ = 1 units: what :func:`tensor_mode_moments` contracts T with."""
    M = np.asarray(masses_u, float) * AMU_IN_NATURAL_MASS
    return (np.asarray(polarization).reshape(-1, 2) / np.sqrt(M)[:, None]).reshape(-1)


def whole_from_projection(p) -> np.ndarray:
    """m̃ = 2i p from p = Σ T^{ab}_{ij} w^a_i w^{b*}_j (:func:`tensor_mode_moments`; the fast path folds w into the
    vertices and evaluates p directly: ``numeric.response.fast.lambda_projected_rates``)."""
    return 2j * np.asarray(p)


def natural_moment_to_ev_per_tesla(m: float) -> float:
    """A moment in eV per ħ/(eÅ²) (e = ħ = 1, Å) to eV/T."""
    return m / TESLA_PER_NATURAL_FIELD


def to_nuclear_magnetons(m_natural: float) -> float:
    """A moment in eV per ħ/(eÅ²) to nuclear magnetons μ_N."""
    return natural_moment_to_ev_per_tesla(m_natural) / MU_N_EV_PER_T


def to_bohr_magnetons(m_natural: float) -> float:
    """A moment in eV per ħ/(eÅ²) to Bohr magnetons μ_B."""
    return natural_moment_to_ev_per_tesla(m_natural) / MU_B_EV_PER_T


def moment_matrix(Lambda: np.ndarray, polarizations: np.ndarray, masses_u) -> np.ndarray:
    """The moment operator in a set of modes: M_{νν'} = (iħ/2) Σ_ab (Λ^{ab} + Λ^{ba}) (e^a_ν × e^{b*}_ν')_z/√(M_a M_b)
    … arranged so that M_{νν} = ``mode_moment`` of mode ν (eV·Å², e = ħ = 1).

    For a degenerate pair (the Γ optical pair, the middle pair at K) a field splits the pair by the eigenvalues of the
    reactive (Hermitian) part of M; those are the moments of the split modes, whatever basis the phonon solver returned.

    Parameters
    ----------
    polarizations : (2 nsub, nmodes) array
        Columns are the modes spanning the (degenerate) subspace.
    """
    E = np.asarray(polarizations).reshape(-1, 2, np.shape(polarizations)[-1])          # (a, component, ν)
    M = np.asarray(masses_u, float) * AMU_IN_NATURAL_MASS
    sym = (np.asarray(Lambda) + np.asarray(Lambda).T) / np.sqrt(M[:, None] * M[None, :])
    # X_ab(ν', ν) = (e^a_ν × e^{b*}_ν')_z: the quadratic form e_ν ↦ m in the basis of the modes
    cross = (E[:, None, 0, None, :] * np.conj(E)[None, :, 1, :, None]
             - E[:, None, 1, None, :] * np.conj(E)[None, :, 0, :, None])              # (a, b, ν', ν)
    return 0.5j * np.einsum("ab,abmn->mn", sym, cross)


def split_moments(Lambda: np.ndarray, polarizations: np.ndarray, masses_u) -> np.ndarray:
    """Moments of the field-split modes of a degenerate subspace: eigenvalues of the Hermitian part of ``moment_matrix``."""
    Mm = moment_matrix(Lambda, polarizations, masses_u)
    return np.linalg.eigvalsh(0.5 * (Mm + Mm.conj().T))


def ionic_moment_muN(polarization: np.ndarray, masses_u, charges) -> float:
    """The moment (μ_N per phonon quantum) of the ions themselves, point charges Z_a e circling with the mode.

    A charge Z e of mass M with angular momentum l ħ carries (Z e/2M) l ħ; per phonon the sublattice angular momentum
    is l^a = 2 Im(e^{a*}_x e^a_y) (Zhang–Niu), so m_ion = Σ_a Z_a (m_p/M_a) l^a μ_N. ``charges``: the bare nuclear
    charges (6 for carbon) or any effective charges the user chooses. Added to the electronic m_ν it gives the total.
    """
    e = np.asarray(polarization).reshape(-1, 2)
    l = 2.0 * np.imag(np.conj(e[:, 0]) * e[:, 1])
    M = np.asarray(masses_u, float) * AMU_KG
    return float(np.sum(np.asarray(charges, float) * (PROTON_MASS_KG / M) * l))
