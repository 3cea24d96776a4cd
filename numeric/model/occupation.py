"""Equilibrium occupations f_n(k) (CONVENTIONS.md §1): Fermi–Dirac at temperature T and chemical potential μ."""

from __future__ import annotations

import numpy as np

from ..validation import ParameterError, nonnegative
from ..units import kelvin_to_ev

FERMI_LEVEL_TOL = 1e-9  # eV; at T = 0 a level this close to μ makes the occupation ill-defined


def fermi_dirac(energies: np.ndarray, mu: float = 0.0, temperature: float = 0.0) -> np.ndarray:
    """f(ε) = 1/(e^{(ε − μ)/k_B T} + 1); a step at T = 0 (energies and μ in eV, T in K)."""
    temperature = nonnegative("temperature (K)", temperature)
    x = np.asarray(energies) - mu
    if temperature == 0.0:
        if np.any(np.abs(x) < FERMI_LEVEL_TOL):
            raise ParameterError(
                f"a band touches the chemical potential mu = {mu} eV at T = 0 (degenerate gap or mu on a band): "
                "move mu into the gap, open the gap (delta != 0), or set a temperature > 0.")
        return (x < 0).astype(float)
    beta = 1.0 / kelvin_to_ev(temperature)
    return 0.5 * (1.0 - np.tanh(0.5 * beta * x))
