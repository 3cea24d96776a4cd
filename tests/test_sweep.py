"""Parameter sweeps (numeric/apps/sweep.py): the spec, the values against numeric.moment, Dask against the
synchronous run, the store as a checkpoint (resume, changed spec, foreign and corrupted stores), the CLI."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import xarray as xr
from threadpoolctl import threadpool_info

import numeric
from numeric import ParameterError
from numeric.apps import sweep as sw


EXACT = 1e-12
"""The sweep and numeric.moment run the same kernels on the same grid: agreement to rounding."""
PARTS = ("total", "adiabatic", "nonadiabatic", "skew_scattering", "side_jump")
SMALL_SWEEP = {
    "model": {"delta": [0.8, 1.0]},
    "damping": {"eta_p": 0.02, "eta_c_ratio": [0.2, 2.0], "eta_v": 0.03},
    "q": {"points": ["K", [0.4, 0.3]]},
    "run": {"nk": 6},
    "tasks": {"damping_per_task": 2, "q_per_task": 1},
}
"""2 Δ × 2 η_c × 2 q = 8 points in 4 tasks (Δ, q); nk = 6 keeps each task to a fraction of a second."""


def run(out, spec=SMALL_SWEEP, **kw):
    return numeric.sweep(spec, out, scheduler=kw.pop("scheduler", "synchronous"), progress=False, **kw)


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory):
    """The whole sweep in one synchronous run: the store's path."""
    out = tmp_path_factory.mktemp("sweep") / "ref.zarr"
    run(out)
    return out


@pytest.fixture(scope="module")
def reference(reference_store):
    return xr.open_zarr(reference_store).load()


def test_store_is_labelled(reference):
    ds = reference
    assert ds["total"].dims == ("delta", "eta_c_ratio", "q")
    np.testing.assert_array_equal(ds["delta"], [0.8, 1.0])
    np.testing.assert_array_equal(ds["eta_c_ratio"], [0.2, 2.0])
    assert list(ds["label"].values) == ["K", ""]
    assert float(ds["eta_p"]) == 0.02 and float(ds["eta_v"]) == 0.03
    assert ds["done"].all() and ds["run"].max() == 0
    for part in PARTS:
        assert ds[part].attrs["units"].startswith("μ_N per phonon")
        assert np.all(np.isfinite(ds[part])) and np.all(ds[f"{part}_error"] >= 0)
    assert ds.attrs["spec_sha256"] == sw.load_spec(SMALL_SWEEP).sha256
    assert json.loads(ds.attrs["runs"])[0]["workers"][0]["package"] == "phonon-moment"


@pytest.mark.parametrize("i_delta, i_ratio, i_q", [(0, 0, 0), (1, 1, 1), (1, 0, 0)])
def test_values_equal_numeric_moment(reference, i_delta, i_ratio, i_q):
    """An independent route: numeric.moment at the same parameters (one damping set, no shared band data)."""
    ds = reference.isel(delta=i_delta, eta_c_ratio=i_ratio, q=i_q)
    delta, ratio = float(ds["delta"]), float(ds["eta_c_ratio"])
    model = numeric.honeycomb_model(delta=delta)
    q = "K" if i_q == 0 else [0.4, 0.3]
    r = numeric.moment(model, numeric.graphene_phonons(model), q, eta=(0.02, 0.02 * ratio, 0.03), nk=6,
                       error_estimate=False)            # a tiny grid: fast, and the comparison is still exact
    for part in PARTS:
        np.testing.assert_allclose(float(ds[part]), getattr(r, part), rtol=EXACT, atol=EXACT * abs(r.total),
                                   err_msg=f"{part} at delta={delta}, eta_c/eta_p={ratio}, q={q}")


