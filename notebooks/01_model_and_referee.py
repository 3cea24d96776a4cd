# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The model, its vertices, and the referee
#
# This notebook walks through the numerical side of the toolkit for the phonon magnetic moment of
# Xue, Qiao, Gao & Niu (2025): the honeycomb model written once in real space, its electron–phonon and
# magnetic vertices, the phonons, and the referee that solves the density-matrix equation (the paper's Eq. 5)
# order by order. Conventions are in `CONVENTIONS.md` (cited below as §n).

# %%
import numpy as np

from numeric.model.bands import band_data
from numeric.model.brillouin import high_symmetry_path
from numeric.response.damping import Rates, rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem
from numeric.model.honeycomb import honeycomb_model
from numeric.model.tight_binding import displacement, vector_potential
from numeric.response.moment import mode_moment, to_nuclear_magnetons
from numeric.model.phonons import Phonons, saito_graphene

model = honeycomb_model()          # t = -2.8 eV, Δ = 1 eV, a0 = 1.42 Å, β = 3.37 (CONVENTIONS.md §9)
phonons = Phonons(model.lattice, saito_graphene())

# %% [markdown]
# ## Vertices are derivatives of one formula
# The electron–phonon vertex F^a_i(q), the current v(q₀) and the mixed vertex ∂v/∂R at q + q₀ all come from
# the same bond formula (§2). The current obeys the continuity identity q₀·J(q₀)(k) = H(k) − H(k − q₀) at any q₀:

# %%
k = np.array([[0.3, 0.1], [1.0, -0.4]])
q0 = np.array([0.8, -1.1])
J = [model.vertex([vector_potential(q0, c)], k) for c in range(2)]
print("continuity residual:", np.abs(q0[0] * J[0] + q0[1] * J[1] - (model.hamiltonian(k) - model.hamiltonian(k - q0))).max())
F = model.vertex([displacement(model.lattice.point("K"), sublattice=0, direction=0)], k)
print("F^A_x(q = K) at the first k:\n", np.round(F[0], 4))

# %% [markdown]
# ## Bands and phonons along Γ–K–M–Γ

# %%
path = high_symmetry_path(model.lattice, ("G", "K", "M", "G"), 40)
bands = band_data(model, path.k)
omega, vectors = phonons.modes(path.k)
print("gap at K (eV):", np.ptp(band_data(model, model.lattice.point("K")[None]).energies))
for label in ("G", "K", "M"):
    print(label, "ħω (meV):", np.round(1e3 * phonons.modes(model.lattice.point(label))[0], 1))

# %% [markdown]
# ## The referee: Λ^{ab} at K and the moment of the top phonon branch
# `lambda_matrix` solves Eq. (5) to second order with damping (the paper's η's mapped by §1.1), forms θ¹..³ (Eq. 3)
# and contracts them as in Eq. (4). It reports the magnetization route, the force route and their mean (§4),
# and Eq. (4) read literally, which is not the Born–Oppenheimer moment (§8).

# %%
K = model.lattice.point("K")
energies, polar = phonons.modes(K)
problem = uniform_problem(model, 24, rates_from_paper(eta_p=0.04, eta_c=0.04, eta_v=0.04))
res = lambda_matrix(problem, energies[-1], K)
print("Λ^{ab} (mean of routes):\n", np.round(res.Lambda, 4))
print("current route − force route (finite damping breaks reciprocity):", np.abs(res.current_route - res.force_route).max())
print("Eq. (4) as printed, AA element:", np.round(res.eq4_as_printed[0, 0], 3))
m = mode_moment(res.Lambda, polar[:, -1], phonons.force_constants.masses)
print(f"moment of the top branch at K: {to_nuclear_magnetons(m.real):.4f} μ_N per phonon")

# %% [markdown]
# ## The adiabatic limit
# Without damping and at small ω the two routes coincide; at Γ with t′ = 0.3 eV the value equals the magnetic-supercell
# Born–Oppenheimer moment (tests/test_adiabatic.py; here on a coarse grid).

# %%
m03 = honeycomb_model(tprime=0.3)
adiabatic = lambda_matrix(uniform_problem(m03, 24, Rates(1e-5, (0.0, 0.0))), 0.002, np.zeros(2))
print("Λ^{AA} at Γ, adiabatic:", adiabatic.Lambda[0, 0].real, " (supercell, converged: −0.752496)")
