"""The paper's honeycomb model (its "Lattice model" paragraph; defaults CONVENTIONS.md §9), as a ``TightBindingModel``.

H = Σ_⟨ij⟩ t c†_i c_j + Σ_i ±Δ c†_i c_i (+Δ on A, −Δ on B; gap 2Δ), an optional next-nearest-neighbour
hopping t′ (the paper has none: t′ = 0 keeps particle–hole symmetry), hopping depending on bond length with
β = −∂ln t/∂ln a0 (to first order t → t + ε (u_i − u_j)·d̂ with ε = −β t/a0, the paper's coupling), and Peierls
phases along the equilibrium bonds by default, the displaced ones as an option (CONVENTIONS.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass, asdict

import numpy as np

from ..validation import finite, positive
from .lattice import honeycomb
from .tight_binding import Hopping, TightBindingModel


@dataclass(frozen=True)
class HoneycombParameters:
    """Electronic parameters (eV, Å). Defaults: CONVENTIONS.md §9 (graphene-like, gapped; tested to agree)."""

    t: float = -2.8          # nearest-neighbour hopping; |t| = 2.8 eV, the usual negative sign of a π hopping
    delta: float = 1.0       # staggered potential ±Δ, gap 2Δ
    tprime: float = 0.0      # next-nearest-neighbour hopping
    beta: float = 3.37       # −∂ln t/∂ln a0 (graphene)
    beta_prime: float = 3.37 # the same for t′ (irrelevant while t′ = 0)
    a0: float = 1.42         # bond length
    peierls: str = "equilibrium"  # Peierls path: "equilibrium" or "displaced" bonds (CONVENTIONS.md §2)

    def __post_init__(self):
        for name in ("t", "delta", "tprime", "beta", "beta_prime"):
            finite(name, getattr(self, name), fix=f"pass a finite {name}")
        positive("a0 (bond length, Å)", self.a0)

    def as_dict(self) -> dict:
        return asdict(self)


def honeycomb_model(params: HoneycombParameters | None = None, **overrides) -> TightBindingModel:
    """Build the honeycomb model; keyword overrides replace fields of ``params`` (e.g. ``delta=0.5``)."""
    params = params or HoneycombParameters()
    if overrides:
        params = HoneycombParameters(**{**params.as_dict(), **overrides})
    lat = honeycomb(params.a0)
    hops = []
    shells = [(params.a0, params.t, params.beta), (np.sqrt(3.0) * params.a0, params.tprime, params.beta_prime)]
    for length, t0, beta in shells:
        if t0 == 0.0:
            continue
        for alpha in range(2):
            for beta_sub in range(2):
                for R, d in lat.neighbours(alpha, beta_sub, length):
                    if abs(np.linalg.norm(d) - length) < 1e-6:
                        hops.append(Hopping(alpha, beta_sub, tuple(int(x) for x in R), t0, length, beta))
    return TightBindingModel(lat, np.array([params.delta, -params.delta]), tuple(hops), params.peierls)
