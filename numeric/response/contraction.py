"""Eq. (4)'s contractions and the combination of θ's that defines Λ (CONVENTIONS.md §4, §8). Shared by every path.

Both the referee (numeric/response/direct.py) and the fast path (numeric/response/fast.py) end with the same bookkeeping; it lives here
once. The Born–Oppenheimer comparison (tests/test_adiabatic.py) checks it independently of either path.
"""

from __future__ import annotations

import numpy as np

LEVI_CIVITA_2D = np.array([[0.0, 1.0], [-1.0, 0.0]])


def contract_eq4(dtheta: np.ndarray, nsub: int) -> np.ndarray:
    """¼ ε_{zℓk} ε_{zk₁k₂} ∂_{q₀ℓ}∂_ω Θ_{k,(a,k₁),(b,k₂)} → (nsub, nsub), from dtheta of shape (ℓ, k, c, c')."""
    d = np.asarray(dtheta).reshape(2, 2, nsub, 2, nsub, 2)                 # ℓ, k, a, k₁, b, k₂
    return 0.25 * np.einsum("lk,mn,lkambn->ab", LEVI_CIVITA_2D, LEVI_CIVITA_2D, d)


def contract_field(dtheta: np.ndarray, nsub: int) -> np.ndarray:
    """¼ ε_{zℓk} ∂_{q₀ℓ}∂_ω Θ_{k,(a,k₁),(b,k₂)} → (nsub, 2, nsub, 2): the field's curl taken, the displacement indices kept
    (contract_eq4 = Σ ε_{k₁k₂} of this)."""
    d = np.asarray(dtheta).reshape(2, 2, nsub, 2, nsub, 2)                 # ℓ, k, a, k₁, b, k₂
    return 0.25 * np.einsum("lk,lkambn->ambn", LEVI_CIVITA_2D, d)


def routes(by_term: dict) -> dict:
    """Λ and its routes from the per-term contractions ¼ D[Θ^s] (keys "theta1", "theta2", "theta3"):
    current = (1/16) D[Θ¹+Θ³], force = (1/16) D[Θ²+Θ³], Λ = their mean, and Eq. (4) as printed, ¼ D[Θ¹+Θ²+Θ³]."""
    t1, t2, t3 = by_term["theta1"], by_term["theta2"], by_term["theta3"]
    current, force = (t1 + t3) / 4, (t2 + t3) / 4
    return {"Lambda": (current + force) / 2, "current_route": current, "force_route": force,
            "eq4_as_printed": t1 + t2 + t3}
