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
# # 1. The model and its vertices
#
# **What you will learn.** The paper (Xue, Qiao, Gao & Niu 2025, *Extrinsic Mechanisms of Phonon Magnetic Moment*)
# asks how large a magnetic moment a circularly polarized phonon carries because the electrons follow the moving ions.
# Everything starts from one tight-binding model of gapped graphene. In this notebook you will
#
# 1. write down its real-space Hamiltonian, the hopping law t(ℓ) and the Peierls phase of a vector potential;
# 2. compute its bands, Berry curvature Ω_n and orbital moment m_n, and compare them with the massive-Dirac values at K;
# 3. compute the phonons and their angular momentum;
# 4. see that every vertex the theory needs (electron–phonon F, current v, mixed ∂v/∂R) is a derivative of the *same*
#    formula — nothing is typed twice. A *vertex* is a matrix element, between Bloch states, of the derivative of H with
#    respect to a field: a wave of ionic displacement, or a wave of vector potential A.
#
# Why a vector potential: the magnetic moment of a phonon is the part of its energy linear in a magnetic field B. The
# theory (notebook 2) introduces B as a static wave A e^{iq₀·r}, B = i q₀ × A, and lets q₀ → 0 at the end.
#
# **What to know first.** Tight binding and Bloch's theorem; first-order perturbation theory; the Berry curvature
# of a band (e.g. Xiao, Chang & Niu, Rev. Mod. Phys. 82, 1959 (2010), §I–II). Units: energies in eV, lengths in Å,
# wave vectors in 1/Å, and e = ħ = 1 inside formulas. Conventions are in `CONVENTIONS.md` (cited as §n).
#
# **Run time.** A few seconds; the paths have `NPATH` = 40 points per segment (raise it for smoother curves).

# %%
import matplotlib.pyplot as plt
import numpy as np

import numeric
from numeric.model.bands import band_data
from numeric.model.phonons import angular_momentum
from numeric.model.tight_binding import displacement, vector_potential
from numeric.output.plots import path_axes, plot_along_path
from numeric.units import MU_B_EV_PER_T, TESLA_PER_NATURAL_FIELD

# %matplotlib inline

NPATH = 40          # k-points per segment of Γ–K–M–Γ (teaching resolution)

# %% [markdown]
# ## The Hamiltonian, written once
#
# Sites i sit at r'_i = r_i + u_i (equilibrium position plus displacement). Electrons hop between neighbours with an
# amplitude that depends on the *actual* bond length, and a vector potential A enters through the Peierls phase:
#
# $$H = \sum_i \varepsilon_i\, c_i^\dagger c_i + \sum_{i\leftarrow j} t\big(|\mathbf r'_i-\mathbf r'_j|\big)\,
#   e^{-i\int_{\mathbf r_j}^{\mathbf r_i}\mathbf A\cdot d\mathbf r}\, c_i^\dagger c_j,
#   \qquad t(\ell) = t_0\, e^{-\beta(\ell/\ell_0-1)} .$$
#
# The on-site energies are +Δ on sublattice A and −Δ on B (gap 2Δ); β = −∂ln t/∂ln ℓ is the electron–phonon coupling:
# to first order in u the hopping changes by ε (u_i − u_j)·d̂ with ε = −βt/a₀, the paper's lattice model.
# The Peierls integral runs along the *equilibrium* bond (CONVENTIONS.md §2 says why: it keeps the electrons' dynamics
# gauge covariant while the ions move). The defaults (CONVENTIONS.md §9):

# %%
model = numeric.honeycomb_model()             # t = −2.8 eV, Δ = 1 eV, t′ = 0, β = 3.37, a₀ = 1.42 Å
phonons = numeric.graphene_phonons(model)
description = model.describe()               # the whole real-space model as plain data
print("on-site energies (eV):", description["onsite"])
print("directed bonds:", len(description["hoppings"]))
bond = description["hoppings"][0]
print(f"one bond: t0 = {bond['t0'][0]:+.2f} eV, length ℓ0 = {bond['length']:.2f} Å, β = {bond['beta']:.2f}")

# %% [markdown]
# ## Bands, Berry curvature and orbital moment
#
# At each k, H(k) is a 2×2 matrix (two sublattices). From its eigenstates |n⟩ and the velocity matrix elements
# v^μ_nm = ⟨n|∂H/∂k_μ|m⟩ (CONVENTIONS.md §3):
#
# $$\Omega_n = -2\sum_{m\neq n}\frac{\operatorname{Im} v^x_{nm}v^y_{mn}}{(\varepsilon_n-\varepsilon_m)^2},\qquad
#   m_n = -\sum_{m\neq n}\frac{\operatorname{Im} v^x_{nm}v^y_{mn}}{\varepsilon_n-\varepsilon_m}.$$
#
# m_n is the gauge-invariant orbital moment: in a field B the band energy is ε_n − m_n B. Near K the model is a massive
# Dirac Hamiltonian with velocity v_f = 3|t|a₀/2 and mass Δ, for which |Ω_n(K)| = v_f²/(2Δ²) and |m_n(K)| = v_f²/(2Δ).

