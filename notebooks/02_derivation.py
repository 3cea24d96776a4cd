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
# # The derivation, performed by SymPy
#
# `derive/` types in only the equation of motion (the paper's Eq. 5, read as in CONVENTIONS.md §1) and the observables
# (Eq. 3); SymPy solves it order by order in the band basis, differentiates in ω and expands to first order in q₀, and the
# result is printed into `generated/`. This notebook shows the steps for two bands and checks the generated kernels
# against the independent referee.

# %%
import numpy as np
import sympy as sp

from derive.density_matrix import DensityMatrixTemplate, omega

tpl = DensityMatrixTemplate(nbands=2)

# %% [markdown]
# ## First order: the Kubo-type coherence
# The typed equation for ρ_u, the response to the phonon u(ω, q), and SymPy's solution for the interband element:

# %%
eq, X = tpl.equation(("u",), (0, 0), tpl.solve)
print("equation (lhs − rhs), element (0, 1):")
sp.pprint(sp.simplify(eq[0, 1]))
rho_u = tpl.solve(("u",))
print("\nsolution:")
sp.pprint(rho_u[0, 1])

# %% [markdown]
# ## Second order: populations carry the switching rate
# ρ_{uw} has total frequency Ω_u + Ω_w = 2iη_p: its band-diagonal elements (populations, at q₀ → 0) are divided by
# 2i(η_p + γ_n), the origin of the paper's δ^{n3}_{n1} = η_{n3}/(2η_p + η_{n1}) once γ_n = η_n/2 (CONVENTIONS.md §1.1).

# %%
rho_uw = tpl.solve(("u", "w"))
num, den = sp.fraction(sp.together(rho_uw[0, 0]))
print("denominator of ρ_uw[0, 0]:")
sp.pprint(sp.factor(den))

# %% [markdown]
# ## Eq. (3) and the ω-derivative of Eq. (4)

# %%
theta3, dtheta3 = tpl.theta_and_domega("theta3")
print("θ³ integrand has", sp.count_ops(theta3), "operations; ∂_ω θ³ has", sp.count_ops(dtheta3))

# %% [markdown]
# ## Generated kernels against the referee
# `numeric.response.fast.lambda_generated` evaluates the printed kernels (with ∂_{q₀} analytic); `numeric.response.direct.lambda_matrix`
# solves Eq. (5) numerically with a finite difference in q₀. They agree to ~1e-10:

# %%
from numeric.response.damping import rates_from_paper
from numeric.response.direct import lambda_matrix, uniform_problem
from numeric.response.fast import lambda_generated
from numeric.model.honeycomb import honeycomb_model

model = honeycomb_model()
problem = uniform_problem(model, 12, rates_from_paper(0.04, 0.04, 0.04))
K = model.lattice.point("K")
gen = lambda_generated(problem, 0.1766, K)["Lambda"]
ref = lambda_matrix(problem, 0.1766, K).Lambda
print("generated Λ:\n", np.round(gen, 6))
print("relative difference to the referee:", np.abs(gen - ref).max() / np.abs(ref).max())
