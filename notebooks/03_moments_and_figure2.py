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
# # Phonon magnetic moments with relaxation: the paper's Fig. 2, step by step
#
# This notebook computes, at teaching resolution (seconds, not minutes), what `phonon-moment figure2` computes at full
# resolution: the moment of the highest phonon band along Γ–K–M–Γ, its split into an adiabatic part λ^A and a
# non-adiabatic part λ^NA = λ^SS (skew scattering) + λ^SJ (side jump), and how relaxation moves weight between them.
# Every number comes from the kernels SymPy derived (`generated/`), with an error estimate (its difference on a
# grid of 3/4 the points per direction).
# Units: moments in nuclear magnetons μ_N per phonon quantum; damping η in eV (the paper's η, CONVENTIONS.md §1.1).

# %%
import matplotlib.pyplot as plt
import numpy as np

from numeric.model.brillouin import high_symmetry_path
from numeric.model.honeycomb import honeycomb_model
from numeric.model.phonons import Phonons, saito_graphene
from numeric.apps.scan import scan_branch

model = honeycomb_model()                      # t = −2.8 eV, Δ = 1 eV, β = 3.37, a0 = 1.42 Å
phonons = Phonons(model.lattice, saito_graphene())
TOP = 3                                        # the highest of the four in-plane branches
path = high_symmetry_path(model.lattice, ("G", "K", "M", "G"), 6)

# %% [markdown]
# ## The moment along the path, and the split
# `scan_branch` evaluates Λ^{ab} (the sublattice matrix of Eq. 4) at every q for several damping sets at once (the band
# data do not depend on damping), projects it on the mode, and returns the exact split of CONVENTIONS.md §1.2.
# Panel (b) of the paper uses η_p = η_c = η_v = 0.04 eV; we add a set with fast phonon relaxation (η_p ≫ η_n), where the
# paper predicts λ^NA → 0 as η_n/η_p.

# %%
etas = [(0.04, 0.04, 0.04), (0.04, 0.004, 0.004)]
scan = scan_branch(model, phonons, path.k, branch=TOP, etas=etas, nk=24, progress=False)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, (s, eta) in zip(axes, enumerate(etas)):
    for part in ("adiabatic", "nonadiabatic"):
        ax.errorbar(path.distance, scan.moment[part][s], yerr=scan.error[part][s], label=part, capsize=2)
    ax.set_xticks(path.ticks, path.labels)
    ax.set_title(f"η = {eta} eV")
    ax.axhline(0, color="0.7", lw=0.5)
axes[0].set_ylabel("moment per phonon (μ_N)")
axes[0].legend()
plt.tight_layout()

iK = len(path.k) // 3
for s, eta in enumerate(etas):
    m = {p: scan.moment[p][s][iK] for p in scan.moment}
    print(f"η = {eta}: at K  total {m['total']:+.4f}  A {m['adiabatic']:+.4f}  NA {m['nonadiabatic']:+.4f}"
          f"  (SS {m['skew_scattering']:+.4f}, SJ {m['side_jump']:+.4f}) μ_N")

# %% [markdown]
# Both parts peak at K, where a phonon of momentum K scatters electrons between the valleys K and K′. Lowering η_c, η_v
# tenfold at fixed η_p lowers λ^NA about tenfold (δ = η_n/(2η_p + η_n)), while λ^A barely moves: the two adiabaticity
# conditions of the paper — slow phonons *and* slow electronic relaxation — are separate.

# %% [markdown]
# ## Skew scattering against side jump
# The paper argues the side jump vanishes for a particle–hole symmetric two-band model (t′ = 0, η_c = η_v). The derived
# side jump is small but not zero (CONVENTIONS.md §1.2): the vertices' own dependence on the field's momentum q₀, absent
# from the paper's Eq. (7), contributes.

# %%
ss, sj = scan.moment["skew_scattering"][0], scan.moment["side_jump"][0]
print(f"max|λ^SJ| / max|λ^SS| = {np.abs(sj).max() / np.abs(ss).max():.3e}")

# %% [markdown]
# ## The field-induced angular momentum (panel h)
# With equal masses the zero-field angular momentum of every non-degenerate branch vanishes (C2T); at Γ the top branch
# is one circular member (l = ±1) of the degenerate optical pair. A magnetic field adds a gyroscopic
# term built from Λ (numeric/response/angular.py), which mixes the branches and gives the top branch an angular momentum ∝ B.

# %%
away = np.arange(len(path.k)) % len(path.k) != 0           # Γ: the top branch is one circular member of a pair
away[-1] = False
print("zero-field l away from Γ (ħ):", np.abs(scan.l_zero_field[away]).max())
i = int(np.argmax(np.abs(scan.dl_per_tesla[0])))
print(f"largest field-induced δl on the path: {scan.dl_per_tesla[0][i]:.3e} ħ/T at q = {path.k[i].round(3)} 1/Å")
print(f"at K: {scan.dl_per_tesla[0][iK]:.1e} ħ/T (at K the gyroscopic term does not mix the top mode with the others)")

# %% [markdown]
# For the whole figure, at converged resolution and with the paper's claims decided by fixed thresholds, run
# `phonon-moment figure2 --out out/figure2` and read `out/figure2/REPORT.md`.
