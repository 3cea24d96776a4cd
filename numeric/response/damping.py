"""The one map from the paper's damping parameters to decay rates (CONVENTIONS.md §1.1). Every path uses it.

The paper adds ω → ω + iη_p to each phonon frequency component and an electronic self-energy Σ_n ∝ iη_n
(below Eq. 5). We write the equation of motion as ρ̇ = −i(H_eff ρ − ρ H_eff†) with H_eff = H − iΓ (CONVENTIONS.md §1),
Γ = diag(γ_n) in the band basis, so a coherence ρ_nm decays at γ_n + γ_m and a population ρ_nn at 2γ_n.

The paper's δ^{n3}_{n1} = η_{n3}/(2η_p + η_{n1}) (below Eq. 7) arises when the population decay rate equals the paper's
η_n: γ_n = η_n/2. (In the second-order population, the factor (η_p + γ_n + γ_m)/(η_p + γ_n) = 1 + 2γ_m/(2η_p + 2γ_n)
appears; it reads 1 + δ^m_n exactly when 2γ = η.) derive/small_eta.py re-derives it from the SymPy expansion;
this module is where a correction would go.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import ParameterError, finite


@dataclass(frozen=True)
class Rates:
    """Decay rates in eV (ħ = 1).

    Attributes
    ----------
    phonon : float
        η_p: every phonon frequency component ω → ω + iη_p (the amplitude grows as e^{η_p t}: adiabatic switching-on).
    electron : tuple of float
        γ_n, band-ordered (ascending energy): amplitude damping of band n, Σ_n = −iγ_n.
    """

    phonon: float
    electron: tuple

    def __post_init__(self):
        if not float(self.phonon) > 0 or not np.isfinite(self.phonon):
            raise ParameterError(
                f"eta_p must be > 0 (got {self.phonon!r}): the phonon switching-on rate regularizes the static "
                "second-order populations; pass e.g. --eta-p 0.04.")
        for g in self.electron:
            finite("electronic damping", g)
            if g < 0:
                raise ParameterError(f"electronic damping must be >= 0, got {g!r}: pass eta_c, eta_v >= 0.")


def rates_from_paper(eta_p: float, eta_c: float, eta_v: float, nbands: int = 2) -> Rates:
    """Rates from the paper's (η_p, η_c, η_v) in eV for a two-band insulator: γ_v = η_v/2, γ_c = η_c/2.

    For more bands, the lower half of the bands take η_v and the upper half η_c.
    """
    for name, value in (("eta_p", eta_p), ("eta_c", eta_c), ("eta_v", eta_v)):
        finite(name, value, fix=f"pass a finite {name} in eV")
    if eta_c < 0 or eta_v < 0:
        raise ParameterError(f"eta_c and eta_v must be >= 0 (got {eta_c!r}, {eta_v!r}): they are decay rates in eV.")
    nval = nbands // 2
    gamma = tuple([0.5 * eta_v] * nval + [0.5 * eta_c] * (nbands - nval))
    return Rates(float(eta_p), gamma)
