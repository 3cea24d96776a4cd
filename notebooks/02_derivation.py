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
# # 2. The derivation, step by step
#
# **What you will learn.** How the paper's equation of motion, Eq. (5), is solved order by order for a two-band model by
# SymPy, and how that solution becomes the moment Λ of Eq. (4):
#
# 1. the frequency-domain equation and its first-order solution — the Kubo formula;
# 2. the second-order *populations*, whose denominator is where the paper's δ = η_k/(2η_p + η_n) comes from, and why
#    this fixes the normalization of the paper's η's;
# 3. the expansion to first order in the magnetic field's momentum q₀, by explicit rules;
# 4. Eq. (4), which combines three observables θ¹, θ², θ³; the size of the expressions; and the NumPy kernel SymPy prints.
#
# **What to know first.** Notebook 1 (the model, the vertices). The density-matrix equation of motion
# ρ̇ = −i[H, ρ] and time-dependent perturbation theory. SymPy basics help but are not needed.
#
# **The physics in one paragraph.** A phonon of frequency ω and momentum q is two plane waves, u(ω, q) and its conjugate
# u(−ω, −q − q₀) (called *w* below); a static vector potential A(q₀) makes the magnetic field B = i q₀ × A. The extra
# −q₀ in w makes the three waves carry zero total momentum, so their product survives the sum over the crystal. The moment
# of the phonon is the part of the electrons' response that is *bilinear* in the two phonon amplitudes and linear in B:
# a second-order (in u, w) plus one-field (A) response, i.e. third order in all. The field's momentum q₀ is sent to zero
# at the end (∂/∂q₀), because B is uniform.
#
# **Run time.** About 15 s (SymPy builds every order for two bands).

# %%
import inspect
import time

import sympy as sp
from IPython.display import Markdown, Math, display

from derive.density_matrix import FREQUENCY, MOMENTUM, DensityMatrixTemplate, eta_p, omega
from derive.q0_expansion import energy_rule, occupation_rule, split_q0_derivative, theta_q0_derivative
from derive.small_eta import small_eta_populations

tpl = DensityMatrixTemplate(nbands=2)           # bands 0 (valence) and 1 (conduction)


def show(lhs, expr):
    """Display 'lhs = expr' as rendered LaTeX, with the template's symbol names (ε_n(k), f_n(k), V^u_nm(k), …)."""
    display(Math(lhs + " = " + sp.latex(expr, symbol_names=tpl.latex_names)))


# %% [markdown]
# ## Eq. (5), as the code reads it
#
# The paper prints ρ̇ = −i(ρH − H†ρ) with damping Σ = iη. Taken literally this has the wrong sign in the Hermitian
# limit and amplifies instead of damping (CONVENTIONS.md §1). The form solved here is
#
# $$\dot\rho = -i\big(H_{\rm eff}\,\rho - \rho\, H_{\rm eff}^\dagger\big) + S,\qquad H_{\rm eff} = H_0 + V(t) - i\Gamma,
#   \quad \Gamma = {\rm diag}(\gamma_n),$$
#
# which is von Neumann's equation when Γ = 0, damps a coherence ρ_nm at γ_n + γ_m and a population at 2γ_n; the
# source S = {Γ, ρ₀} keeps equilibrium ρ₀ = diag f_n stationary. Each field carries a plane wave and a complex frequency
# (the phonon is switched on adiabatically at rate η_p):

# %%
q, q0 = sp.symbols("q q_0")
for f in ("u", "w", "A"):
    a, b = MOMENTUM[f]
    display(Math(rf"{f}:\quad \Omega_{f} = {sp.latex(FREQUENCY[f])},\qquad Q_{f} = {sp.latex(a * q + b * q0)}"))

