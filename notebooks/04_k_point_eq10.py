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
# # 4. The K point: the paper's Eq. (10)
#
# **What you will learn.** The non-adiabatic moment of the top phonon branch peaks at q = K. There the phonon joins
# the two valleys K and K′ of the electrons, and near each valley the electrons are massive Dirac fermions, so the skew
# term of Eq. (7) can be written in closed form — the paper's Eq. (10). You will
#
# 1. let SymPy expand the lattice model around the valleys (the Dirac Hamiltonian and v_f come out, not in);
# 2. see that the phonon at K joins the valleys with a *chiral* vertex;
# 3. read the derived K-point form and compare it with the printed Eq. (10) — agreement in structure, and the readings
#    needed for agreement in detail (CONVENTIONS.md §1.4);
# 4. watch the full lattice calculation tend to the Dirac form as Δ/t → 0, with the fitted exponent (rung V9).
#
# **What to know first.** Notebook 1 (bands, orbital moment), notebook 3 (skew scattering, δ). The massive Dirac
# Hamiltonian H = v_f(τp_xσ_x + p_yσ_y) + Δσ_z.
#
# **Run time.** About 10 s. The derivation itself (`derive.dirac.derive_k_point`, ~30 s) is what `python -m derive`
# ran to write `generated/dirac_k.py` and `generated/FORMULAS.md`; set `RUN_DERIVATION = True` to redo it here.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from IPython.display import Markdown, Math, display

import generated
import numeric
from derive.dirac import dirac_hamiltonian, dirac_velocity, valley_point
from generated import dirac_k
from numeric.model.tight_binding import displacement
from numeric.response.damping import rates_from_paper
from numeric.verify.dirac_check import ETA_OVER_DELTA, OMEGA_OVER_DELTA, P_VF_OVER_DELTA, SCALES, relative_errors

# %matplotlib inline

RUN_DERIVATION = False      # True: re-derive Eq. (10) from the lattice with SymPy (~30 s)

# %% [markdown]
# ## The Dirac expansion, by SymPy
#
# `derive/dirac.py` reads the honeycomb model as data (bonds, positions, ±Δ, the valley momenta) and expands H(K + p) to
# first order in p = (p_x, p_y), written with z = p_x + i p_y:

# %%
H_K = dirac_hamiltonian(valley_point("K"))
display(Math(r"H(K+p) = " + sp.latex(H_K)))
display(Math(r"v_f = " + sp.latex(dirac_velocity())))

# %% [markdown]
# A massive Dirac Hamiltonian with mass Δ and velocity v_f = 3|t|a₀/2 (5.96 eV·Å for |t| = 2.8 eV, a₀ = 1.42 Å): the
# conduction band at K + p has energy ε₀ = √(Δ² + v_f²p²) and orbital moment m_c = ∓v_f²Δ/(2ε₀²) at K/K′.
#
# ## The phonon that joins the valleys
#
# A phonon at q = K takes an electron from k − K to k. Starting at K it lands on 2K, which is K′ = −K up to a
# reciprocal lattice vector (3K is one): the phonon at K scatters between the valleys. Its vertex at the valley points, for a
# circular displacement u_± = (u_x ± i u_y) of one sublattice, in the sublattice basis (at p = 0 the band states are
# the sublattice states: conduction = A, valence = B):

# %%
model = numeric.honeycomb_model()
K, Kp = model.lattice.point("K"), model.lattice.point("Kp")
for sub, name in ((0, "A"), (1, "B")):
    F = [model.vertex([displacement(K, sub, i)], Kp[None])[0] for i in (0, 1)]     # ⟨α, K′|F^sub_i(q = K)|β, K⟩
    plus, minus = (F[0] + 1j * F[1]) / np.sqrt(2), (F[0] - 1j * F[1]) / np.sqrt(2)
    print(f"sublattice {name} moves: |F_+| = {np.abs(plus).max():6.3f} eV/Å, |F_−| = {np.abs(minus).max():6.3f} eV/Å")

