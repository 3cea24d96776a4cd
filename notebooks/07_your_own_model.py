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
# **How the model is given.** As a model file: a few lines of TOML that name the lattice, the atoms (positions, masses,
# charges), the orbitals on them with their on-site energies, the hoppings (each listed once; its conjugate is implied)
# with their bond-length law β, and the phonons' force constants by neighbour shell (the README's "Your own model"
# section documents every key). Below we write such a file for hBN, with the on-site gap and hopping of Galvani et al.,
# PRB 94, 125303 (2016) (±3.625 eV, t = −2.30 eV), the masses and charges of boron and nitrogen, and — as stand-ins —
# graphene's β and force constants. `numeric.load_model` reads it and checks it (a mistake gives an error that names the
# key and the entry); the package ships the same model as `numeric.load_model("hbn")`.
#
# **Run time.** About 20 s: two paths of 4 points per segment on 12×12 k-grids. Raise `NPATH` and `NK` (nk ≥ 24 for
# error estimates you can trust, CONVENTIONS.md §7).

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import numeric
from numeric.model.bands import band_data
from numeric.model.phonons import angular_momentum
from numeric.output.plots import path_axes, plot_along_path

# %matplotlib inline

NPATH = 4                 # q-points per path segment (teaching resolution)
NK = 12                   # k-points per direction

MY_MODEL = """
# energies eV, lengths Å, masses u, force constants eV/Å², charges e
name = "my hexagonal boron nitride"
[lattice]
vectors = [[2.169, 1.252272733872298], [2.169, -1.252272733872298]]   # a1, a2: B–N bond 1.446 Å

[[atoms]]
name = "B"
position = [0.0, 0.0]
mass = 10.811
charge = 5
[[atoms]]
name = "N"
position = [1.446, 0.0]
mass = 14.007
charge = 7

[[orbitals]]
name = "pz_B"
atom = "B"
onsite = 3.625
[[orbitals]]
name = "pz_N"
atom = "N"
onsite = -3.625

[[hoppings]]              # t c†_to(0) c_from(R), R = cell[0] a1 + cell[1] a2
to = "pz_N"
from = "pz_B"
cell = [0, 0]
t = -2.30
beta = 3.37
[[hoppings]]
to = "pz_N"
from = "pz_B"
cell = [1, 0]
t = -2.30
beta = 3.37
[[hoppings]]
to = "pz_N"
from = "pz_B"
cell = [0, 1]
t = -2.30
beta = 3.37

[phonons]                 # (radial, tangential) springs of the first three atom–atom shells: graphene's, as stand-ins
shells = [[22.78150812178179, 15.291697232428872], [5.492527985525473, -2.0160074310508267],
          [1.8724527223382292, -3.276792264091901]]
"""
Path("my_hbn.toml").write_text(MY_MODEL)
hbn, hbn_phonons = numeric.load_model("my_hbn.toml")
shipped, _ = numeric.load_model("hbn")
print("my file reproduces the shipped hBN:", np.allclose(hbn.hamiltonian(np.array([[0.3, 0.1]])),
                                                          shipped.hamiltonian(np.array([[0.3, 0.1]]))))
graphene = numeric.honeycomb_model()
models = {"gapped graphene (paper)": (graphene, numeric.graphene_phonons(graphene)), "hBN": (hbn, hbn_phonons)}

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
      f"(adiabatic {at_K.adiabatic:+.4f}, non-adiabatic {at_K.nonadiabatic:+.4f}); the ions as point charges "
      f"{at_K.ion_charge} e (the file's) {at_K.ionic_muN:+.4f} μ_N per phonon")

# %% [markdown]
# **Figure 7.2.** Zero-field angular momentum of the hBN phonons. The ionic moment printed uses the charges of the
# model file (bare nuclei, 5 e and 7 e); pass `ion_charge=[...]` to `numeric.moment` for effective charges.
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
# 1. **Scale with the gap.** Edit the on-site energies of `MY_MODEL` to ±1.5, ±2.5 and ±3.625 eV and compute the moment
#    at K. Predict from the Dirac-limit formula of notebook 4 how it should scale with Δ (at fixed ω/Δ it would be a
#    power law; here ω is fixed), then check.
# 2. **Which mass matters?** Swap the two masses in the file. Which quantities change sign, and why?
# 3. **A Haldane-like twist.** Add next-nearest-neighbour hoppings (`to = from = "pz_B"`, and the same for `pz_N`,
#    cells [1, 0], [0, 1], [1, −1], t = 0.2). What happens to the side jump at K (notebook 6, V6)? Then make t complex
#    (`t = [0.0, 0.2]`, opposite on the two sublattices) and compare with `numeric.load_model("haldane")`.
