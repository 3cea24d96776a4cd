"""Physical constants and unit conversions (CONVENTIONS.md §6). The only place that holds them.

Derivations use e = ħ = 1. Numerics use eV for energies, Å for lengths, unified atomic mass units (u)
for masses. With e = ħ = 1 and lengths in Å, a magnetic field is measured in ħ/(e Å²) and a flux quantum is 2π.
CODATA 2018 values.
"""

from __future__ import annotations

import math

HBAR_EV_S = 6.582119569e-16        # ħ in eV·s
E_CHARGE_C = 1.602176634e-19       # elementary charge in C (= J per eV)
AMU_KG = 1.66053906660e-27         # unified atomic mass unit in kg
ANGSTROM_M = 1e-10
MU_N_EV_PER_T = 3.15245125844e-8   # nuclear magneton in eV/T
MU_B_EV_PER_T = 5.7883818060e-5    # Bohr magneton in eV/T
K_B_EV_PER_K = 8.617333262e-5      # Boltzmann constant in eV/K
DYN_PER_CM_IN_N_PER_M = 1e-3       # 1 dyn/cm = 1e-3 N/m

# Force constant: 1 eV/Å² in N/m.
EV_PER_A2_IN_N_PER_M = E_CHARGE_C / ANGSTROM_M**2

# (ħω)² [eV²] = PHONON_ENERGY2 * k[eV/Å²] / M[u]
PHONON_ENERGY2 = HBAR_EV_S**2 * EV_PER_A2_IN_N_PER_M / AMU_KG

# Field unit of the derivation: ħ/(e Å²) in tesla.
TESLA_PER_NATURAL_FIELD = HBAR_EV_S / ANGSTROM_M**2   # ħ[eV s]/(1 Å²) = V s / m² = T (per e)

# Mass in the derivation's units: with energies in eV, lengths in Å and ħ = 1, time is ħ/eV,
# so a mass unit is eV·(ħ/eV)²/Å² = ħ²/(eV Å²).
AMU_IN_NATURAL_MASS = AMU_KG / (HBAR_EV_S**2 * E_CHARGE_C / ANGSTROM_M**2)


def force_constant_from_1e4_dyn_per_cm(value: float) -> float:
    """Convert a force constant given in 10⁴ dyn/cm (= 10 N/m, Saito–Dresselhaus tables) to eV/Å²."""
    return value * 1e4 * DYN_PER_CM_IN_N_PER_M / EV_PER_A2_IN_N_PER_M


def kelvin_to_ev(temperature_k: float) -> float:
    """k_B T in eV."""
    return temperature_k * K_B_EV_PER_K


PROTON_MASS_KG = 1.67262192369e-27
ELECTRON_MASS_KG = 9.1093837015e-31


def _cross_check() -> None:
    # Two routes to each magneton: the tabulated value and eħ/2m from the other constants.
    # A typo in any of ħ, e or the magnetons breaks the identity at import.
    hbar_js = HBAR_EV_S * E_CHARGE_C
    for tabulated, mass in ((MU_N_EV_PER_T, PROTON_MASS_KG), (MU_B_EV_PER_T, ELECTRON_MASS_KG)):
        derived = E_CHARGE_C * hbar_js / (2 * mass) / E_CHARGE_C
        if not math.isclose(derived, tabulated, rel_tol=1e-8):
            raise AssertionError(f"units.py: magneton {tabulated} disagrees with eħ/2m = {derived}")


_cross_check()
