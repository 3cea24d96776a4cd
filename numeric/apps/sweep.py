"""Parameter sweeps on Dask: a grid over model and damping parameters × a set of q, stored as a labelled Zarr store.

A sweep is described by a TOML spec (the shipped examples are in ``numeric/apps/sweeps/``; README "Sweeps")::

    [model]                       # the honeycomb model's parameters (eV, Å), μ (eV) and temperature (K)
    delta = {linspace = [0.5, 1.5, 5]}
    [damping]                     # the paper's (η_p, η_c, η_v) in eV; eta_c_ratio / eta_v_ratio are η_c/η_p, η_v/η_p
    eta_p = 0.02
    eta_c_ratio = {geomspace = [0.1, 10, 13]}
    eta_v_ratio = [0.2, 1.0]
    [q]                           # exactly one of: points = ["K", [0.1, 0.2]], path = ["G", "K"] (+ npath), wedge = nq
    points = ["K"]
    [run]
    nk = 36                       # also: branch ("top" or an index), resonances (true)
    [tasks]                       # how the work is cut; not part of the results (and not of the spec hash)
    damping_per_task = 24
    q_per_task = 1

A value is a number (fixed), a list, or ``{linspace = [start, stop, num]}``, ``{geomspace = [start, stop, num]}``,
``{logspace = [start_exponent, stop_exponent, num]}`` (NumPy's meanings). Every list is a named dimension of the
result, in the spec's order, followed by ``q``.

Tasks are (model point, block of damping sets, block of q): :func:`numeric.apps.scan.scan_branch` shares the band data
and vertices of one model point across its damping sets (measured in tests/benchmarks/bench_sweep.py). Each task runs
with one process and one BLAS thread (``workers=1``; Dask's nanny also sets OMP/MKL/OPENBLAS_NUM_THREADS=1), so Dask's
workers are the only parallelism.

The store is the checkpoint. Only the client writes it (tasks return their values), point by point with a ``done``
mask written last (Zarr replaces each chunk file atomically), so an interrupted sweep rerun computes only the points
not yet done; two sweeps must not write one store at the same time (nothing locks it); a store written by another
spec (compared by the SHA-256 of the normalized spec), a foreign store and an unreadable one are refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import time
import tomllib
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np

from ..model.brillouin import high_symmetry_path
from ..model.honeycomb import HoneycombParameters
from ..model.zone import irreducible_wedge
from ..output.files import provenance
from ..validation import ParameterError
from .scan import PARTS, RELIABLE_NK, coarse_nk, scan_branch

FORMAT = "phonon-moment sweep 1"
"""The store's format marker (attribute ``format``); a store without it is foreign."""
MODEL_KEYS = tuple(f.name for f in fields(HoneycombParameters) if f.name != "peierls")
STATE_KEYS = ("mu", "temperature")
DAMPING_KEYS = ("eta_p", "eta_c", "eta_v", "eta_c_ratio", "eta_v_ratio")
DEFAULT_ETA = 0.04
"""eV: η_p, η_c, η_v left out of a spec (the paper's Fig. 2 b)."""
UNITS = {"t": "eV", "delta": "eV", "tprime": "eV", "beta": "1", "beta_prime": "1", "a0": "Å", "mu": "eV",
         "temperature": "K", "eta_p": "eV", "eta_c": "eV", "eta_v": "eV", "eta_c_ratio": "1 (η_c/η_p)",
         "eta_v_ratio": "1 (η_v/η_p)", "qx": "1/Å", "qy": "1/Å", "distance": "1/Å", "omega": "eV"}
MOMENT_UNITS = "μ_N per phonon"
QUICK_VALUES, QUICK_Q, QUICK_NK, QUICK_NQ = 3, 2, 8, 3
"""``--quick``: values per swept parameter, q-points, k-grid and wedge q-grid of a smoke run."""
SHIPPED_SWEEPS = resources.files(__package__).joinpath("sweeps")
"""The shipped example specs, ``<name>.toml``."""


