"""Adaptive cubature over the Brillouin zone: an integration of Λ's k-integrand that resolves the force route's
intraband resonances without knowing where they are (CONVENTIONS.md §7.1, "Checked against an independent integration").

The zone is the unit square of fractional coordinates, k = s b₁ + t b₂ (weights sum to 1, as on the uniform grids).
It is cut into base × base square cells, each integrated by the tensor-product Gauss–Legendre rule of ``order``²
points; a cell of side h whose value differs from the sum of its four children's by more than ``tol`` × h (on some
component, relative to ``scale``) is replaced by its children, recursively. Accepted cells contribute their children's
sum (the finer of the two values). The cells tile the zone exactly once, whatever the refinement.

Nothing here knows of the resonance curves g_n(k) = ω or of their residues (numeric/response/resonance.py): the
integrand is evaluated pointwise on the plain fast path (``resonances=False``), and the rule refines wherever the
integrand varies faster than its Gauss rule follows. It shares with the treated value only the generated kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.brillouin import uniform_grid
from ..response.angular import field_induced_angular_momentum, gyroscopic_matrix
from ..response.fast import lambda_generated_rates
from ..response.moment import mode_moments, to_nuclear_magnetons
from ..response.problem import Problem, coarse_nk

ORDER = 4              # Gauss–Legendre points per direction in each cell
CHUNK = 20000          # k-points per kernel call (memory ≲ 1 GB)
COARSE = 10.0          # the looser of the two tolerances of one pass: COARSE × tol
PARTS = ("Lambda", "adiabatic", "nonadiabatic", "skew_scattering", "side_jump")
"""The parts of Λ integrated together (CONVENTIONS.md §1.2): Λ and its exact split."""


@dataclass(frozen=True)
class ZoneIntegral:
    """Result of :func:`adaptive_zone_integral`.

    Attributes
    ----------
    value : (F,) complex, the integral (zone-normalized) at ``tol``;  coarse_value : the same at ``coarse`` × ``tol``.
    points : int, integrand evaluations.
    cells : int, accepted cells;  depth : int, deepest refinement level (cell side 1/(base 2^depth)).
    unresolved : float, Σ max_F |parent − children|/scale_F over cells still above tolerance at ``max_depth``.
    """

    value: np.ndarray
    coarse_value: np.ndarray
    points: int
    cells: int
    depth: int
    unresolved: float


def _gauss(order):
    x, w = np.polynomial.legendre.leggauss(order)
    return (x + 1) / 2, w / 2


def _cell_values(integrand, origins, size, order, reciprocal, chunk):
    """∫ over square cells [s₀, s₀+size] × [t₀, t₀+size] (fractional) by the Gauss rule: (ncells, F)."""
    x, w = _gauss(order)
    local = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2)              # (n², 2)
    weight = np.outer(w, w).ravel() * size**2                                          # (n²,)
    frac = (origins[:, None, :] + size * local[None]).reshape(-1, 2)
    k = frac @ reciprocal
    values = np.concatenate([integrand(k[i:i + chunk]) for i in range(0, len(k), chunk)])
    return np.einsum("cpf,p->cf", values.reshape(len(origins), len(local), -1), weight)


def adaptive_zone_integral(integrand, reciprocal, *, base: int, tol: float, scale, order: int = ORDER,
                           coarse: float = COARSE, max_depth: int = 10, chunk: int = CHUNK) -> ZoneIntegral:
    """∫_BZ f(k) dk / A_BZ of a vector integrand by adaptive composite Gauss–Legendre cubature (module docstring),
    at two tolerances in one pass: ``tol`` and ``coarse`` × ``tol`` (whose cells are a subset of the former's).

    Parameters
    ----------
    integrand : callable
        k (n, 2) in 1/Å → values (n, F), complex.
    reciprocal : (2, 2) array
        Rows b₁, b₂ (1/Å).
    base : int
        Base cells per direction.
    tol : float
        A cell of side h (fractional) is refined while max_F |Q(cell) − Σ Q(children)| / scale_F > tol × h: an error
        per unit length, suited to features along curves (the resonances), whose cells number ∝ 1/h.
    scale : (F,) array
        Sizes of the components (e.g. each part's largest entry), so that each is resolved relative to itself.
    order : int
        Gauss points per direction per cell.
    coarse : float
        Factor of the second, looser tolerance (its value shows how far the integral is converged).
    max_depth : int
        Refinement levels below the base cells at most.
    """
    scale = np.asarray(scale, float)
    i, j = np.meshgrid(np.arange(base), np.arange(base), indexing="ij")
    origins = np.stack([i.ravel(), j.ravel()], -1) / base
    size = 1.0 / base
    parent = _cell_values(integrand, origins, size, order, reciprocal, chunk)
    loose = np.ones(len(origins), bool)               # still being refined at the looser tolerance
    total, total_coarse, points, cells, depth = 0.0, 0.0, len(origins) * order**2, 0, 0
    offsets = np.array([[0, 0], [1, 0], [0, 1], [1, 1]]) / 2
    while len(origins):
        kids = (origins[:, None, :] + size * offsets[None]).reshape(-1, 2)
        child = _cell_values(integrand, kids, size / 2, order, reciprocal, chunk).reshape(len(origins), 4, -1)
        points += len(kids) * order**2
        depth += 1
        error = (np.abs(parent - child.sum(axis=1)) / scale).max(axis=1)                # (ncells,)
        refine = error > tol * size if depth < max_depth else np.zeros(len(origins), bool)
        stop_coarse = loose & ~(error > coarse * tol * size)
        total = total + child[~refine].sum(axis=(0, 1))
        total_coarse = total_coarse + child[stop_coarse | (loose & ~refine)].sum(axis=(0, 1))
        cells += 4 * int((~refine).sum())
        unresolved = error[error > tol * size].sum() if depth >= max_depth else 0.0
        loose = np.repeat((loose & ~stop_coarse)[refine], 4)
        origins, parent = kids.reshape(-1, 4, 2)[refine].reshape(-1, 2), child[refine].reshape(-1, child.shape[-1])
        size = size / 2
    return ZoneIntegral(total, total_coarse, points, cells, depth, unresolved)


def lambda_integrand(model, omega, q, rates, *, parts=PARTS):
    """k (n, 2) → the unweighted k-integrand of Λ's ``parts`` at (ω, q) for the damping ``rates``, (n, len(parts)·nsub²)
    complex: the (ω, q) and (−ω, −q) terms of Eq. (4) at each k, from the plain fast path (no resonance treatment)."""
    def integrand(k):
        out = lambda_generated_rates(Problem(model, k, np.ones(len(k)), rates), omega, q, [rates], resolved=True)[0]
        return np.concatenate([out[p].reshape(len(k), -1) for p in parts], axis=1)
    return integrand


def treated_parts(model, omega, q, rates, nk):
    """Λ's :data:`PARTS` on the Γ-centred nk grid with the resonance treatment (CONVENTIONS.md §7.1),
    (len(PARTS), nsub, nsub)."""
    k, w = uniform_grid(model.lattice, nk)
    out = lambda_generated_rates(Problem(model, k, w, rates), omega, q, [rates], resonances=True)[0]
    return np.array([out[p] for p in PARTS])


def resonance_check(model, phonons, q, rates, *, nk: int, tol: float, base: int, order: int = ORDER,
                    coarse: float = COARSE) -> dict:
    """The treated value of Λ's parts and of the top branch's moment at q on the nk grid, its V10 error estimate
    (against :func:`numeric.response.problem.coarse_nk`, as numeric/apps/scan.py), and the adaptive reference at two
    tolerances (:func:`adaptive_zone_integral`), at the top branch's ħω.

    Returns {"omega": eV, "rows": [(part, kind, treated, reference, |error|, estimate, reference convergence)],
    "cost": {...}}: kind "Λ" rows are max over entries relative to the part's largest treated entry (their "treated"
    is that size, "reference" NaN); kind "m" rows are the moment in μ_N per phonon (real part, CONVENTIONS.md §5);
    one kind "δl" row (part "Lambda") is the top branch's field-induced angular momentum in ħ per tesla (panel h's
    quantity, numeric/response/angular.py).
    """
    q = np.asarray(q, float)
    omega = float(phonons.energies(q[None])[0, -1])
    value, rough = (treated_parts(model, omega, q, rates, n) for n in (nk, coarse_nk(nk)))
    scale = np.repeat(np.abs(value).max(axis=(1, 2)), model.natoms**2)
    ref = adaptive_zone_integral(lambda_integrand(model, omega, q, rates), model.lattice.reciprocal, base=base,
                                 tol=tol, scale=scale, order=order, coarse=coarse)
    fine, loose = (v.reshape(value.shape) for v in (ref.value, ref.coarse_value))
    energies, vectors = (x[0] for x in phonons.modes(q[None]))
    e = vectors[:, -1]
    masses = phonons.force_constants.masses
    rows = []
    for i, part in enumerate(PARTS):
        size = np.abs(value[i]).max()
        rel = lambda a, b: float(np.abs(a - b).max() / size)
        rows.append((part, "Λ", float(size), np.nan, rel(value[i], fine[i]), rel(value[i], rough[i]),
                     rel(fine[i], loose[i])))
        m = [to_nuclear_magnetons(1.0) * float(mode_moments(x, e, masses).real)
             for x in (value[i], fine[i], rough[i], loose[i])]
        rows.append((part, "m", m[0], m[1], abs(m[0] - m[1]), abs(m[0] - m[2]), abs(m[1] - m[3])))
    dl = [field_induced_angular_momentum(energies, vectors, gyroscopic_matrix(x[0], masses, 1.0), len(energies) - 1)
          for x in (value, fine, rough, loose)]
    rows.append(("Lambda", "δl", dl[0], dl[1], abs(dl[0] - dl[1]), abs(dl[0] - dl[2]), abs(dl[1] - dl[3])))
    cost = {"points": ref.points, "cells": ref.cells, "depth": ref.depth, "unresolved": ref.unresolved}
    return {"omega": omega, "rows": rows, "cost": cost}