# %% [markdown]
# For each set of fields S (u, w, A, uw, …) the equation at frequency Ω_S, in the band basis at each k, reads
#
# $$-i\Omega_S\,\rho_S = -i(E_L\rho_S - \rho_S E_R) - (\Gamma\rho_S + \rho_S\Gamma) - i\sum_{T\subset S}[V_T,\rho_{S\setminus T}],$$
#
# a *linear* equation for each element X_nm of the unknown ρ_S, with the lower orders as source.
#
# ## First order: the Kubo formula
#
# The typed equation for the element (0, 1) of ρ_u (lhs − rhs), then SymPy's solution:

# %%
equation, X = tpl.equation(("u",), (0, 0))
show(r"0", sp.collect(sp.expand(equation[0, 1]), X[0, 1]))
rho_u = tpl.solve(("u",))
show(r"\rho^{u}_{01}(k)", rho_u[0, 1])

# %% [markdown]
# With no damping (γ = 0, η_p → 0⁺) this is the textbook linear response (Kubo/Lehmann form) of a perturbation
# V e^{−iωt}:
#
# $$\rho^u_{nm}(k) = \frac{V^u_{nm}(k)\,[f_m(k-q) - f_n(k)]}{\omega + i0^+ + \varepsilon_m(k-q) - \varepsilon_n(k)} .$$
#
# SymPy checks the identity (the referee checks the same numerically: `tests/test_direct.py`, rung V1):

# %%
kubo = (tpl.vertex(("u",), (0, 0))[0, 1] * (tpl.occupation(1, (-1, 0)) - tpl.occupation(0, (0, 0)))
        / (omega + sp.I * eta_p + tpl.energy(1, (-1, 0)) - tpl.energy(0, (0, 0))))
undamped = rho_u[0, 1].subs({tpl.gamma(0): 0, tpl.gamma(1): 0})
print("ρ^u_01 − Kubo form at γ = 0:", sp.simplify(undamped - kubo))

# %% [markdown]
# ## Second order: the populations, and where δ comes from
#
# ρ_uw, the response to both phonon waves, has total frequency Ω_u + Ω_w = 2iη_p: it is *static* apart from the
# switching. Its band-diagonal elements — populations, moved from band to band by the phonon — are divided by the
# coefficient of X_00 in their equation, which contains no ω:

# %%
rho_uw = tpl.solve(("u", "w"))
equation_uw, X_uw = tpl.equation(("u", "w"), (0, 0))
show(r"D_{00} \equiv i\,\partial(\text{lhs}-\text{rhs})/\partial X_{00}", sp.expand(sp.I * sp.diff(equation_uw[0, 0], X_uw[0, 0])))

# %% [markdown]
# At q₀ → 0 this is 2i(η_p + γ_0): with no electronic damping the population grows as long as the phonon is being
# switched on, 1/η_p. Its source, the commutator with the first-order coherences, passes through an intermediate band
# m whose coherence is damped at η_p + γ_n + γ_m. In the limit of small damping at fixed ratios the population of band n
# fed through band m is (1 + δ^m_n) times its undamped value X^{(m)} — SymPy takes that limit
# (`derive/small_eta.py`, no `sympy.limit`, monomial by monomial). The terms with m = n are intraband; they carry
# f_n(k) − f_n(k ± q), which vanishes in an insulator at T = 0.

# %%
start = time.perf_counter()
labelled = small_eta_populations(tpl)
for (n, m), (d, _) in sorted(labelled.items()):
    show(rf"\delta^{{{m}}}_{{{n}}}", d)
print(f"(derived in {time.perf_counter() - start:.1f} s)")
n, m = 0, 1
show(rf"X^{{({m})}}_{{{n}{n}}}", labelled[(n, m)][1])

# %% [markdown]
# The derivation gives δ^m_n = γ_m/(η_p + γ_n), in terms of the *amplitude* damping γ of Eq. (5). The paper writes
# δ^{n₃}_{n₁} = η_{n₃}/(2η_p + η_{n₁}). The two agree exactly when γ_n = η_n/2: the paper's η_n is the *population*
# decay rate 2γ_n, not the amplitude rate. That fixes the map from the paper's damping to Eq. (5)
# (`numeric/response/damping.py`, CONVENTIONS.md §1.1):