# --------------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """A validated sweep: ``data`` is the normalized spec (every value a number or a list), ``text`` its source."""

    data: dict
    text: str
    name: str

    @property
    def sha256(self) -> str:
        """Hash of what the sweep computes: every section except ``[tasks]`` and ``description``."""
        return spec_hash(self.data)

    @property
    def dims(self) -> list:
        """[(name, values)] of the swept parameters, model first, in the spec's order."""
        return [(k, np.asarray(v, float)) for section in ("model", "damping")
                for k, v in self.data[section].items() if isinstance(v, list)]

    @property
    def fixed(self) -> dict:
        """{name: value} of the parameters held fixed."""
        return {k: v for section in ("model", "damping") for k, v in self.data[section].items()
                if not isinstance(v, list)}


def spec_hash(data: dict) -> str:
    """SHA-256 of the normalized spec without ``[tasks]`` and ``description`` (they do not change any value)."""
    keep = {k: v for k, v in data.items() if k not in ("tasks", "description")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()


def shipped() -> dict:
    """{name: description} of the example specs shipped with the package."""
    out = {}
    for f in sorted(SHIPPED_SWEEPS.iterdir(), key=lambda f: f.name):
        if f.name.endswith(".toml"):
            out[f.name[:-5]] = tomllib.loads(f.read_text()).get("description", "")
    return out


def load_spec(source, *, quick: bool = False) -> Spec:
    """A :class:`Spec` from a path to a TOML file, the name of a shipped example (:func:`shipped`), TOML text or a
    dict; ``quick`` shrinks it to a smoke test (:func:`shrink`). Raises ParameterError naming the offending key."""
    if isinstance(source, Spec):
        spec = source
    elif isinstance(source, dict):
        spec = Spec(normalize(source), json.dumps(source, indent=2, default=str), "dict")
    else:
        text, name = _spec_text(str(source))
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"sweep spec {name}: not valid TOML: {exc}") from None
        spec = Spec(normalize(raw), text, name)
    return shrink(spec) if quick else spec


def _spec_text(source: str) -> tuple:
    path = Path(source)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ParameterError(f"sweep spec {source}: no such file (or pass the name of a shipped example: "
                                 f"{', '.join(shipped())}).")
        return path.read_text(), str(path)
    if source in shipped():
        return SHIPPED_SWEEPS.joinpath(f"{source}.toml").read_text(), source
    if "[" in source or "=" in source:
        return source, "(text)"
    raise ParameterError(f"sweep spec {source!r} is neither a file nor a shipped example: use one of "
                         f"{', '.join(shipped())} (phonon-moment sweep --list).")


def normalize(raw: dict) -> dict:
    """The spec with defaults filled in and every parameter a float or a list of floats; errors name the key."""
    if not isinstance(raw, dict):
        raise ParameterError("a sweep spec is a TOML table (or dict) with sections [model], [damping], [q], [run].")
    allowed = {"description", "model", "damping", "q", "run", "tasks"}
    _unknown("the spec's top level", raw, allowed)
    section = lambda name: _table(raw, name)
    model = {k: _values(f"[model].{k}", v) for k, v in section("model").items()}
    _unknown("[model]", model, MODEL_KEYS + STATE_KEYS)
    if isinstance(model.get("a0"), list):
        raise ParameterError("[model].a0 cannot be swept: the bond length changes the zone and with it the q set; "
                             "run one spec per a0.")
    if min(np.atleast_1d(model.get("temperature", 0.0))) < 0:
        raise ParameterError(f"[model].temperature must be ≥ 0 K, got {model['temperature']}.")
    damping = {k: _values(f"[damping].{k}", v) for k, v in section("damping").items()}
    _unknown("[damping]", damping, DAMPING_KEYS)
    for band in ("c", "v"):
        if f"eta_{band}" in damping and f"eta_{band}_ratio" in damping:
            raise ParameterError(f"[damping] gives both eta_{band} and eta_{band}_ratio: keep one (the ratio is "
                                 f"η_{band}/η_p).")
    damping = {"eta_p": damping.pop("eta_p", DEFAULT_ETA), **damping}
    for band in ("c", "v"):
        if f"eta_{band}_ratio" not in damping:
            damping.setdefault(f"eta_{band}", DEFAULT_ETA)
    for k, v in damping.items():
        if min(np.atleast_1d(v)) <= 0:
            raise ParameterError(f"[damping].{k} must be > 0 (a relaxation rate or a ratio of two), got {v}.")
    run = dict(section("run"))
    _unknown("[run]", run, ("nk", "branch", "resonances"))
    run = {"nk": _integer("[run].nk", run.get("nk", 24), 3), "branch": _branch(run.get("branch", "top")),
           "resonances": _boolean("[run].resonances", run.get("resonances", True))}
    tasks = dict(section("tasks"))
    _unknown("[tasks]", tasks, ("damping_per_task", "q_per_task"))
    tasks = {k: _integer(f"[tasks].{k}", tasks.get(k, default), 1)
             for k, default in (("damping_per_task", 16), ("q_per_task", 4))}
    out = {"model": model, "damping": damping, "q": _q_set(section("q")), "run": run, "tasks": tasks}
    if "description" in raw:
        out["description"] = str(raw["description"])
    return out