def test_local_cluster_identical(reference, tmp_path):
    """The same sweep sent to the address of a dask.distributed LocalCluster (loopback only, two worker processes),
    as ``--scheduler ADDRESS`` does: identical values."""
    from dask import distributed

    with distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  processes=True) as cluster, distributed.Client(cluster) as client:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        ds = run(tmp_path / "cluster.zarr", scheduler=cluster.scheduler_address)
        assert json.loads(ds.attrs["runs"])[0]["scheduler"] == cluster.scheduler_address
        blas = client.run(lambda: max(i["num_threads"] for i in threadpool_info()))   # no thread multiplication
        assert set(blas.values()) == {1}, blas
    for name in PARTS + tuple(f"{p}_error" for p in PARTS) + ("dissipative", "omega"):
        np.testing.assert_array_equal(ds[name].values, reference[name].values, err_msg=name)


def test_interrupt_and_resume(reference, tmp_path):
    """A run stopped after 1 of 4 tasks, then rerun: only the rest is computed, and the store equals the one-shot run."""
    out = tmp_path / "resume.zarr"
    part = run(out, max_tasks=1)
    assert part.attrs["tasks_run"] == 1 and int(part["done"].sum()) == 2
    assert np.isnan(part["total"].values[~part["done"].values]).all()
    rest = run(out)
    assert rest.attrs["tasks_run"] == 3
    for name in PARTS:
        np.testing.assert_array_equal(rest[name].values, reference[name].values, err_msg=name)
    assert sorted(np.unique(rest["run"].values)) == [0, 1]
    assert [r["finished"] for r in json.loads(rest.attrs["runs"])] == [1, 3]
    assert run(out).attrs["tasks_run"] == 0


def test_resume_with_other_task_sizes(reference, tmp_path):
    """[tasks] cuts the work differently but computes the same values (to rounding: the batches of damping sets and
    q differ): same hash, the store resumes."""
    out = tmp_path / "chunks.zarr"
    run(out, max_tasks=1)
    other = {**SMALL_SWEEP, "tasks": {"damping_per_task": 1, "q_per_task": 2}}
    assert sw.load_spec(other).sha256 == sw.load_spec(SMALL_SWEEP).sha256
    ds = run(out, other)
    for name in PARTS:
        np.testing.assert_allclose(ds[name].values, reference[name].values, rtol=EXACT, atol=0, err_msg=name)


@pytest.fixture
def store(reference_store, tmp_path):
    """A finished store to damage (a copy of the module's reference store)."""
    out = tmp_path / "copy.zarr"
    shutil.copytree(reference_store, out)
    return out


def test_changed_spec_refused(store):
    changed = {**SMALL_SWEEP, "run": {"nk": 7}}
    with pytest.raises(sw.StoreError, match=r"different sweep spec \(changed: run\.nk\)"):
        run(store, changed)


def _garbage_chunk(path):
    chunk = next(p for p in (path / "total").iterdir() if not p.name.startswith("."))
    chunk.write_bytes(b"not a compressed chunk")


def _garbage_metadata(path):
    (path / ".zattrs").write_text("{ not json")


def _foreign_attrs(path):
    attrs = json.loads((path / ".zattrs").read_text())
    attrs["format"] = "someone else's"
    (path / ".zattrs").write_text(json.dumps(attrs))
    (path / ".zmetadata").unlink()


def _tampered_spec(path):
    attrs = json.loads((path / ".zattrs").read_text())
    spec = json.loads(attrs["spec"])
    spec["run"]["nk"] = 7
    attrs["spec"] = json.dumps(spec)
    (path / ".zattrs").write_text(json.dumps(attrs))
    (path / ".zmetadata").unlink()


@pytest.mark.parametrize("damage, message", [
    (_garbage_chunk, "is corrupted: variable 'total' cannot be read"),
    (_garbage_metadata, "not a readable Zarr store"),
    (_foreign_attrs, "not a phonon-moment sweep store"),
    (_tampered_spec, "stored spec does not match its spec hash"),
])
def test_damaged_store_refused(store, damage, message):
    damage(store)
    with pytest.raises(sw.StoreError, match=message):
        run(store)


def test_foreign_stores_refused(tmp_path):
    other = tmp_path / "other.zarr"
    xr.Dataset({"x": ("i", np.arange(3.0))}).to_zarr(other, zarr_format=2, consolidated=True)
    with pytest.raises(sw.StoreError, match="not a phonon-moment sweep store"):
        run(other)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("my data")
    with pytest.raises(sw.StoreError, match="not a readable Zarr store"):
        run(folder)
    assert (folder / "notes.txt").read_text() == "my data"


