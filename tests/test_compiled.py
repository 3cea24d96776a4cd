"""The compiled forms against their NumPy form, the oracle: the eq4 kernels (numeric/response/compiled.py) and the
resonance treatment's triangle sums (numeric/response/resonance_compiled.py)."""

import numpy as np
import pytest

from numeric.model.honeycomb import honeycomb_model
from numeric.model.phonons import Phonons, saito_graphene
from numeric.model.random_model import gap_midpoint, random_model
from numeric.response import compiled
from numeric.response.damping import Rates, rates_from_paper
from numeric.response.direct import uniform_problem
from numeric.response.fast import _Contracted, _eq4_terms, _Inputs, _Projected, _Whole, lambda_generated_rates
from numeric.response.resonance import (SMALL, _antiderivative, _quadratic_weights, _subdivision, _triangle_sums,
                                        pole_part_correction)

AGREE = 1e-12            # relative to the largest entry of each matrix: the same arithmetic, in another order
RATES = [Rates(0.03, (0.01, 0.02, 0.015)), Rates(0.01, (0.004, 0.002, 0.006))]


@pytest.fixture
def both_forms():
    """Evaluate ``fn()`` once with each form; the process's choice is restored afterwards."""
    previous = compiled.enabled()

    def run(fn):
        out = []
        for form in (False, True):
            compiled.use(form)
            out.append(fn())
        return out

    yield run
    compiled.use(previous)


def _close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    scale = np.abs(a).max()
    assert np.abs(a - b).max() <= AGREE * scale, f"{what}: {np.abs(a - b).max() / scale:.1e} relative"


def _compare(numpy_form, compiled_form):
    for s, (a, b) in enumerate(zip(numpy_form, compiled_form)):
        for key in ("Lambda", "current_route", "force_route", "adiabatic", "nonadiabatic", "skew_scattering",
                    "side_jump"):
            if key not in a:              # the split's parts only with split=True
                continue
            _close(a[key], b[key], f"set {s} {key}")
        for term in a["by_term"]:
            _close(a["by_term"][term], b["by_term"][term], f"set {s} {term}")


MODELS = {
    "honeycomb": lambda: (honeycomb_model(), 0.0, [rates_from_paper(0.04, 0.04, 0.04)], 0.0),
    "random 3-band": lambda: (random_model(3, 0), None, RATES, 300.0),
}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("split", [True, False])
def test_compiled_kernels_agree_with_the_numpy_form(name, split, both_forms):
    """Λ, both routes, every θ^s and the parts of θ¹'s split, at a generic q, for two damping sets at once; the
    3-band model at 300 K so that the f′ terms are exercised."""
    model, mu, rates, temperature = MODELS[name]()
    mu = gap_midpoint(model) if mu is None else mu
    pb = uniform_problem(model, 9, rates[0], mu=mu, temperature=temperature)
    q = np.array([0.31, -0.17])
    _compare(*both_forms(lambda: lambda_generated_rates(pb, 0.12, q, rates, split=split)))


def test_compiled_k_resolved_and_resonance_paths_agree(both_forms):
    """The k-resolved integrand and θ²'s pole treatment (which reads theta2_poles) through the compiled form."""
    model = honeycomb_model()
    rates = [rates_from_paper(0.02, 0.004, 0.02, 2)]
    pb = uniform_problem(model, 12, rates[0])
    q = np.array([0.21, 0.13])
    a, b = both_forms(lambda: lambda_generated_rates(pb, 0.05, q, rates, resolved=True))
    _close(a[0]["Lambda"], b[0]["Lambda"], "k-resolved Λ")
    _compare(*both_forms(lambda: lambda_generated_rates(pb, 0.05, q, rates, resonances=True)))


@pytest.mark.parametrize("nbands", [2, 3])
def test_every_generated_output_agrees(nbands, both_forms):
    """Each output of each eq4 function, theta2_poles' poles and coefficients included, point by point."""
    model = honeycomb_model() if nbands == 2 else random_model(3, 1)
    pb = uniform_problem(model, 5, RATES[0] if nbands == 3 else rates_from_paper(0.04, 0.04, 0.04),
                         mu=0.0 if nbands == 2 else gap_midpoint(model), temperature=200.0)
    inp = _Inputs(pb, np.array([0.4, 0.1]), np.zeros(2))
    inp.omega = 0.07
    layout = _Contracted(inp, False, [pb.rates])
    gen = __import__(f"generated.eq4_n{nbands}", fromlist=["ARGUMENTS"])
    for name in gen.ARGUMENTS:
        numpy_form, compiled_form = both_forms(lambda: layout._call(name))
        assert len(numpy_form) == len(compiled_form)
        for j, (a, b) in enumerate(zip(numpy_form, compiled_form)):
            _close(np.broadcast_to(a, layout._shape), b, f"{name} output {j}")