def _table(raw: dict, name: str) -> dict:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ParameterError(f"[{name}] must be a table (a [{name}] section), got {value!r}.")
    return value


def _unknown(where: str, table: dict, allowed) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise ParameterError(f"{where}: unknown key(s) {extra}; allowed: {sorted(allowed)}.")


def _values(key: str, value):
    """A number stays a float; a list or {linspace|geomspace|logspace = [a, b, n]} becomes a list of floats."""
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in ("linspace", "geomspace", "logspace"):
            raise ParameterError(f"{key}: a table value must be one of {{linspace = [start, stop, num]}}, "
                                 f"{{geomspace = [...]}}, {{logspace = [...]}}; got {value!r}.")
        (kind, args), = value.items()
        if not (isinstance(args, list) and len(args) == 3 and isinstance(args[2], int) and args[2] >= 1):
            raise ParameterError(f"{key}: {kind} takes [start, stop, num] with an integer num ≥ 1, got {args!r}.")
        try:
            grid = getattr(np, kind)(float(args[0]), float(args[1]), args[2])
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{key}: {kind}{args}: {exc}") from None
        value = grid.tolist()
    if isinstance(value, list):
        if not value:
            raise ParameterError(f"{key}: an empty list sweeps nothing; give at least one value.")
        out = [_number(key, v) for v in value]
        if len(set(out)) != len(out):
            raise ParameterError(f"{key}: repeated values {value}; each value of a swept parameter must be distinct.")
        return out
    return _number(key, value)