# %% [markdown]
# Each sublattice couples through one circular component only: the valley-joining vertex is *chiral*, and it is
# constant near the valleys (it does not depend on p or on Δ). That chirality is what makes the scattering depend on the
# sense of rotation of the phonon — the molecular Berry curvature Ω of Eq. (7).
#
# ## The derived K-point form
#
# `derive/dirac.py` substitutes these Dirac states and vertices into the same two-band skew-scattering kernel the
# generator prints for the lattice (notebook 2), takes η → 0 at fixed ratios, and contracts as Eq. (4). Its result, as
# `python -m derive` wrote it into `generated/FORMULAS.md`:

# %%
formulas = (Path(generated.__file__).parent / "FORMULAS.md").read_text(encoding="utf-8")
section = formulas[formulas.index("## Eq. (10)"):]
display(Markdown(section.split("\n\nPrinted (paper Eq. 10)")[0]))
if RUN_DERIVATION:
    from derive.dirac import derive_k_point
    form = derive_k_point()
    display(Math(r"\lambda_K + \lambda_{K'} = " + sp.latex(form.valley_sum)))
    print(f"derived in {form.seconds:.1f} s")

# %% [markdown]
# The paper prints
#
# $$\lambda^{SS,NA}_{z,K} = -\tfrac12(\delta^v_c+\delta^c_v)\,m_0\,\Omega_0\,G_0,\qquad
#   G_0 = \frac{1}{-\omega+2\varepsilon_0} - (\omega\to-\omega),\qquad \Omega_0 = \frac{4\beta^2v_f^2}{a_0^4}\frac{\Delta}{\varepsilon_0}.$$
#
# What agrees: the (δ^v_c + δ^c_v) structure (for the *sum* of the two valley pairings: each alone weighs δ^c_v and
# δ^v_c on different ω-poles), and the sign. What does not: the printed G₀ is odd in ω, while the derivation — and
# Eq. (4) — is even (the same "− (ω → −ω)" slip as in Eq. 7, notebook 3); the poles are cubic, as Eq. (8)'s G₁ with
# Δε = 2ε₀; and Ω₀ needs a factor ε₀/(4Δ)/(2ε₀)², of which only the 1/(2ε₀)² has an explanation (the energy
# denominators of a molecular Berry curvature). Plotted against ω at p = 0, with small damping:

# %%
par = {"t": -2.8, "delta": 1.0, "a0": 1.42, "beta": 3.37}
v_f = 1.5 * abs(par["t"]) * par["a0"]
eta = (1e-4, 2e-4, 0.5e-4)                             # (η_p, η_c, η_v), eV
gamma = np.asarray(rates_from_paper(*eta).electron)    # (γ_v, γ_c) = η/2
deltas = eta[2] / (2 * eta[0] + eta[1]) + eta[1] / (2 * eta[0] + eta[2])    # δ^v_c + δ^c_v
eps0 = par["delta"]                                    # p = 0
omega = np.linspace(-1.5, 1.5, 301) * eps0             # eV, inside ±2ε₀
derived_sum = np.real(dirac_k.skew_scattering_K(omega, eta[0], gamma, eps0, par["delta"], par["t"], par["beta"])[0]
                      + dirac_k.skew_scattering_Kp(omega, eta[0], gamma, eps0, par["delta"], par["t"], par["beta"])[0])
m_c = -v_f**2 * par["delta"] / (2 * eps0**2)          # valley K
Omega_0 = 4 * par["beta"] ** 2 * v_f**2 / par["a0"] ** 4 * par["delta"] / eps0
G_0 = 1 / (-omega + 2 * eps0) - 1 / (omega + 2 * eps0)
printed = -0.5 * deltas * m_c * Omega_0 * G_0
Omega_read = Omega_0 / (2 * eps0) ** 2 * eps0 / (4 * par["delta"])
G_read = (2 * eps0) ** 2 / (2 * eps0 - omega) ** 3 + (2 * eps0) ** 2 / (2 * eps0 + omega) ** 3
read = -0.5 * deltas * m_c * Omega_read * G_read

fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(omega / eps0, derived_sum / deltas, lw=2.5, label="derived (valley sum)")
ax.plot(omega / eps0, read / deltas, "--", color="k", label="printed Eq. 10 with the readings")
ax.plot(omega / eps0, printed / deltas, ":", label="printed Eq. 10 as printed")
ax.axhline(0, color="0.6", lw=0.5)
ax.set_xlabel("phonon energy ω / ε₀")
ax.set_ylabel("λ^SS_AA per k-point / (δ^v_c + δ^c_v)\n(e = ħ = 1)")
ax.set_title("the K-point skew term at p = 0, Δ = 1 eV", fontsize=10)
ax.legend(frameon=False, fontsize=8)
plt.show()
print(f"max relative difference, derived vs printed-with-readings: {np.abs(read - derived_sum).max() / np.abs(derived_sum).max():.1e}")

# %% [markdown]
# **Figure 4.1.** The derived skew-scattering integrand at q = K, summed over the two valley pairings (solid), against
# the printed Eq. (10) with the readings of CONVENTIONS.md §1.4 (dashed: identical to rounding, since both are the
# leading order in η) and as printed (dotted: odd in ω, so it changes sign at ω = 0 where the derived term does not).
# The δ's are divided out.
#
# ## The lattice tends to the Dirac form as Δ/t → 0
#
# The Dirac form is the leading order in Δ/t. Rung V9 checks that the *lattice* skew integrand (the generated kernels on
# one k-point K_τ + p, unit weight, q = K) approaches it: Δ, ω, p and the η's are scaled together (fixed ω/Δ, p v_f/Δ and
# η/Δ) at fixed t, so only Δ/t changes; the relative error must vanish as (Δ/t)¹.

# %%
print(f"fixed ratios: ω/Δ = {OMEGA_OVER_DELTA}, p·v_f/Δ = {P_VF_OVER_DELTA}, η/Δ = {ETA_OVER_DELTA}")
fig, ax = plt.subplots(figsize=(5.5, 3.8))
ratio = np.asarray(SCALES) / abs(par["t"])
for valley, label in (("K", "k near K"), ("Kp", "k near K′")):
    errors = relative_errors(valley)
    slope, intercept = np.polyfit(np.log(ratio), np.log(errors), 1)
    ax.loglog(ratio, errors, "o-", label=f"{label}: exponent {slope:.3f}")
    print(f"{label}: relative errors {np.round(errors, 6)} at Δ = {SCALES} eV → fitted exponent {slope:.4f}")
ax.set_xlabel("Δ / |t|")
ax.set_ylabel("relative error, lattice vs Dirac form")
ax.set_title("rung V9: the lattice tends to Eq. (10)", fontsize=10)
ax.legend(frameon=False, fontsize=8)
plt.show()

# %% [markdown]
# **Figure 4.2.** Relative difference between the lattice skew integrand and the derived Dirac form, log–log against
# Δ/|t|, at both valleys. The fitted exponent is 1: the error is the first correction in Δ/t (trigonal warping and the
# O(p²) terms of the expansion), and nothing else — no missing factor, no wrong sign.
#
# ## Exercises
#
# 1. **Valley by valley.** Plot `skew_scattering_K` and `skew_scattering_Kp` separately against ω. Which δ sits on
#    which pole, and why does only the sum have the paper's (δ^v_c + δ^c_v) structure?
# 2. **Away from p = 0.** Repeat Figure 4.1 with ε₀ = 1.3 eV (p ≠ 0). Does the derived form still match the readings?
#    Which ω is now the resonance?
# 3. **Predict the error.** From Figure 4.2, predict the relative error at Δ = 0.01 eV; then check it by copying the
#    recipe of `numeric/verify/dirac_check.py::relative_errors` for one more scale.