@pytest.mark.parametrize("change, key", [
    ({"model": {"gap": 1.0}}, r"\[model\]: unknown key"),
    ({"model": {"a0": [1.4, 1.42]}}, r"\[model\]\.a0 cannot be swept"),
    ({"model": {"temperature": [-1.0, 300.0]}}, r"\[model\]\.temperature must be ≥ 0"),
    ({"damping": {"eta_p": -0.01}}, r"\[damping\]\.eta_p must be > 0"),
    ({"damping": {"eta_c": 0.01, "eta_c_ratio": 1.0}}, "both eta_c and eta_c_ratio"),
    ({"damping": {"eta_v": {"linspace": [0.01, 0.02]}}}, r"\[damping\]\.eta_v: linspace takes"),
    ({"damping": {"eta_v": [0.01, 0.01]}}, r"\[damping\]\.eta_v: repeated values"),
    ({"damping": {"eta_v": "big"}}, r"\[damping\]\.eta_v: expected a finite number"),
    ({"q": {"points": ["X"]}}, r"\[q\]\.points: unknown point 'X'"),
    ({"q": {"points": ["K"], "wedge": 4}}, r"\[q\] needs exactly one of"),
    ({"run": {"nk": 2}}, r"\[run\]\.nk: expected an integer ≥ 3"),
    ({"run": {"branch": 7}}, r"\[run\]\.branch"),
    ({"tasks": {"q_per_task": 0}}, r"\[tasks\]\.q_per_task"),
    ({"extra": {}}, "unknown key"),
])
def test_spec_errors_name_the_key(change, key):
    with pytest.raises(ParameterError, match=key):
        sw.load_spec({**SMALL_SWEEP, **change})


def test_shipped_specs_load_and_shrink():
    names = sw.shipped()
    assert "eta-phase-diagram" in names
    for name in names:
        full, quick = sw.load_spec(name), sw.load_spec(name, quick=True)
        assert quick.data["run"]["nk"] <= sw.QUICK_NK and quick.sha256 != full.sha256
        assert all(len(v) <= sw.QUICK_VALUES for _, v in quick.dims)
    eta = sw.load_spec("eta-phase-diagram")
    assert [k for k, _ in eta.dims] == ["eta_c_ratio", "eta_v_ratio"] and eta.data["q"] == {"points": ["K"]}


def test_acoustic_branch_at_gamma_refused(tmp_path):
    with pytest.raises(ParameterError, match=r"\[run\]\.branch = 0 has ħω ≈ 0"):
        run(tmp_path / "g.zarr", {**SMALL_SWEEP, "q": {"points": ["G"]}, "run": {"nk": 6, "branch": 0}})
    assert not (tmp_path / "g.zarr").exists()


def test_cli_list_and_plot(reference_store, tmp_path, capsys):
    from numeric.cli import main

    assert main(["sweep", "--list"]) == 0
    assert "eta-phase-diagram" in capsys.readouterr().out
    store = reference_store
    assert main(["sweep-plot", str(store), "--out", str(tmp_path / "slice.png")]) == 0
    assert (tmp_path / "slice.png").stat().st_size > 10_000
    with pytest.raises(SystemExit):
        main(["sweep-plot", str(store), "--out", str(tmp_path / "x.png"), "--quantity", "nonsense"])


def test_nothing_swept_along_a_path(tmp_path):
    """No swept parameter: the only dimension is q, with the path's distance and labels as coordinates."""
    ds = run(tmp_path / "path.zarr", {"q": {"path": ["K", "M"], "npath": 2}, "run": {"nk": 4}})
    assert ds["total"].dims == ("q",) and list(ds["label"].values) == ["K", "", "M"]
    assert ds["distance"].values[0] == 0 and np.all(np.diff(ds["distance"].values) > 0)
    assert ds["done"].all() and float(ds["eta_p"]) == sw.DEFAULT_ETA