def _number(key: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ParameterError(f"{key}: expected a finite number, got {v!r}.")
    return float(v)


def _integer(key: str, v, minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ParameterError(f"{key}: expected an integer ≥ {minimum}, got {v!r}.")
    return v


def _boolean(key: str, v) -> bool:
    if not isinstance(v, bool):
        raise ParameterError(f"{key}: expected true or false, got {v!r}.")
    return v


def _branch(v):
    if v == "top" or (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 3):
        return v
    raise ParameterError(f"[run].branch: 'top' or a branch index 0..3 (ascending energy), got {v!r}.")


def _q_set(q: dict) -> dict:
    kinds = [k for k in ("points", "path", "wedge") if k in q]
    if len(kinds) != 1:
        raise ParameterError(f"[q] needs exactly one of points, path, wedge; got {kinds or 'none'}.")
    kind = kinds[0]
    _unknown("[q]", q, (kind, "npath") if kind == "path" else (kind,))
    if kind == "wedge":
        return {"wedge": _integer("[q].wedge", q["wedge"], 2)}
    value = q[kind]
    if not isinstance(value, list) or not value:
        raise ParameterError(f"[q].{kind}: a non-empty list of point names or [qx, qy] pairs (1/Å), got {value!r}.")
    out = []
    for v in value:
        if isinstance(v, str):
            if v not in ("G", "K", "M", "Kp"):
                raise ParameterError(f"[q].{kind}: unknown point {v!r}; use G, K, M, Kp or [qx, qy] in 1/Å.")
            out.append(v)
        elif kind == "points" and isinstance(v, list) and len(v) == 2:
            out.append([_number(f"[q].{kind}", x) for x in v])
        else:
            raise ParameterError(f"[q].{kind}: each entry is a point name" + (" or [qx, qy] (1/Å)" if kind == "points"
                                                                            else "") + f", got {v!r}.")
    if kind == "path":
        if len(out) < 2:
            raise ParameterError("[q].path needs at least two point names.")
        return {"path": out, "npath": _integer("[q].npath", q.get("npath", 10), 1)}
    return {"points": out}


def shrink(spec: Spec) -> Spec:
    """The same sweep at smoke-test size: ≤ 3 values per swept parameter (first, middle, last), ≤ 2 q-points
    (a path of 2 points per segment, a 3×3 wedge) and nk ≤ 8."""
    data = json.loads(json.dumps(spec.data))
    for section in ("model", "damping"):
        for k, v in data[section].items():
            if isinstance(v, list) and len(v) > QUICK_VALUES:
                data[section][k] = [v[0], v[len(v) // 2], v[-1]]
    q = data["q"]
    if "points" in q:
        q["points"] = q["points"][:QUICK_Q]
    elif "path" in q:
        q["npath"] = min(q["npath"], QUICK_Q)
    else:
        q["wedge"] = min(q["wedge"], QUICK_NQ)
    data["run"]["nk"] = min(data["run"]["nk"], QUICK_NK)
    return Spec(data, spec.text, spec.name + " (--quick)")


# --------------------------------------------------------------------------------------------------
# The grid, the q set and the tasks
# --------------------------------------------------------------------------------------------------
def model_parameters(spec: Spec, point: dict) -> tuple:
    """(model overrides, mu, temperature) at one grid point ``point`` = {dim: value}."""
    values = {k: point.get(k, v) for k, v in spec.data["model"].items()}
    state = {k: values.pop(k, 0.0) for k in STATE_KEYS}
    return values, state["mu"], state["temperature"]


def damping(spec: Spec, point: dict) -> tuple:
    """(η_p, η_c, η_v) in eV at one grid point (ratios times η_p)."""
    d = {k: point.get(k, v) for k, v in spec.data["damping"].items()}
    eta = [d["eta_p"]]
    for band in ("c", "v"):
        eta.append(d[f"eta_{band}_ratio"] * d["eta_p"] if f"eta_{band}_ratio" in d else d[f"eta_{band}"])
    return tuple(float(x) for x in eta)


def q_points(spec: Spec, lattice) -> dict:
    """{"q": (nq, 2) 1/Å, "labels": [str], "distance": (nq,) or None, "kind": str} of the spec's q set."""
    q = spec.data["q"]
    if "wedge" in q:
        w = irreducible_wedge(lattice, q["wedge"])
        return {"q": w.k, "labels": [""] * len(w.k), "distance": None,
                "kind": f"C3v wedge of the Γ-centred {q['wedge']}×{q['wedge']} grid"}
    if "path" in q:
        p = high_symmetry_path(lattice, tuple(q["path"]), q["npath"])
        labels = [""] * len(p.k)
        for label, i in zip(p.labels, range(0, len(p.k), q["npath"])):
            labels[i] = label
        return {"q": p.k, "labels": labels, "distance": p.distance, "kind": "path " + "-".join(p.labels)}
    pts = [lattice.point(v) if isinstance(v, str) else np.asarray(v, float) for v in q["points"]]
    return {"q": np.array(pts), "labels": [v if isinstance(v, str) else "" for v in q["points"]], "distance": None,
            "kind": "points"}


def tasks(spec: Spec, nq: int) -> list:
    """Every task of the sweep: one model point, a block of its damping sets, a block of q (see the module doc).

    Each task is a dict: ``model`` (overrides), ``mu``, ``temperature``, ``etas`` [(η_p, η_c, η_v)], ``index``
    (nset, ndims) indices into the swept dimensions, ``q`` (start, stop).
    """
    dims = spec.dims
    model_dims = [i for i, (k, _) in enumerate(dims) if k in spec.data["model"]]
    damping_dims = [i for i, (k, _) in enumerate(dims) if k in spec.data["damping"]]
    shape = [len(v) for _, v in dims]
    model_grid = list(np.ndindex(*[shape[i] for i in model_dims]))
    damping_shape = [shape[i] for i in damping_dims]
    damping_grid = np.array(list(np.ndindex(*damping_shape)), int).reshape(math.prod(damping_shape), len(damping_dims))
    per, qper = spec.data["tasks"]["damping_per_task"], spec.data["tasks"]["q_per_task"]
    blocks = np.array_split(np.arange(len(damping_grid)), math.ceil(len(damping_grid) / per))
    qblocks = np.array_split(np.arange(nq), math.ceil(nq / qper))
    out = []
    for m in model_grid:
        point = {dims[i][0]: dims[i][1][j] for i, j in zip(model_dims, m)}
        overrides, mu, temperature = model_parameters(spec, point)
        for block in blocks:
            index = np.zeros((len(block), len(dims)), int)
            index[:, model_dims] = m
            index[:, damping_dims] = damping_grid[block]
            etas = [damping(spec, {dims[i][0]: dims[i][1][j] for i, j in enumerate(row)}) for row in index]
            for qb in qblocks:
                out.append({"model": overrides, "mu": mu, "temperature": temperature, "etas": etas,
                            "index": index, "q": (int(qb[0]), int(qb[-1]) + 1)})
    return out


@functools.lru_cache(maxsize=1)
def _worker_provenance() -> str:
    return json.dumps(provenance(), sort_keys=True)


def run_task(task: dict, spec_data: dict, q: np.ndarray, build) -> dict:
    """Compute one task (in a Dask worker, or in-process): the moments and their error estimates, μ_N.

    ``build`` = (model factory, phonon factory), e.g. :func:`numeric.honeycomb_model` and
    :func:`numeric.graphene_phonons`. One process, one BLAS thread (:func:`numeric.apps.scan.scan_branch` with
    ``workers=1`` limits BLAS itself).
    """
    make_model, make_phonons = build
    t0 = time.perf_counter()
    model = make_model(**task["model"])
    run = spec_data["run"]
    branch = 2 * model.nsub - 1 if run["branch"] == "top" else run["branch"]
    start, stop = task["q"]
    scan = scan_branch(model, make_phonons(model), q[start:stop], branch=branch, etas=task["etas"], nk=run["nk"],
                       mu=task["mu"], temperature=task["temperature"], workers=1, progress=False,
                       resonances=run["resonances"])
    values = {p: scan.moment[p] for p in PARTS}
    values.update({f"{p}_error": scan.error[p] for p in PARTS})
    values["dissipative"] = scan.dissipative
    return {"values": values, "seconds": time.perf_counter() - t0, "provenance": _worker_provenance()}


# --------------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------------
VARIABLES = {**{p: f"{MOMENT_UNITS}: " + ("the moment, real part of m_ν (CONVENTIONS.md §5)" if p == "total" else
                                          "exact split of total (CONVENTIONS.md §1.2)") for p in PARTS},
             **{f"{p}_error": f"{MOMENT_UNITS}: k-grid error estimate |{p}(nk) − {p}(3nk/4)|" for p in PARTS},
             "dissipative": f"{MOMENT_UNITS}: imaginary part of m_ν"}
"""The per-point variables of the store and their units."""


def _empty_dataset(spec: Spec, qset: dict, omega: np.ndarray):
    import xarray as xr

    dims = spec.dims
    names = [k for k, _ in dims] + ["q"]
    shape = [len(v) for _, v in dims] + [len(qset["q"])]
    data = {v: (names, np.full(shape, np.nan), {"units": u}) for v, u in VARIABLES.items()}
    data["done"] = (names, np.zeros(shape, bool), {"meaning": "the point's values are in the store"})
    data["run"] = (names, np.full(shape, -1, np.int16), {"meaning": "index into attrs['runs'] of the run that "
                                                                     "computed the point (−1: not yet)"})
    data["omega"] = ("q", omega, {"units": "eV", "meaning": "the branch's ħω"})
    coords = {k: (k, v, {"units": UNITS[k]}) for k, v in dims}
    coords.update({k: ((), v, {"units": UNITS[k], "meaning": "held fixed"}) for k, v in spec.fixed.items()})
    coords["q"] = ("q", np.arange(len(qset["q"])), {"meaning": "index of the q-point"})
    coords["label"] = ("q", np.array(qset["labels"], dtype="U3"), {"meaning": "point name, '' if none"})
    coords["qx"] = ("q", qset["q"][:, 0], {"units": "1/Å"})
    coords["qy"] = ("q", qset["q"][:, 1], {"units": "1/Å"})
    if qset["distance"] is not None:
        coords["distance"] = ("q", qset["distance"], {"units": "1/Å", "meaning": "along the path"})
    attrs = {"format": FORMAT, "spec_sha256": spec.sha256, "spec": json.dumps(spec.data, sort_keys=True),
             "spec_text": spec.text, "spec_name": spec.name, "q_set": qset["kind"],
             "nk": spec.data["run"]["nk"], "error_nk": coarse_nk(spec.data["run"]["nk"]),
             "error_estimate_claimed": int(spec.data["run"]["nk"] >= RELIABLE_NK),
             "branch": str(spec.data["run"]["branch"]), "resonances": int(spec.data["run"]["resonances"]),
             "moment_units": MOMENT_UNITS, "created_by": json.dumps(provenance()), "runs": "[]"}
    ds = xr.Dataset(data, coords, attrs)
    # One chunk per model point: a task rewrites only its own model point's chunk.
    chunks = [1 if k in spec.data["model"] else len(v) for k, v in dims] + [len(qset["q"])]
    for name in list(VARIABLES) + ["done", "run"]:
        ds[name].encoding["chunks"] = tuple(chunks)
    return ds


class StoreError(ParameterError):
    """The output store cannot be used for this spec (foreign, corrupted, or written by another spec)."""


def open_store(path, spec: Spec, qset: dict, omega: np.ndarray):
    """The Zarr group at ``path`` for ``spec``: created if absent, else checked (format, spec hash, shapes,
    readable values) and reopened for writing. Raises :class:`StoreError` with what to do."""
    import zarr

    path = Path(path)
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        # Zarr format 2 with consolidated metadata: opens with plain xarray.open_zarr(path), no warning.
        _empty_dataset(spec, qset, omega).to_zarr(path, mode="w", zarr_format=2, consolidated=True)
        return zarr.open_group(path, mode="r+", zarr_format=2)
    fix = f"write to a new --out, or delete {path} to start over"
    try:
        group = zarr.open_group(path, mode="r+", zarr_format=2)
        attrs = dict(group.attrs)
    except Exception as exc:   # zarr raises several types for a folder that is not a store
        raise StoreError(f"{path} is not a readable Zarr store ({type(exc).__name__}: {exc}); {fix}.") from None
    if attrs.get("format") != FORMAT:
        raise StoreError(f"{path} is not a phonon-moment sweep store (its attribute 'format' is "
                         f"{attrs.get('format')!r}, expected {FORMAT!r}); {fix}.")
    try:
        stored = json.loads(attrs["spec"])
        consistent = spec_hash(stored) == attrs["spec_sha256"]
    except (KeyError, TypeError, ValueError):
        consistent = False
    if not consistent:
        raise StoreError(f"{path} is corrupted: its stored spec does not match its spec hash; {fix}.")
    if attrs["spec_sha256"] != spec.sha256:
        changed = sorted(_differences(stored, spec.data))
        raise StoreError(f"{path} was written by a different sweep spec (changed: {', '.join(changed)}); a store "
                         f"holds one spec, so resuming into it would mix two sweeps; {fix}.")
    expected = _empty_dataset(spec, qset, omega)
    for name in list(VARIABLES) + ["done", "run"]:
        try:
            values = group[name][...]
        except Exception as exc:
            raise StoreError(f"{path} is corrupted: variable {name!r} cannot be read ({type(exc).__name__}: "
                             f"{exc}); {fix}.") from None
        if values.shape != expected[name].shape:
            raise StoreError(f"{path} is corrupted: {name!r} has shape {values.shape}, the spec needs "
                             f"{expected[name].shape}; {fix}.")
    done = group["done"][...]
    if not np.all(np.isfinite(group["total"][...][done])):
        raise StoreError(f"{path} is corrupted: points marked done hold no finite value; {fix}.")
    return group


def _differences(a, b, prefix=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in ("tasks", "description"):
                yield from _differences(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else k)
    elif a != b:
        yield prefix


def _points(task: dict) -> tuple:
    """The task's points as a tuple of index arrays, one per dimension of the store (swept parameters, then q)."""
    start, stop = task["q"]
    index = task["index"]                                          # (nset, ndims)
    nq = stop - start
    return tuple(np.repeat(index[:, i], nq) for i in range(index.shape[1])) + (np.tile(np.arange(start, stop),
                                                                                         len(index)),)


def write_task(group, task: dict, result: dict, run: int) -> None:
    """Write one finished task into its points of the store; ``done`` last, so a point is done only when complete."""
    where = _points(task)
    for name, values in result["values"].items():
        group[name].vindex[where] = np.asarray(values, float).reshape(-1)
    group["run"].vindex[where] = np.full(len(where[-1]), run, np.int16)
    group["done"].vindex[where] = np.ones(len(where[-1]), bool)


def pending(group, all_tasks: list) -> list:
    """The tasks with at least one point not yet done."""
    done = group["done"][...]
    return [task for task in all_tasks if not done[_points(task)].all()]


def _runs(group, path, run: int | None = None, **fields) -> int:
    """Append a run record (``run`` None) or update one in ``attrs["runs"]``, re-consolidate; returns its index."""
    import zarr

    runs = json.loads(group.attrs["runs"])
    if run is None:
        runs.append({})
        run = len(runs) - 1
    runs[run].update(fields)
    group.attrs["runs"] = json.dumps(runs)
    zarr.consolidate_metadata(str(path), zarr_format=2)
    return run


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------
def run_sweep(spec, out, build, *, scheduler=None, workers: int | None = None, progress: bool | None = None,
              max_tasks: int | None = None, quick: bool = False):
    """Run (or resume) the sweep ``spec`` into the Zarr store ``out`` and return the store as an xarray Dataset.

    Parameters
    ----------
    spec : str, Path, dict or Spec
        See :func:`load_spec`.
    out : str or Path
        The Zarr store (a folder); created, or resumed when it holds the same spec.
    build : (callable, callable)
        The model and phonon factories (``numeric.honeycomb_model``, ``numeric.graphene_phonons``).
    scheduler : None, "synchronous", str or dask.distributed.Client
        None: a ``dask.distributed.LocalCluster`` on this machine (``workers`` processes, one thread each, loopback
        only); "synchronous": every task in this process, in order, without Dask; an address
        ("tcp://host:8786"): a running Dask scheduler; or a connected Client.
    workers : int, optional
        Worker processes of the local cluster (default: the machine's cores).
    max_tasks : int, optional
        Stop after this many tasks (a deliberate partial run; rerun to finish).
    """
    import xarray as xr

    from .scan import default_workers

    spec = load_spec(spec, quick=quick)
    make_model, make_phonons = build
    model = make_model(**model_parameters(spec, {k: v[0] for k, v in spec.dims})[0])
    phonons = make_phonons(model)
    qset = q_points(spec, model.lattice)
    branch = 2 * model.nsub - 1 if spec.data["run"]["branch"] == "top" else spec.data["run"]["branch"]
    omega = phonons.energies(qset["q"])[:, branch]
    if np.any(omega < 1e-4):
        raise ParameterError(f"[run].branch = {spec.data['run']['branch']!r} has ħω ≈ 0 at some q of [q] (an acoustic "
                             "branch at Γ): the moment per phonon diverges; choose an optical branch or leave Γ out.")
    group = open_store(out, spec, qset, omega)
    todo = pending(group, tasks(spec, len(qset["q"])))
    if max_tasks is not None:
        todo = todo[:max_tasks]
    if todo:
        _execute(group, out, spec, qset["q"], build, todo, scheduler, workers or default_workers(), progress)
    ds = xr.open_zarr(out).load()
    ds.attrs["tasks_run"] = len(todo)        # this call's, not stored
    return ds


def _execute(group, out, spec, q, build, todo, scheduler, workers, progress):
    from tqdm import tqdm

    where = scheduler if isinstance(scheduler, str) else ("local cluster" if scheduler is None else "client")
    run = _runs(group, out, started=datetime.now(timezone.utc).isoformat(timespec="seconds"), scheduler=where,
                tasks=len(todo), client=provenance())
    bar = tqdm(total=len(todo), desc="sweep tasks", disable=None if progress is None else not progress)
    t0, task_seconds, seen, finished = time.perf_counter(), 0.0, set(), 0
    try:
        for task, result in _results(spec, q, build, todo, scheduler, workers):
            write_task(group, task, result, run)
            task_seconds += result["seconds"]
            seen.add(result["provenance"])
            finished += 1
            bar.update()
    finally:
        bar.close()
        _runs(group, out, run, finished=finished, seconds=round(time.perf_counter() - t0, 3),
              task_seconds=round(task_seconds, 3), workers=[json.loads(p) for p in sorted(seen)])


def _results(spec, q, build, todo, scheduler, workers):
    """(task, result) pairs as tasks finish."""
    if scheduler == "synchronous":
        for task in todo:
            yield task, run_task(task, spec.data, q, build)
        return
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = client = None
    if scheduler is None:
        # Processes (the kernels hold the GIL), one thread each, on the loopback interface, no dashboard port. Logs
        # silenced below CRITICAL: on a busy machine the shutdown logs heartbeat tracebacks after every result is stored;
        # a task's own error still reaches us through its future.
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
    elif isinstance(scheduler, str):
        try:
            client = Client(scheduler)
        except (OSError, TimeoutError) as exc:
            raise ParameterError(f"cannot reach a Dask scheduler at {scheduler!r} ({exc}); start one (dask scheduler) "
                                 "or leave out --scheduler to run on this machine.") from None
    else:
        client = scheduler
    futures = {}
    try:
        data = client.scatter(q, broadcast=True)
        futures = {client.submit(run_task, task, spec.data, data, build, pure=False): task for task in todo}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        for future in futures:
            future.cancel()
        if client is not scheduler:
            client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------------------------------
# A 2-D slice
# --------------------------------------------------------------------------------------------------
LABELS = {"eta_c_ratio": r"$\eta_c/\eta_p$", "eta_v_ratio": r"$\eta_v/\eta_p$", "eta_p": r"$\eta_p$ (eV)",
          "eta_c": r"$\eta_c$ (eV)", "eta_v": r"$\eta_v$ (eV)", "delta": r"$\Delta$ (eV)", "t": "t (eV)",
          "tprime": "t′ (eV)", "beta": r"$\beta$", "beta_prime": r"$\beta'$", "mu": r"$\mu$ (eV)",
          "temperature": "T (K)"}
RATIO = "ratio"
"""The quantity λ^NA/λ^A (= nonadiabatic/adiabatic, the same mode vector projects both)."""


def plot_slice(store, out, *, quantity: str = RATIO, x: str | None = None, y: str | None = None, q: int = 0):
    """Draw ``quantity`` over two swept parameters (default: the first two with more than one value) at q-point
    index ``q``, every other swept parameter at its first value; "ratio" is λ^NA/λ^A. Returns the PNG path."""
    import xarray as xr

    from ..output.plots import parameter_plane

    ds = xr.open_zarr(store) if not isinstance(store, xr.Dataset) else store
    swept = [d for d in ds["total"].dims if d != "q" and ds.sizes[d] > 1]
    x = x or (swept[0] if swept else None)
    y = y or next((d for d in swept if d != x), None)
    if x is None or y is None or x == y or not {x, y} <= set(swept):
        raise ParameterError(f"a 2-D slice needs two different swept parameters; this store sweeps {swept}.")
    if not 0 <= q < ds.sizes["q"]:
        raise ParameterError(f"q index {q} is outside the store's {ds.sizes['q']} q-points.")
    if quantity == RATIO:
        field, label = ds["nonadiabatic"] / ds["adiabatic"], r"$\lambda^{NA}/\lambda^{A}$ (at the mode)"
    elif quantity in VARIABLES:
        field, label = ds[quantity], f"{quantity} ({MOMENT_UNITS})"
    else:
        raise ParameterError(f"quantity {quantity!r}: use {RATIO!r} (λ^NA/λ^A) or one of {sorted(VARIABLES)}.")
    field = field.where(ds["done"]).isel(q=q, **{d: 0 for d in swept if d not in (x, y)})
    values = field.transpose(y, x).values
    held = [f"{d}={float(ds[d][0]):g}" for d in swept if d not in (x, y)]
    held += [f"{d}={float(ds[d]):g}" for d in ds.coords if ds[d].ndim == 0]
    point = str(ds["label"].values[q]) or f"({float(ds.qx[q]):.3f}, {float(ds.qy[q]):.3f}) 1/Å"
    caption = (f"q = {point}, branch {ds.attrs['branch']}, nk = {ds.attrs['nk']}; " + ", ".join(held)
               + f"; {int(np.isfinite(values).sum())}/{values.size} points done")
    return parameter_plane(ds[x].values, ds[y].values, values, out, xlabel=LABELS.get(x, x), ylabel=LABELS.get(y, y),
                           label=label, title=f"{label.split(' (')[0]} at q = {point}", caption=caption,
                           contour_levels=8 if quantity == RATIO else None)
