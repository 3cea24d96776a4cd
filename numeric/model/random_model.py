"""Random smooth periodic tight-binding models with N bands (V2, CONVENTIONS.md §10): a second family of models that
shares nothing with the honeycomb lattice but the real-space description of :mod:`numeric.model.tight_binding`.

An oblique lattice with N orbitals at random positions in the cell, on-site energies spread so that the lowest
band is separated from the others by a gap, and complex hoppings (time reversal broken unless ``real=True``)
between every pair of orbitals closer than ``cutoff``, each with its own bond-length dependence β. Smooth in k
(finitely many Fourier components), so Brillouin-zone sums converge exponentially.
"""

from __future__ import annotations

import numpy as np

from .bands import diagonalize
from .brillouin import uniform_grid
from ..validation import ParameterError, grid_size
from .lattice import Lattice
from .tight_binding import Hopping, TightBindingModel


def random_model(nbands: int, seed: int, *, hopping: float = 0.4, spread: float = 3.0, cutoff: float = 3.2,
                 real: bool = False, peierls: str = "equilibrium") -> TightBindingModel:
    """A random N-band model (energies eV, lengths Å) with an insulating gap above its lowest band.

    Parameters
    ----------
    nbands : int
        Number of orbitals per cell (N ≥ 2).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same model.
    hopping : float
        Typical |t| in eV; on-site energies are spaced by ``spread`` eV so bands stay separated.
    cutoff : float
        Hopping range in Å (the lattice constant is ≈ 2.5 Å).
    real : bool
        Real hoppings (time-reversal symmetric) instead of complex ones.
    """
    n = grid_size("nbands", nbands, minimum=2)
    rng = np.random.default_rng(seed)
    vectors = np.array([[2.5, 0.0], [0.9, 2.3]]) + 0.2 * rng.normal(size=(2, 2))
    positions = rng.uniform(0, 1, size=(n, 2)) @ vectors
    lattice = Lattice(vectors, positions, tuple(f"O{i}" for i in range(n)))
    onsite = spread * (np.arange(n) - (n - 1) / 2) + 0.3 * rng.normal(size=n)
    hops = []
    for a in range(n):
        for b in range(a, n):
            for R, d in lattice.neighbours(a, b, cutoff):
                if a == b and (R[0], R[1]) < (0, 0):
                    continue                                  # each same-orbital bond once, reverse added below
                t = hopping * rng.normal() * np.exp(-np.linalg.norm(d) / 2.0)
                if not real:
                    t = t * np.exp(1j * rng.uniform(0, 2 * np.pi))
                beta = rng.uniform(1.0, 4.0)
                length = float(np.linalg.norm(d))
                hops.append(Hopping(a, b, tuple(int(x) for x in R), complex(t), length, beta))
                hops.append(Hopping(b, a, tuple(int(-x) for x in R), complex(np.conj(t)), length, beta))
    return TightBindingModel(lattice, onsite, tuple(hops), peierls)


def gap_midpoint(model, nfilled: int = 1, nk: int = 48) -> float:
    """μ in the middle of the gap above the ``nfilled`` lowest bands (sampled on an nk×nk grid); raises if closed."""
    k, _ = uniform_grid(model.lattice, nk)
    e, _ = diagonalize(model.hamiltonian(k))
    top, bottom = e[:, nfilled - 1].max(), e[:, nfilled].min()
    if bottom - top < 0.1:
        raise ParameterError(f"the random model has no gap above band {nfilled - 1} (gap {bottom - top:.3f} eV): "
                             "pick another seed or a smaller hopping.")
    return 0.5 * (top + bottom)