# %%
eta_c, eta_v = sp.symbols("eta_c eta_v", positive=True)
paper = {tpl.gamma(0): eta_v / 2, tpl.gamma(1): eta_c / 2}          # band 0 = valence, 1 = conduction
show(r"\delta^{c}_{v}\big|_{\gamma=\eta/2}", sp.simplify(labelled[(0, 1)][0].subs(paper)))
show(r"\delta^{v}_{c}\big|_{\gamma=\eta/2}", sp.simplify(labelled[(1, 0)][0].subs(paper)))

# %% [markdown]
# X^{(m)} does not depend on any damping: it is the static population a frozen phonon would produce. δ X is the part
# that exists *only* because the electrons relax: the non-adiabatic part λ^NA of the paper. Notebook 3 follows it to
# the paper's Eq. (7).
#
# ## The q₀ expansion
#
# The field A(q₀) connects k to k − q₀; we need ∂/∂q₀ at q₀ = 0. Instead of a finite difference, each symbol at a point
# shifted by q₀ is expanded to first order in δ = |q₀| along a direction ℓ, by explicit rules (CONVENTIONS.md §4; the
# states in the parallel-transport gauge, legitimate because every θ is a closed loop of states). For energies and
# occupations, with v the band velocity along ℓ:

# %%
delta_symbol = sp.Symbol(r"q_{0\ell}")          # the symbol `delta` of derive/q0_expansion.py
show(r"\varepsilon_0(k+q_0)", energy_rule(tpl, 0, (0, 1)).subs("delta", delta_symbol))
show(r"f_0(k+q_0)", occupation_rule(tpl, 0, (0, 1)).subs("delta", delta_symbol))

# %% [markdown]
# Vertices get two more pieces: the rotation of the states (interband Berry connection v_nl/(ε_n − ε_l)) and the
# vertex's own dependence on q₀ (an input array D, computed numerically from the bond formula of notebook 1).
#
# ## Eq. (3) and Eq. (4): three observables and one combination
#
# Eq. (3) defines three observables at one k, each the trace of a density-matrix order with a vertex (the k-sum is
# numerical):
#
# $$\theta^1 = {\rm Tr}\,\rho_{uw}\,V^{A},\qquad \theta^2 = {\rm Tr}\,\rho_{wA}\,V^{u},\qquad \theta^3 = {\rm Tr}\,\rho_w\,V^{uA},$$
#
# where V^A is the current vertex v(q₀), V^u the electron–phonon vertex F and V^{uA} the mixed one ∂v/∂R (notebook 1).
# θ¹ is the current (magnetization) induced by the two phonon waves; θ² and θ³ the force on the ions induced by the
# field. The two readings give two *routes* to the same coefficient: the magnetization route (θ¹ + θ³) and the force
# route (θ² + θ³). They agree without damping (a reciprocity the code tests); with damping they differ, and Λ is their
# mean (CONVENTIONS.md §4). Eq. (4) combines their mixed derivative D[X] = ε_{zℓk} ε_{zk₁k₂} ∂_{q₀ℓ}∂_ω X at q₀ → 0, summed with the term
# whose phonon indices and (ω, q) are swapped (Θ = θ(ω, q) + θ_swap(−ω, −q)):
#
# $$\Lambda^{ab} = \tfrac{1}{32}\, D\big[\Theta^1 + \Theta^2 + 2\Theta^3\big] .$$
#
# a and b label the sublattices whose displacements carry the two phonon waves, so Λ is a 2×2 matrix per (ω, q): the
# coefficient in the Lagrangian term B Σ_ab Λ^{ab} (u^a × u̇^b)_z. The moment of one phonon mode is Λ contracted with the
# mode's polarization vectors and masses (`numeric.moment` does it and converts to μ_N, CONVENTIONS.md §5).
#
# The prefactor is not the printed ¼: it is the one that reproduces the Born–Oppenheimer moment of a magnetic supercell
# (rung V7, notebook 6; CONVENTIONS.md §4, §8). The sizes of what SymPy builds:

# %%
start = time.perf_counter()
sizes = {}
for name in ("theta1", "theta2", "theta3"):
    value, d_omega, d_q0, d_q0_d_omega = theta_q0_derivative(tpl, name)
    sizes[name] = (sp.count_ops(value), sp.count_ops(d_q0_d_omega))
rows = "\n".join(f"| θ{name[-1]} | {a} | {b} |" for name, (a, b) in sizes.items())
display(Markdown("| observable | operations in θ at q₀ = 0 | operations in ∂_{q₀}∂_ω θ |\n|---|---|---|\n" + rows))
print(f"(expanded in {time.perf_counter() - start:.1f} s)")

# %% [markdown]
# θ¹ is split further into its adiabatic and non-adiabatic parts and, by the product rule on Σ_n ρ^NA_nn J_nn, into
# skew scattering (∂_{q₀} meets the current J) and side jump (∂_{q₀} meets the populations) — notebook 3. The split
# pieces add back up exactly:

# %%
pieces = split_q0_derivative(tpl, "theta1")
whole = theta_q0_derivative(tpl, "theta1")[3]
difference = sp.expand(pieces["adiabatic"][3] + pieces["nonadiabatic"][3] - whole)
print("∂q₀∂ω θ¹: adiabatic + non-adiabatic − whole =", difference)
for piece, exprs in pieces.items():
    print(f"  {piece:16s} {sp.count_ops(exprs[3]):6d} operations")

# %% [markdown]
# ## The printed kernel
#
# `python -m derive` prints these expressions, after common-subexpression elimination, into NumPy modules in
# `generated/` (never edited by hand; `python -m derive --check` diffs them). Only what Eq. (4) needs is printed: θ at
# q₀ = 0 and ∂_{q₀}∂_ω θ. The smallest, θ³'s kernel for two bands — its docstring, then the first lines of the
# arithmetic (`_recip` is a division that returns 0 where the denominator vanishes):

# %%
from generated import eq4_n2  # noqa: E402  (imported here, where it is discussed)

source = inspect.getsource(eq4_n2.theta3).splitlines()
start = next(i for i, line in enumerate(source) if line.strip().startswith("x0 ="))
print("\n".join(source[:start + 6]))
print(f"    ... ({len(source)} lines in all)")

# %% [markdown]
# `generated/FORMULAS.md` shows every order above as rendered LaTeX. The kernels are checked against the independent
# referee (`numeric.response.direct`, which solves Eq. (5) numerically and never sees SymPy) on the same k-grid —
# rung V3 of the verification ladder. At the K point, for the top phonon branch:

# %%
import numeric  # noqa: E402

model = numeric.honeycomb_model()
phonons = numeric.graphene_phonons(model)
# resonances=False: the generated path's analytic treatment of intraband resonances (CONVENTIONS.md §7.1) is off,
# so both methods sum the same grid
results = {method: numeric.moment(model, phonons, "K", nk=12, method=method, error_estimate=False, resonances=False)
           for method in ("generated", "direct")}
for method, r in results.items():
    print(f"{method:9s}: moment {r.total:+.8f} μ_N per phonon  ({r.seconds:.2f} s, nk = 12: a coarse grid)")
print(f"relative difference: {abs(results['generated'].total / results['direct'].total - 1):.1e}")

# %% [markdown]
# ## Exercises
#
# 1. **Three bands.** Build `DensityMatrixTemplate(nbands=3)` and derive `small_eta_populations` again. Predict the
#    δ^m_n first; is it still γ_m/(η_p + γ_n) for every pair?
# 2. **No damping.** Set γ_0 = γ_1 = 0 in the denominator of ρ^uw_00. What happens to the population as η_p → 0, and why
#    does the code refuse η_p = 0 but allow γ = 0?
# 3. **Sizes.** Build the template with `second_order_vertices=False` and recount the operations. Which observable
#    shrinks, and which vertex did you drop?
