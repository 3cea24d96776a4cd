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
# # 7. Your own model: hexagonal boron nitride
#
# **What you will learn.** How to put a model of your own through the whole chain — bands, phonons, the moment of a
# mode and its split along a path — and compare it with the paper's gapped graphene. The example is hexagonal boron
# nitride (hBN): the same honeycomb lattice, but a large gap from the different on-site energies of boron and nitrogen,
# and **unequal masses**, which give the phonons angular momentum even without a field.
#
# **What to know first.** Notebooks 1 (the model), 5 (what the moments along a path mean). Units: eV, Å, μ_N per phonon.
#
# **How the model is given.** This version of the package builds models in Python: `numeric.honeycomb_model(...)` takes
# the hopping t, the staggered potential Δ, the bond length a₀, β and t′; `numeric.graphene_phonons(model, masses=...)`
# takes the sublattice masses. `model.describe()` prints the whole real-space model as plain data, the description
# saved beside every result. The hBN numbers below are a teaching choice, not a fit: |t| = 2.6 eV, Δ = 2.3 eV (gap
# 4.6 eV), a₀ = 1.45 Å, graphene's β and force constants with the masses of boron (10.811 u) and nitrogen (14.007 u).
#
# **Run time.** About 20 s: two paths of 4 points per segment on 12×12 k-grids. Raise `NPATH` and `NK` (nk ≥ 24 for
# error estimates you can trust, CONVENTIONS.md §7).

# %%
import json

import matplotlib.pyplot as plt
import numpy as np

import numeric
from numeric.model.bands import band_data
from numeric.model.phonons import angular_momentum
from numeric.output.plots import path_axes, plot_along_path

# %matplotlib inline

NPATH = 4                 # q-points per path segment (teaching resolution)
NK = 12                   # k-points per direction
BORON, NITROGEN = 10.811, 14.007     # u

graphene = numeric.honeycomb_model()
hbn = numeric.honeycomb_model(t=-2.6, delta=2.3, a0=1.45)
models = {"gapped graphene (paper)": (graphene, numeric.graphene_phonons(graphene)),
          "hBN": (hbn, numeric.graphene_phonons(hbn, masses=(BORON, NITROGEN)))}
print(json.dumps({k: v for k, v in hbn.describe().items() if k != "hoppings"}))
print("first bond:", hbn.describe()["hoppings"][0])

# %% [markdown]
# ## Bands and phonons, side by side

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for name, (model, phonons) in models.items():
    bands = numeric.band_structure(model, phonons, npath=30, nmap=3)
    for ax, values, unit in ((axes[0], bands.electron_eV, "energy ε (eV)"), (axes[1], bands.phonon_meV, "ħω (meV)")):
        lines = ax.plot(bands.path.distance, values, lw=1.2, color="C0" if name == "hBN" else "0.5")
        lines[0].set_label(name)
        path_axes(ax, bands.path, unit)
axes[0].set_title("electrons", fontsize=10)
axes[1].set_title("in-plane phonons", fontsize=10)
axes[0].legend(frameon=False, fontsize=8)
fig.tight_layout()
plt.show()
for name, (model, _) in models.items():
    K = model.lattice.point("K")
    print(f"{name:24s} gap at K {np.ptp(band_data(model, K[None]).energies):.2f} eV, "
          f"orbital moment m_c(K) = {band_data(model, K[None]).orbital_moment()[0, 1]:+.2f} eV·Å²")

# %% [markdown]
# **Figure 7.1.** Bands (left) and phonons (right) of hBN (blue) against the paper's model (grey). The larger gap makes
# the electrons stiffer: smaller orbital moment and Berry curvature at K (both ∝ 1/Δ and 1/Δ² in the Dirac limit).
# Unequal masses split the middle pair of phonons at K.
#
# ## Chiral phonons without a field
#
# With equal masses every non-degenerate mode has l_z = 0 (notebook 1). With B ≠ N they rotate differently, and the
# top branch carries angular momentum near K by itself. The ions, as point charges, then carry a moment of their own
# (`ionic_muN`); the electrons' moment (this package's subject) comes on top.

# %%
model, phonons = models["hBN"]
path = numeric.band_structure(model, phonons, npath=30, nmap=3).path
lz = angular_momentum(phonons.modes(path.k)[1])
fig, ax = plt.subplots(figsize=(6, 3.6))
plot_along_path(ax, path, {f"branch {b}": lz[:, b] for b in range(4)}, "angular momentum l_z (ħ)",
                title="hBN phonons at zero field")
plt.show()
at_K = numeric.moment(model, phonons, "K", nk=24, error_estimate=False)
print(f"top branch at K: ħω = {1e3 * at_K.omega:.1f} meV; electronic moment {at_K.total:+.4f} μ_N "
      f"(adiabatic {at_K.adiabatic:+.4f}, non-adiabatic {at_K.nonadiabatic:+.4f}); ions as point charges of 6 e "
      f"(the default) {at_K.ionic_muN:+.4f} μ_N per phonon")

# %% [markdown]
# **Figure 7.2.** Zero-field angular momentum of the hBN phonons. The ionic moment printed uses the default ion
# charge of 6 e (bare carbon, `ion_charge=`); for hBN pass the charges you believe in, e.g. `ion_charge=[3, 5]`.
#
# ## The moment of the top branch along Γ–K–M–Γ
#
# `numeric.path` evaluates the derived kernels at each q, with the split λ = λ^A + λ^NA and an error estimate (the same
# sum on a 3nk/4 grid), here with the damping of the paper's Fig. 2(b), η_p = η_c = η_v = 0.04 eV.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
at_K_values = {}
for ax, (name, (model, phonons)) in zip(axes, models.items()):
    result = numeric.path(model, phonons, npath=NPATH, nk=NK, progress=False)
    columns = result.moments()
    plot_along_path(ax, result.path, {part: columns[f"{part}_muN"] for part in ("total", "adiabatic", "nonadiabatic")},
                    "moment per phonon (μ_N)", errors={part: columns[f"{part}_error_muN"]
                                                       for part in ("total", "adiabatic", "nonadiabatic")},
                    title=name)
    iK = int(np.argmin(np.linalg.norm(result.q - model.lattice.point("K"), axis=1)))
    at_K_values[name] = {part: columns[f"{part}_muN"][iK] for part in ("total", "adiabatic", "nonadiabatic")}
fig.tight_layout()
plt.show()
for name, values in at_K_values.items():
    print(f"{name:24s} at K: " + ", ".join(f"{part} {value:+.4f} μ_N" for part, value in values.items()))

# %% [markdown]
# **Figure 7.3.** The moment of the top phonon branch (μ_N per phonon) and its split, with shaded k-grid error
# estimates (large at nk = 12: teaching resolution). Both models peak at K, where the phonon joins the valleys; hBN's
# larger gap makes its moment smaller, and the non-adiabatic share is set by the same δ's, since the damping is the same.
#
# ## Exercises
#
# 1. **Scale with the gap.** Compute the moment at K for Δ = 1.5, 2.3 and 3 eV. Predict from the Dirac-limit formula of
#    notebook 4 how it should scale with Δ (at fixed ω/Δ it would be a power law; here ω is fixed), then check.
# 2. **Which mass matters?** Swap the masses (`masses=(NITROGEN, BORON)`). Which quantities change sign, and why?
# 3. **A Haldane-like twist.** Add a next-nearest-neighbour hopping `tprime=0.2` to hBN. What happens to the side jump at
#    K (notebook 6, V6)?