LAYOUTS = {
    "contracted": _Contracted,
    "whole": _Whole,
    "projected": lambda inp, swap, rates: _Projected(inp, swap, rates, w=np.linspace(0.2, 0.9, 2 * inp.model.natoms)
                                                     * np.exp(1j * np.arange(2 * inp.model.natoms))),
}


def _vertex_arguments(pb, q, layout, swap):
    """Every vertex, q₀-derivative and velocity argument of the eq4 functions, laid out afresh by ``layout``."""
    inp = _Inputs(pb, q, np.zeros(2))
    lay = LAYOUTS[layout](inp, swap, [pb.rates])
    gen = __import__(f"generated.eq4_n{inp.nb}", fromlist=["ARGUMENTS"])
    return {(kind, str(data)): lay.argument(kind, data) for desc in gen.ARGUMENTS.values()
            for _, kind, data in desc if kind in ("vertex", "dvertex", "velocity")}


@pytest.mark.parametrize("nbands", [2, 3])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("swap", [False, True])
def test_vertex_arguments_agree(nbands, layout, swap, both_forms):
    """The kernels' vertex arguments built from only the components the layout reads, each Bloch sum projected and
    combined in one pass per k (compiled.combine), against the NumPy form (every component projected, then combined
    with the same coefficients), for each layout of the displacement pairs (Λ's, the whole tensor, one mode's)."""
    model = honeycomb_model(tprime=0.3) if nbands == 2 else random_model(3, 1)
    pb = uniform_problem(model, 5, RATES[0] if nbands == 3 else rates_from_paper(0.04, 0.04, 0.04))
    numpy_form, compiled_form = both_forms(lambda: _vertex_arguments(pb, np.array([0.4, 0.1]), layout, swap))
    for key, a in numpy_form.items():
        assert a.shape == compiled_form[key].shape, key
        _close(a, compiled_form[key], f"{layout} {key}")


@pytest.mark.skipif(not compiled.Workspace.RECYCLE, reason="this Python's reference counts do not tell a free block")
def test_recycled_workspace_keeps_live_arguments(monkeypatch):
    """The compiled arguments are carved from recycled blocks (compiled.Workspace): a block is handed out again only
    once no array in it is alive, so a layout's arguments survive the evaluation of other Λ(q), whose dropped
    arguments' blocks are recycled (tiny blocks here, so that every argument has blocks of its own)."""
    monkeypatch.setattr(compiled.Workspace, "SMALL", 0)
    monkeypatch.setattr(compiled.Workspace, "BLOCK", 1 << 12)
    monkeypatch.setattr(compiled.Workspace, "_pool", [])
    previous = compiled.use(True)
    try:
        model = honeycomb_model()
        rates = [rates_from_paper(0.04, 0.04, 0.04)]
        pb = uniform_problem(model, 6, rates[0])
        kept = _vertex_arguments(pb, np.array([0.4, 0.1]), "contracted", False)
        copies = {key: value.copy() for key, value in kept.items()}
        first = lambda_generated_rates(pb, 0.2, np.array([-0.3, 0.2]), rates)
        blocks = len(compiled.Workspace._pool)
        again = lambda_generated_rates(pb, 0.2, np.array([-0.3, 0.2]), rates)
        assert len(compiled.Workspace._pool) == blocks > 0                          # every block recycled
    finally:
        compiled.use(previous)
    for key, value in kept.items():
        np.testing.assert_array_equal(value, copies[key], err_msg=str(key))
    np.testing.assert_array_equal(first[0]["Lambda"], again[0]["Lambda"])


def test_an_argument_varying_outside_its_loop_is_refused():
    """The compiled driver reads band data once per k: an energy that varied with the pair would be misread."""
    import generated.eq4_n2 as gen
    args = [np.zeros((3, 4, 2)) if kind == "energy" else None for _, kind, _ in gen.ARGUMENTS["theta3"]]
    with pytest.raises(RuntimeError, match="varies in a loop outside"):
        compiled.call(gen, "theta3", [0.1 if a is None else a for a in args], (1, 2, 3, 4))


