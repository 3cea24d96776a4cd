"""The little group of q (numeric/response/little_group.py): the k-resolved summand of Eq. (4) transforms as
S(gk) = D_g S(k) D_g^†, and the sum over one point per orbit, unfolded, is the sum over the whole grid."""

import numpy as np
import pytest

from numeric.model.model_file import load_model
from numeric.response.damping import Rates
from numeric.response.direct import uniform_problem
from numeric.response.fast import lambda_generated_rates
from numeric.response.little_group import little_group

EXACT = 1e-12            # relative to the largest entry: the same terms, summed in another order
NK = 12                  # a grid every operation of C3v maps onto itself (any Γ-centred grid is)
OMEGA = 0.1              # eV
KEYS = ("Lambda", "current_route", "force_route", "adiabatic", "nonadiabatic", "skew_scattering", "side_jump")


def _setup(name):
    model, _ = load_model(name)
    rates = [Rates(0.03, tuple(0.01 + 0.004 * i for i in range(model.nsub)))]
    return model, rates, uniform_problem(model, NK, rates[0])


def _point(model, label):
    return 0.3 * model.lattice.point("M") if label == "Γ–M" else model.lattice.point(label)


@pytest.mark.parametrize("name, label", [("graphene-gapped", "K"), ("kagome-breathing", "K"),
                                         ("hbn", "M"), ("graphene-gapped", "Γ–M")])
def test_summand_transforms_with_the_phases(name, label):
    """S^{π(a)π(b)}(gk; q) = e^{−iG·(τ_π(a) − τ_π(b))} S^{ab}(k; q) at every grid point, for every g of the little
    group; the breathing kagome's C3 permutes its three atoms, so a wrong permutation or phase fails here."""
    model, rates, pb = _setup(name)
    q = _point(model, label)
    S = lambda_generated_rates(pb, OMEGA, q, rates, resolved=True)[0]["Lambda"]           # (nk², nsub, nsub)
    group = little_group(model, q, NK)
    assert group.order > 1
    to_frac = np.linalg.inv(model.lattice.reciprocal)
    for D, g in zip(group.phases, group.operations):
        f = np.rint((pb.k @ g.T) @ to_frac * NK).astype(int) % NK
        image = S[f[:, 0] * NK + f[:, 1]]                                                  # S(g k)
        predicted = np.einsum("ai,kij,bj->kab", D, S, np.conj(D))
        err = np.abs(image - predicted).max() / np.abs(S).max()
        assert err < EXACT, f"{name} at {label}: S(gk) ≠ D S(k) D† by {err:.1e}"


@pytest.mark.parametrize("name", ["graphene-gapped", "hbn", "haldane", "kagome-breathing"])
@pytest.mark.parametrize("label", ["Γ–M", "K", "M"])
def test_reduced_sum_is_the_full_sum(name, label):
    """Λ, both routes and the exact split from one point per orbit equal the whole grid's, on models with C3v
    (graphene, hBN), C3 only (Haldane's flux) and a C3 that permutes the atoms (breathing kagome)."""
    model, rates, pb = _setup(name)
    q = _point(model, label)
    reduced = lambda_generated_rates(pb, OMEGA, q, rates)[0]
    full = lambda_generated_rates(pb, OMEGA, q, rates, symmetry=False)[0]
    for key in KEYS:
        scale = np.abs(full["Lambda"]).max()
        err = np.abs(reduced[key] - full[key]).max() / scale
        assert err < EXACT, f"{name} at {label}, {key}: reduced − full = {err:.1e} of max|Λ|"


@pytest.mark.parametrize("name, label, order", [("graphene-gapped", "K", 3), ("graphene-gapped", "M", 2),
                                                ("graphene-gapped", "Γ–M", 2), ("haldane", "K", 3),
                                                ("haldane", "M", 1), ("graphene-gapped", "generic", 1)])
def test_order_of_the_little_group(name, label, order):
    """|G_q| and the reduced grid: 3 at K (C3), 2 on a mirror line, 1 at a generic q or where the model has no
    mirror (Haldane at M); the weights always sum to 1/|G_q| of the grid's (the unfolding sums |G_q| copies)."""
    model, _, _ = _setup(name)
    q = np.array([0.5137, 0.2291]) if label == "generic" else _point(model, label)
    group = little_group(model, q, NK)
    assert group.order == order
    assert np.isclose(group.weights.sum() * order, 1.0, rtol=0, atol=1e-14)
    assert len(group.k) < NK * NK or order == 1


def test_without_symmetry_nothing_changes():
    """At a generic q the reduction is not used: the result is the same numbers as symmetry=False."""
    model, rates, pb = _setup("graphene-gapped")
    q = np.array([0.5137, 0.2291])
    a = lambda_generated_rates(pb, OMEGA, q, rates)[0]
    b = lambda_generated_rates(pb, OMEGA, q, rates, symmetry=False)[0]
    assert all(np.array_equal(a[key], b[key]) for key in KEYS)


@pytest.mark.parametrize("name", ["graphene-gapped", "hbn", "haldane", "kagome-breathing"])
def test_projected_whole_moment_from_the_reduced_grid(name):
    """The whole tensor projected on a polarization (lambda_projected_rates, the moment's route) from the rotations'
    representatives, with the images w_g of the polarization, equals the whole grid's: for every phonon mode at K and
    for polarizations that are no symmetry's eigenvectors (a wrong image would pass for eigenmodes only)."""
    from numeric.response.fast import lambda_projected_rates
    from numeric.response.moment import mass_weighted
    model, rates, pb = _setup(name)
    _, phonons = load_model(name)
    q = model.lattice.point("K")
    _, vectors = phonons.modes(q)
    modes = [mass_weighted(vectors[:, b], phonons.force_constants.masses) for b in range(vectors.shape[-1])]
    rng = np.random.default_rng(7)
    polarizations = modes + [rng.normal(size=len(w)) + 1j * rng.normal(size=len(w)) for w in modes[:2]]
    values = []
    for w in polarizations:
        reduced = lambda_projected_rates(pb, OMEGA, q, rates, w)[0]["projected"]
        full = lambda_projected_rates(pb, OMEGA, q, rates, w, symmetry=False)[0]["projected"]
        values.append([(reduced[key], full[key]) for key in ("Lambda", "adiabatic", "nonadiabatic")])
    values = np.array(values)
    scale = np.abs(values[..., 1]).max()
    err = np.abs(values[..., 0] - values[..., 1]).max() / scale
    assert err < EXACT, f"{name} at K: projected reduced − full = {err:.1e} of the largest projection"
