"""The paper's Eq. (7)–(8), typed from band data and the model's vertices (rung V2, CONVENTIONS.md §1.3, §10).

Nothing here comes from ``derive/`` or ``generated/``: the integrands are written from the printed equations with NumPy,
so they can be compared with the derived skew-scattering and side-jump parts (tests/test_eq7.py, notebook 3). Both are
the sublattice matrix Λ^{ab}_zz (CONVENTIONS.md §4, §5); the paper's "onsite" part is Λ^{aa}. Eq. (7) is the small-η
limit: use it for an insulator (μ in the gap, T = 0) with all η small at fixed ratios.

Readings of the printed slips (each tested, not tuned; CONVENTIONS.md §1.3, §8):

1. δ carries the intermediate band: δ^{n₃}_{n₁} → δ^{n₂}_{n₁} = η_{n₂}/(2η_p + η_{n₁}) in both terms
   (``delta_index="n3"`` keeps the printed index in the side jump, for the test that shows it fails).
2. Skew term: n₂ is summed; it carries i Ω^{n₂}_{n₁n₁} (the printed Ω is imaginary on Λ^{aa}).
3. Side jump: A_{j₁} = ⟨n₃|i∂_{j₁}|n₁⟩; T = Im Σ_{n₃≠n₁} Ω^{n₂}_{n₁n₃} A_{j₁,n₃n₁} with the printed Ω.
4. m^e: the gauge-invariant orbital moment m_n (numeric/model/bands.py).
5. Parity: "− (ω, q → −ω, −q)" is Eq. (4)'s swapped-index term, which makes Eq. (7) even (``parity="printed"`` reads
   it literally).
"""

from __future__ import annotations

import numpy as np

from ..model.bands import band_data, diagonalize
from ..model.tight_binding import displacement
from ..response.contraction import LEVI_CIVITA_2D