# %%
path = numeric.band_structure(model, phonons, npath=NPATH, nmap=3).path    # Γ–K–M–Γ with its labelled ticks
bands = band_data(model, path.k)
berry = bands.berry_curvature()          # (npts, 2), Å²
orbital = bands.orbital_moment()         # (npts, 2), eV·Å² (e = ħ = 1)

fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
axes[0].plot(path.distance, bands.energies, "k")
path_axes(axes[0], path, "energy ε (eV)", "bands")
plot_along_path(axes[1], path, {"valence Ω_v": berry[:, 0], "conduction Ω_c": berry[:, 1]},
                "Berry curvature Ω (Å²)", title="Berry curvature")
plot_along_path(axes[2], path, {"valence m_v": orbital[:, 0], "conduction m_c": orbital[:, 1]},
                "orbital moment m (eV·Å²)", title="orbital moment")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 1.1.** Bands (left), Berry curvature (middle) and orbital moment (right) of gapped graphene along Γ–K–M–Γ.
# Both geometric quantities are concentrated at K, where the gap 2Δ is smallest; they change sign between K and K′
# (time reversal), and the two bands carry opposite Ω but the *same* m.

# %%
K = model.lattice.point("K")
at_K = band_data(model, K[None])
t, delta, a0 = -2.8, 1.0, 1.42           # the defaults printed above
v_f = 1.5 * abs(t) * a0
print(f"gap at K: {np.ptp(at_K.energies):.4f} eV (2Δ = {2 * delta} eV)")
print(f"|Ω_c(K)| = {abs(at_K.berry_curvature()[0, 1]):.3f} Å²     massive Dirac v_f²/(2Δ²) = {v_f**2 / (2 * delta**2):.3f} Å²")
print(f"|m_c(K)| = {abs(at_K.orbital_moment()[0, 1]):.3f} eV·Å²  massive Dirac v_f²/(2Δ)  = {v_f**2 / (2 * delta):.3f} eV·Å²")
# e = ħ = 1: a field of 1 ħ/(e·Å²) is TESLA_PER_NATURAL_FIELD tesla, so m in eV·Å² / that = m in eV/T
m_bohr = abs(at_K.orbital_moment()[0, 1]) / TESLA_PER_NATURAL_FIELD / MU_B_EV_PER_T
print(f"          = {m_bohr:.2f} Bohr magnetons: an electron at K carries a large orbital moment")

# %% [markdown]
# At K itself the lattice and Dirac values agree: at p = 0 the Dirac expansion is exact for this model. Away from K
# they part (trigonal warping, O(Δ/t)); notebook 4 takes the limit Δ/t → 0, where they meet everywhere near K.
#
# ## Phonons and their angular momentum
#
# The ions move in the plane; the force constants are graphene's (Saito et al., three neighbour shells, §9). A mode with
# polarization e (components e^α_x, e^α_y on sublattice α, normalized) carries the angular momentum
#
# $$l_z = \sum_\alpha 2\,\operatorname{Im}\big(e^{\alpha *}_x e^\alpha_y\big)\ \hbar ,$$
#
# ±1 ħ for a fully circular mode. With equal masses, away from Γ the two sublattices rotate in opposite senses and
# l_z = 0; unequal masses (notebook 7, hBN) break that.

# %%
energies, vectors = phonons.modes(path.k)
lz = angular_momentum(vectors)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].plot(path.distance, 1e3 * energies, "k")
path_axes(axes[0], path, "ħω (meV)", "in-plane phonons")
plot_along_path(axes[1], path, {f"branch {b}": lz[:, b] for b in range(4)}, "angular momentum l_z (ħ)",
                title="phonon angular momentum at zero field")
fig.tight_layout()
plt.show()
for label in ("G", "K", "M"):
    e, vec = phonons.modes(model.lattice.point(label))
    print(f"{label}: ħω = {np.round(np.abs(1e3 * e), 1)} meV, l_z = {np.round(angular_momentum(vec), 2) + 0.0} ħ")

