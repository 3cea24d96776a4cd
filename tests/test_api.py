"""The public API (numeric/api.py, re-exported by ``import numeric``): one result type for both methods, equal to the
command line key by key; the scans agree with single-q moments; documented names; named errors."""

import inspect
import json

import numpy as np
import pytest

import numeric
from numeric.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::numeric.api.AccuracyWarning")   # small grids on purpose
NK = 9                       # small grids: these tests check plumbing and agreement, not convergence
EXACT = 1e-12                # the same computation by two routes: agreement to rounding


@pytest.fixture(scope="module")
def paper():
    model = numeric.honeycomb_model()
    return model, numeric.graphene_phonons(model)


@pytest.mark.parametrize("method", ["generated", "direct"])
def test_moment_equals_the_command_line_key_by_key(paper, capsys, method):
    model, phonons = paper
    argv = ["lambda", "--q", "0.31", "0.17", "--nk", str(NK), "--method", method, "--eta-c", "0.01", "--json"]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    api = numeric.moment(model, phonons, (0.31, 0.17), nk=NK, method=method, eta=(0.04, 0.01, 0.04)).to_dict()
    assert list(api) == list(cli)
    for key in api:
        if key != "seconds":
            assert api[key] == cli[key], key


def test_named_points_and_cartesian_q_agree(paper):
    model, phonons = paper
    by_name = numeric.moment(model, phonons, "K", nk=NK, resonances=False)
    by_q = numeric.moment(model, phonons, model.lattice.point("K"), nk=NK, resonances=False)
    assert by_name.total == by_q.total and by_name.q == by_q.q


def test_result_is_consistent(paper):
    model, phonons = paper
    r = numeric.moment(model, phonons, "M", nk=NK)
    assert isinstance(r, numeric.MomentResult)
    assert r.Lambda.shape == (2, 2) and np.iscomplexobj(r.Lambda)
    assert r.total == r.moment_muN
    assert abs(r.adiabatic + r.nonadiabatic - r.total) < EXACT * max(abs(r.total), 1.0)
    assert abs(r.skew_scattering + r.side_jump - r.nonadiabatic) < EXACT * max(abs(r.nonadiabatic), 1.0)
    np.testing.assert_allclose(r.Lambda, 0.5 * (r.Lambda_current_route + r.Lambda_force_route),
                               atol=EXACT * np.abs(r.Lambda).max())
    assert json.loads(json.dumps(r.to_dict()))["Lambda"][0][0] == [r.Lambda[0, 0].real, r.Lambda[0, 0].imag]


def test_path_equals_single_moments_along_it(paper, tmp_path):
    """The scan engine (worker processes, two grids per q) gives at each q what ``moment`` gives there."""
    model, phonons = paper
    result = numeric.path(model, phonons, points=("K", "M"), npath=2, nk=NK, workers=1, progress=False)
    columns = result.moments()
    for i, q in enumerate(result.q):
        single = numeric.moment(model, phonons, q, nk=NK)
        for part in ("total", "adiabatic", "side_jump"):
            assert abs(columns[f"{part}_muN"][i] - getattr(single, part)) <= EXACT * max(abs(single.total), 1.0), \
                (part, q)
    result.save(tmp_path)
    meta = json.loads((tmp_path / "path.json").read_text())
    assert meta["parameters"]["path"] == "K-M" and meta["parameters"]["model"]["onsite"] == [1.0, -1.0]
    assert len(result.to_dict()["total_muN"]) == len(result.q) == 3


def test_zone_map_unfolds_the_wedge(paper, tmp_path):
    model, phonons = paper
    result = numeric.zone_map(model, phonons, nq=3, nk=NK, workers=1, progress=False)
    fields = result.moments()
    assert fields["total_muN"].shape == (9,) and result.q.shape == (9, 2)
    result.save(tmp_path)
    assert (tmp_path / "map.npz").stat().st_size > 0 and (tmp_path / "map_total.png").stat().st_size > 0


@pytest.mark.parametrize("call,word", [
    (lambda m, p: numeric.moment(m, p, "X"), "q"),
    (lambda m, p: numeric.moment(m, p, (0.1, np.nan)), "q"),
    (lambda m, p: numeric.moment(m, p, "K", eta=(0.04, 0.04)), "eta"),
    (lambda m, p: numeric.moment(m, p, "K", method="exact"), "method"),
    (lambda m, p: numeric.moment(m, p, "K", branch="bottom"), "branch"),
    (lambda m, p: numeric.moment(m, p, "G", branch=0), "acoustic"),
    (lambda m, p: numeric.path(m, p, branch=0), "optical"),
    (lambda m, p: numeric.honeycomb_model(gap=1.0), "gap"),
])
def test_bad_input_gives_a_named_error(paper, call, word):
    with pytest.raises(numeric.ParameterError, match=word):
        call(*paper)


def test_public_names_are_documented():
    """Every name of ``__all__`` exists, and every public function documents its parameters or units."""
    for name in numeric.__all__:
        obj = getattr(numeric, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            doc = inspect.getdoc(obj) or ""
            assert len(doc) > 80, f"numeric.{name} needs a docstring"
    for name in ("moment", "honeycomb_model", "graphene_phonons", "path"):
        doc = inspect.getdoc(getattr(numeric, name))
        assert "Parameters" in doc and "eV" in doc, name
