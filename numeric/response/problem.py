"""The question and the answer of the response layer, shared by the referee (``direct``) and the fast path (``fast``).

- :class:`Problem`: everything besides (ω, q) that λ depends on: the model, a Brillouin-zone sample, the damping rates,
  the chemical potential and temperature;
- :func:`uniform_problem`: a :class:`Problem` on the Γ-centred nk×nk grid;
- :class:`LambdaResult`: Λ^{ab}_zz of the paper's Eq. (4) and its pieces, whichever method computed it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.brillouin import uniform_grid
from ..validation import grid_size
from .damping import Rates

MIN_NK = 3               # a Brillouin-zone sum needs more than Γ and one shell of points
RELIABLE_NK = 24
"""Smallest nk for which the k-grid error estimate is claimed (tests/test_scan.py, CONVENTIONS.md §7)."""


@dataclass(frozen=True)
class Problem:
    """Everything the referee needs besides (ω, q): model, k-grid, damping, occupations.

    Parameters
    ----------
    model : TightBindingModel
    k : (nk, 2) array
        Brillouin-zone sample (1/Å), with ``weights`` summing to 1 (per-cell normalization).
    rates : Rates
        From :func:`numeric.response.damping.rates_from_paper`.
    mu : float
        Chemical potential (eV); default mid-gap 0.
    temperature : float
        Kelvin; 0 by default.
    """

    model: object
    k: np.ndarray
    weights: np.ndarray
    rates: Rates
    mu: float = 0.0
    temperature: float = 0.0
    second_order_vertices: bool = True
    bloch: str = "I"


@dataclass(frozen=True)
class LambdaResult:
    """Λ^{ab}_{zz}(ω, q) and its pieces (CONVENTIONS.md §4, §8).

    With Θ^s_{k,c,c'} = θ^s_{k,c,c'}(ω,q,q₀) + θ^s_{k,c',c}(−ω,−q,q₀) (Eq. 4's swapped-index combination) and
    D[X] = ε_{zℓk} ε_{zk₁k₂} ∂_{q₀ℓ} ∂_ω X_{k,ak₁,bk₂} at q₀ → 0:

    Attributes
    ----------
    Lambda : (nsub, nsub) complex array
        Λ = ½(current_route + force_route) = (1/32) D[Θ¹ + Θ² + 2Θ³]: the coefficient in L_Z = B Σ_ab Λ^{ab}(u^a × u̇^b)_z
        per primitive cell (e = ħ = 1, eV, Å). Equals the magnetic-supercell Born–Oppenheimer λ in the adiabatic limit
        (tests/test_adiabatic.py).
    current_route : (nsub, nsub)
        (1/16) D[Θ¹ + Θ³]: from ⟨∂H/∂A⟩, the magnetization carried by the circular phonon.
    force_route : (nsub, nsub)
        (1/16) D[Θ² + Θ³]: from ⟨∂H/∂u⟩, the field-induced gyroscopic force. Equal to the current route when the
        dynamics is Hermitian and gauge covariant; at finite damping they differ (both reported).
    eq4_as_printed : (nsub, nsub)
        ¼ D[Θ¹ + Θ² + Θ³], the paper's Eq. (4) read literally with θ² = Tr ρ_{wA} F (CONVENTIONS.md §8).
    by_term : dict
        ¼ D[Θ^s] for s = 1, 2, 3 separately.
    fd_error : float
        Estimated error of the q₀ finite difference in ``Lambda`` (Richardson minus plain central difference).
    theta_at_zero_q0 : dict
        max |θ^s| at q₀ = 0, reported (CONVENTIONS.md §5).
    adiabatic, nonadiabatic : (nsub, nsub) or None
        The exact finite-η split Λ = λ^A + λ^NA (CONVENTIONS.md §1.2): λ^NA = (1/32) D[Θ¹_NA], from the non-adiabatic
        populations of ρ_uw only (so it lives entirely in the current route, whose share is 2 λ^NA); λ^A is the rest,
        computed separately (their sum equals ``Lambda`` to rounding). None when ``lambda_matrix(split=False)``.
    skew_scattering, side_jump : (nsub, nsub) or None
        λ^NA = λ^SS + λ^SJ by the product rule for ∂_{q₀}[Σ_kn ρ^NA_nn(k; q₀) J_nn(k; q₀)] (parallel-transport gauge):
        skew scattering differentiates the intraband current (the orbital-moment term of Eq. 7), side jump the
        populations (the velocity/Berry-connection term of Eq. 7).
    split_error : float or None
        max |λ^SS + λ^SJ − λ^NA|: the two halves are differenced separately, so they add up to λ^NA only to the
        finite-difference accuracy (O(step⁴) after Richardson).
    """

    Lambda: np.ndarray
    current_route: np.ndarray
    force_route: np.ndarray
    eq4_as_printed: np.ndarray
    by_term: dict
    fd_error: float
    theta_at_zero_q0: dict
    adiabatic: np.ndarray | None = None
    nonadiabatic: np.ndarray | None = None
    skew_scattering: np.ndarray | None = None
    side_jump: np.ndarray | None = None
    split_error: float | None = None


def uniform_problem(model, nk: int, rates: Rates, *, mu: float = 0.0, temperature: float = 0.0,
                    second_order_vertices: bool = True, bloch: str = "I") -> Problem:
    """A :class:`Problem` on the Γ-centred nk×nk grid of :func:`numeric.model.brillouin.uniform_grid` (weights 1/nk²)."""
    nk = grid_size("nk (k points per direction)", nk, minimum=MIN_NK)
    k, w = uniform_grid(model.lattice, nk)
    return Problem(model, k, w, rates, mu, temperature, second_order_vertices, bloch)


def coarse_nk(nk: int) -> int:
    """The grid of the error estimate: 3nk/4 (rounded), at least MIN_NK."""
    return max(MIN_NK, int(round(0.75 * nk)))
