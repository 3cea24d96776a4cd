"""Phonons in a magnetic field through Λ: Zeeman splitting and the field-induced angular momentum (paper Fig. 2(h)).

Eq. (1) generalized to sublattices adds L_Z = B Σ_ab Λ^{ab} (u^a × u̇^b)_z to the phonon Lagrangian (CONVENTIONS.md §5).
Its Euler–Lagrange term is a gyroscopic force, M ü = −K u + G u̇ with

    G_{(c,k),(b,j)} = B (Λ^{cb} + Λ^{bc}) ε_{kj},

so with mass-reduced coordinates and e^{−iωt}: ω² e = D e + iω Ĝ e, Ĝ = M^{−1/2} G M^{−1/2} (eV, ħ = 1).
To first order in B a non-degenerate mode shifts by ħδω_ν = (iħ/2) e_ν† Ĝ e_ν = −m_ν B (the Zeeman term −m·B,
with m_ν of :func:`numeric.response.moment.mode_moment`), and its polarization mixes with the others,
e_ν → e_ν + Σ_{μ≠ν} e_μ iω_ν (e_μ† Ĝ e_ν)/(ω_ν² − ω_μ²), which changes its angular momentum l = e† L_z e (Zhang & Niu).
Only the reactive part of Λ (the real part of its symmetric combination) enters G; the dissipative part is a damping,
not a force that conserves energy.

Away from Γ Eq. (4)'s Λ is not the whole of the field-linear term (CONVENTIONS.md §5, §8): given the whole tensor
T^{ab}_{ij} (``numeric.response.fast.lambda_tensor_generated``) instead, :func:`gyroscopic_matrix` returns
Ĝ = 2iB N_H, N_H the Hermitian part of Ñ_{(bj),(ai)} = 2i T^{ab}_{ij}/√(M_a M_b), the form whose expectation value in a mode
is the whole moment (``numeric.response.moment.tensor_mode_moments``): the shifts are then −m B with m the whole moment
(tests/test_whole_moment.py). Ĝ is anti-Hermitian (iĜ Hermitian: real frequencies), real antisymmetric at Γ, where it
is the Λ form.
"""

from __future__ import annotations

import numpy as np

from .contraction import LEVI_CIVITA_2D
from ..model.phonons import circular_lz
from ..units import AMU_IN_NATURAL_MASS, TESLA_PER_NATURAL_FIELD



def gyroscopic_matrix(Lambda: np.ndarray, masses_u, B_tesla: float) -> np.ndarray:
    """Mass-reduced Ĝ (2 nsub, 2 nsub), eV, for a field B (tesla) along z, from Λ^{ab} (nsub, nsub): real
    antisymmetric; or from the whole tensor T^{ab}_{ij} (nsub, 2, nsub, 2): anti-Hermitian (module docstring)."""
    B = B_tesla / TESLA_PER_NATURAL_FIELD
    inv = 1.0 / np.sqrt(np.repeat(np.asarray(masses_u, float) * AMU_IN_NATURAL_MASS, 2))
    L = np.asarray(Lambda)
    if L.ndim == 4:
        N = 2j * L.reshape(len(inv), len(inv)).T                      # Ñ_{(bj),(ai)} = 2i T^{ab}_{ij}
        G = 2j * B * 0.5 * (N + N.conj().T)
    else:
        G = B * np.kron(np.real(L + L.T), LEVI_CIVITA_2D)
    return G * inv[:, None] * inv[None, :]


def modes_in_field(energies_ev: np.ndarray, vectors: np.ndarray, G: np.ndarray):
    """Exact solution of ω² e = D e + iω Ĝ e (D = V diag(ω²) V†) by linearization; positive-frequency modes.

    Returns ascending ħω (eV) and the displacement parts of the eigenvectors, normalized to |e| = 1.
    """
    V = np.asarray(vectors)
    D = (V * np.asarray(energies_ev) ** 2) @ V.conj().T
    n = D.shape[0]
    big = np.block([[np.zeros((n, n)), np.eye(n)], [D, 1j * G]])           # (e, ωe) ↦ (ωe, De + iωĜe)
    w, X = np.linalg.eig(big)
    keep = w.real > 1e-9
    w, e = w[keep].real, X[:n, keep]
    order = np.argsort(w)
    e = e[:, order] / np.linalg.norm(e[:, order], axis=0)
    return w[order], e


def field_induced_angular_momentum(energies_ev: np.ndarray, vectors: np.ndarray, G: np.ndarray, branch: int) -> float:
    """First-order change of l_z (units of ħ) of a non-degenerate ``branch`` for the gyroscopic matrix ``G``."""
    V = np.asarray(vectors)
    w = np.asarray(energies_ev)
    e = V[:, branch]
    Lz = circular_lz(V.shape[0] // 2)
    dl = 0.0
    for mu in range(V.shape[1]):
        if mu == branch or abs(w[mu] ** 2 - w[branch] ** 2) < 1e-12:
            continue
        c = 1j * w[branch] * (V[:, mu].conj() @ G @ e) / (w[branch] ** 2 - w[mu] ** 2)
        dl += 2.0 * np.real((e.conj() @ Lz @ V[:, mu]) * c)       # δ(e†L e) = 2 Re e†L δe
    return float(dl)