# %% [markdown]
# **Figure 1.2.** Left: the four in-plane branches (0, 1 acoustic; 2, 3 optical; numbered by ascending energy).
# Right: their angular momentum: only degenerate pairs (at Γ both pairs, at K the middle pair), which the package
# returns in the circular basis, carry l_z = ±1 ħ; every non-degenerate mode has l_z = 0 (equal masses). The paper studies the *highest* branch (branch 3); its moment is largest at K, where it scatters
# electrons between the valleys K and K′ (notebook 5).
#
# ## Every vertex is a derivative of the one formula
#
# The theory needs derivatives of H with respect to three kinds of field: a displacement wave u^a_i e^{iq·r}
# (sublattice a, direction i) gives the electron–phonon vertex F^a_i; a vector-potential wave A_j e^{iq₀·r} gives the
# current v_j(q₀); both together give the mixed vertex F^a_{i,j} = ∂v_j/∂R^a_i. The package evaluates the one bond
# formula on dual numbers and reads off the coefficient of the field amplitudes, at any momenta
# (`model.vertex(fields, k)` returns ⟨α, k|∂ⁿH/∂(fields)|β, k − Q⟩ in the sublattice basis, Q the fields' total momentum).
# Two checks that these are exact derivatives:
#
# * **A uniform A shifts k.** With the Peierls phase, a uniform A shifts k → k + A, so v_j(q₀ = 0) = ∂H/∂k_j.
# * **Continuity at finite q₀.** Charge conservation gives q₀·J(q₀)(k) = H(k) − H(k − q₀) exactly, at any q₀.

# %%
rng = np.random.default_rng(7)
k = rng.uniform(-1.5, 1.5, size=(5, 2))                      # five random k-points, 1/Å
q0 = np.array([0.8, -1.1])                                    # 1/Å, far from small
J = [model.vertex([vector_potential(q0, j)], k) for j in range(2)]
residual = np.abs(q0[0] * J[0] + q0[1] * J[1] - (model.hamiltonian(k) - model.hamiltonian(k - q0))).max()
print(f"continuity residual at q₀ = {q0} 1/Å: {residual:.1e} eV")
step = 1e-5                                                   # 1/Å
dH_dkx = (model.hamiltonian(k + [step, 0]) - model.hamiltonian(k - [step, 0])) / (2 * step)
v_x = model.vertex([vector_potential(np.zeros(2), 0)], k)
print(f"max |v_x(q₀ = 0) − ∂H/∂k_x (finite difference)| = {np.abs(v_x - dH_dkx).max():.1e} eV·Å")

# %% [markdown]
# One plot of each vertex along the path: the electron–phonon vertex of a phonon at q = K (it joins k − K to k, i.e.
# one valley to the other), the current at q₀ = 0, and the mixed vertex, each as its largest matrix element between
# band states.

# %%
def band_basis(M, k_left, k_right):
    """⟨n, k_left| M |m, k_right⟩ for a sublattice-basis matrix M."""
    left, right = band_data(model, k_left).vectors, band_data(model, k_right).vectors
    return np.conj(np.swapaxes(left, -1, -2)) @ M @ right


u_K = displacement(K, sublattice=0, direction=0)              # u^A_x e^{iK·r}
A_0 = vector_potential(np.zeros(2), 0)                        # uniform A_x
vertices = {"F^A_x(q = K)  [eV/Å]": band_basis(model.vertex([u_K], path.k), path.k, path.k - K),
            "v_x  [eV·Å]": band_basis(model.vertex([A_0], path.k), path.k, path.k),
            "∂v_x/∂R^A_x(q = K)  [eV]": band_basis(model.vertex([u_K, A_0], path.k), path.k, path.k - K)}
fig, ax = plt.subplots(figsize=(6.5, 3.6))
plot_along_path(ax, path, {name: np.abs(M).max(axis=(-1, -2)) for name, M in vertices.items()},
                "largest |matrix element| (unit in legend)", title="the three vertices along Γ–K–M–Γ")
plt.show()

# %% [markdown]
# **Figure 1.3.** The largest band-basis matrix element of each vertex at electron momentum k along the path. The
# phonon vertices connect k − K to k; all three come from the same bond formula, differentiated once (F, v) or twice
# (∂v/∂R). The second-order vertex F^{ab} (two displacements) exists too but drops out of the moment (§5).
#
# ## Exercises
#
# 1. **Gap dependence.** Predict |m_c(K)| for Δ = 0.5 eV from the massive-Dirac formula; check it with
#    `numeric.honeycomb_model(delta=0.5)`.
# 2. **Coupling.** The electron–phonon vertex is ∝ β. Double `beta` and check that the largest |F| doubles while v
#    does not change.
# 3. **Unequal masses.** Build `numeric.graphene_phonons(model, masses=(10.811, 14.007))` (boron, nitrogen) and plot
#    l_z again. Which branches now carry angular momentum at K, and which symmetry did equal masses provide?