def _eq7_one_sign(model, k, omega, q, eta_p, eta, mu, delta_index):
    """Eq. (7)'s two integrands at (ω, q) per k, sublattice matrices (nk, nsub, nsub), before −½ and the (−ω, −q) term.

    skew[k, a, b] = Σ_{n₁n₂} δ^{n₂}_{n₁} m_{n₁} G₁ Ω^{n₂}_{n₁n₁}[a, b]             (printed Ω)
    side[k, a, b] = Σ_{n₁n₂, n₃≠n₁} δ ε_{j₁j₂} v^{j₂}_{n₁} G₂ Ω^{n₂}_{n₁n₃}[a, b] A^{j₁}_{n₃n₁}   (complex, before Im)
    with Ω^{n₂}_{n₁n₃}[a, b] = ε_{i₁i₂} (∂H/∂u^a_{i₁,q})_{n₁k, n₂k−q} (∂H/∂u^{b*}_{i₂,q})_{n₂k−q, n₃k} / (Δε₁₂ Δε₃₂).
    """
    nsub = model.nsub
    bd = band_data(model, k)
    e1, U1, v = bd.energies, bd.vectors, bd.velocity
    f1 = (e1 < mu).astype(float)
    m = bd.orbital_moment()                                    # (nk, nb), gauge invariant (reading 4)
    A = bd.berry_connection()                                  # (nk, 2, nb, nb), A^j_nm = ⟨n|i∂_j m⟩
    e2, U2 = diagonalize(model.hamiltonian(k - q))
    f2 = (e2 < mu).astype(float)
    dag = lambda U: np.conj(np.swapaxes(U, -1, -2))
    # ∂H/∂u_{i,q} between ⟨n₁, k| and |n₂, k−q⟩; ∂H/∂u*_{i,q} is the vertex of the amplitude at −q, ⟨n₂, k−q| … |n₃, k⟩
    Fu = np.stack([dag(U1) @ model.vertex([displacement(q, a, i, nsub)], k) @ U2
                   for a in range(nsub) for i in range(2)]).reshape((nsub, 2) + e1.shape + e2.shape[-1:])
    Fw = np.stack([dag(U2) @ model.vertex([displacement(-q, a, i, nsub)], k - q) @ U1
                   for a in range(nsub) for i in range(2)]).reshape((nsub, 2) + e2.shape + e1.shape[-1:])
    d12 = e1[:, :, None] - e2[:, None, :]                      # Δε_{n₁k, n₂k−q}, (nk, n₁, n₂)
    df = f1[:, :, None] - f2[:, None, :]                       # Δf_{n₁k, n₂k−q}; Ω and G only enter multiplied by it
    resonant = df != 0                                         # then |Δε₁₂| ≥ the gap
    G1 = df * d12**2 / (-omega + d12) ** 3                     # Eq. (8)
    VV = np.einsum("ij,aiknp,bjkpr->abknpr", LEVI_CIVITA_2D, Fu, Fw)          # ε_{i₁i₂} (∂H/∂u)(∂H/∂u*), (a,b,nk,n₁,n₂,n₃)
    # Ω^{n₂}_{n₁n₁} = VV/Δε₁₂²; in the side jump G₂ Ω^{n₂}_{n₁n₃} = G₁ (Δε₃₂/Δε₁₂) VV/(Δε₁₂ Δε₃₂) = G₁ VV/Δε₁₂²,
    # written so because Δε₃₂ vanishes where n₃ and n₂ are degenerate across k and k − q (K ↔ K′ at q = K).
    inv_d12_sq = np.where(resonant, 1.0 / np.where(resonant, d12, 1.0) ** 2, 0.0)
    Omega_diag = np.einsum("abknpn->abknp", VV) * inv_d12_sq
    G2_Omega = (G1 * inv_d12_sq)[:, :, :, None] * VV
    delta = np.asarray(eta)[None, :] / (2 * eta_p + np.asarray(eta)[:, None])   # δ^{n'}_{n} = η_{n'}/(2η_p + η_n), [n, n']
    skew = np.einsum("np,kn,knp,abknp->kab", delta, m, G1, Omega_diag)
    nb = e1.shape[-1]
    G2OmA = np.einsum("abknpr,kjrn->abjknpr", G2_Omega, A) * ~np.eye(nb, dtype=bool)[:, None, :]   # n₃ ≠ n₁
    vd = np.einsum("kjnn->kjn", v)
    if delta_index == "n2":
        side = np.einsum("np,ij,kjn,abiknpr->kab", delta, LEVI_CIVITA_2D, vd, G2OmA)
    else:                                                      # the printed δ^{n₃}_{n₁}, n₃ the Berry-connection band
        side = np.einsum("nr,ij,kjn,abiknpr->kab", delta, LEVI_CIVITA_2D, vd, G2OmA)
    return skew, side


def eq7(model, k, omega, q, eta_p, eta, mu, *, parity="swapped", delta_index="n2"):
    """λ^NA of Eq. (7) per k (nk, nsub, nsub), its two terms under the readings of the module docstring.

    ``k`` (nk, 2) and ``q`` (2,) in 1/Å; ``omega``, ``eta_p``, ``mu`` in eV; ``eta`` the paper's η_n per band (ascending),
    eV. Multiply by the k-weights and sum for the Brillouin-zone integral (e = ħ = 1, per primitive cell).

    Returns {"skew": first term with i Ω (reading 2), "side_jump": second term with T = Im Σ Ω A (printed Ω, reading 3),
    "side_jump_complex": the same with T = Σ Ω A (no Im)}. ``parity="swapped"`` is reading 5; ``"printed"`` takes
    "− (ω, q → −ω, −q)" literally (same index order). ``delta_index="n3"`` is the printed δ^{n₃}_{n₁} in the side jump.
    """
    q = np.asarray(q, float)
    skew_p, side_p = _eq7_one_sign(model, k, omega, q, eta_p, eta, mu, delta_index)
    skew_m, side_m = _eq7_one_sign(model, k, -omega, -q, eta_p, eta, mu, delta_index)
    if parity == "swapped":
        combine = lambda p, mm: p + np.swapaxes(mm, -1, -2)
    else:
        combine = lambda p, mm: p - mm
    side = -0.5 * combine(side_p, side_m)
    return {"skew": -0.5 * 1j * combine(skew_p, skew_m), "side_jump": side.imag + 0j, "side_jump_complex": side}