def test_the_numpy_form_can_be_selected(both_forms, monkeypatch):
    monkeypatch.setenv("PHONON_MOMENT_KERNELS", "numpy")
    monkeypatch.setitem(compiled._state, "enabled", None)
    assert not compiled.enabled()


def test_compiled_triangle_sums_agree_on_random_triangles(both_forms):
    """resonance._triangle_sums on random sub-triangles whose g nodes lie apart, or have one pair or all three closer
    than SMALL × their distance from z (the Taylor branches of _divided_differences; each branch is hit), for each
    order p alone: every triangle's result to 1e-12 of its largest entry."""
    rng = np.random.default_rng(11)
    nset, nT = 3, 300
    bary, sub = _subdivision(1)                                                  # 6 vertices, 4 sub-triangles
    z = rng.uniform(-0.2, 0.2, nset) - 1j * rng.uniform(0.005, 0.05, nset)
    base = rng.uniform(-0.3, 0.3, (nT, 1))
    spread = np.abs(z[0] - base) * 10.0 ** rng.uniform(-6, 0, (nT, 1))         # relative spreads 1e-6 … 1
    offsets = rng.uniform(0, 1, (nT, 6))
    offsets[:, 1::2] = offsets[:, ::2] + 10.0 ** rng.uniform(-5, 0, (nT, 3))    # near pairs at every ratio
    g = (base + spread * offsets).ravel()
    vertex = np.arange(g.size).reshape(nT, 6)
    ids = vertex[:, sub]
    lo, mid, hi = np.moveaxis(np.sort(g[ids], axis=-1)[None], -1, 0)
    near = lambda x, y: (x - y) ** 2 < SMALL**2 * ((z.real[:, None, None] - (x + y) / 2) ** 2 + z.imag[:, None, None] ** 2)
    narrow, pair = near(lo, hi), near(lo, mid) | near(mid, hi)
    assert min(narrow.sum(), (pair & ~narrow).sum(), (~pair).sum()) > 100, "a branch is not exercised"
    F = np.array([_antiderivative(p, z, g[:, None], 0) for p in range(1, 5)])   # (orders, npts, nset)
    interp = _quadratic_weights(bary[sub].mean(axis=1) / 2)
    where = rng.integers(0, 40, (nT, 6))
    for p in range(1, 5):
        R = np.zeros((p, nset, 2, 40, 3), complex)
        R[p - 1] = rng.normal(size=R.shape[1:]) + 1j * rng.normal(size=R.shape[1:])
        a, b = both_forms(lambda: _triangle_sums(F[:p], g, vertex, sub, interp, 0.01, z, R, where))
        scale = np.abs(a).max(axis=(0, 1, 3))                                   # per triangle
        assert np.all(np.abs(a - b).max(axis=(0, 1, 3)) <= AGREE * scale), f"order {p}"


@pytest.mark.parametrize("where", ["K", "generic"])
def test_compiled_pole_part_correction_agrees(where, both_forms):
    """The whole resonance correction of one term of Eq. (4) (numeric/response/resonance.py, CONVENTIONS.md §7.1) at K
    and at a generic q where triangles are refined, nk = 24, the paper's three damping sets of panels (d), (f), (g):
    the same triangles treated and refined, the correction to 1e-12 relative."""
    model = honeycomb_model()
    rates = [rates_from_paper(*eta, 2) for eta in ((0.02, 0.002, 0.004), (0.02, 0.004, 0.02), (0.004, 0.02, 0.04))]
    pb = uniform_problem(model, 24, rates[0])
    q = model.lattice.point("K") if where == "K" else np.array([0.41, 0.23])
    omega = float(Phonons(model.lattice, saito_graphene()).energies(q[None])[0, -1])

    def correction():
        inp = _Inputs(pb, q, np.zeros(2))
        inp.omega = omega
        layout = _Contracted(inp, False, rates)
        scale = np.abs(_eq4_terms(layout, ["theta2"])["theta2"][0]).max(axis=(-2, -1)) / 0.25   # as fast.py
        return pole_part_correction(layout, scale)

    (a, info_a), (b, info_b) = both_forms(correction)
    assert info_a == info_b and info_a["treated_triangles"] > 0
    _close(a, b, f"resonance correction at q = {q}")
