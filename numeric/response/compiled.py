"""The compiled form of the generated Eq. (4) kernels: the same printed source, run point by point under numba.

The kernels of ``generated/eq4_n{N}.py`` are printed for NumPy: every line of the common-subexpression chain is an
array operation over (damping sets, ℓ, k, pairs), which allocates and sweeps a temporary, so a Λ(q) runs at memory
speed. Their arithmetic is elementwise, so the same lines also evaluate one point at a time once their unpacking
lines ``e0_k = e_k[..., 0]`` index a single point (``e_k[s, l, k, p, 0]``). This module makes that form mechanically
from the printed functions (:func:`scalar_source`): one driver per function, a loop nest over k, damping set s,
direction ℓ and pair p in which each printed line sits in the innermost loop it depends on (the energy denominators
once per k and set, as the NumPy form computes them once per broadcast shape), ``_recip`` on one number, small
powers multiplied out. The text is written once per generated source into a cache directory and compiled with
``numba.njit(cache=True)``: the first call on a machine compiles (tens of seconds for N = 2; measured by
tests/benchmarks/bench_generated.py), later processes load the machine code from numba's cache beside that file.
:func:`project` (the band-basis projections of the vertices) is compiled the same way.

The NumPy form stays the readable, tested one and the oracle of this one (tests/test_compiled.py, 1e-12 relative).
``PHONON_MOMENT_KERNELS=numpy`` selects it everywhere (also when numba is not installed); :func:`use` switches it in
a running process.

Where the written sources live: ``$PHONON_MOMENT_CACHE`` if set, else ``$XDG_CACHE_HOME/phonon-moment`` (default
``~/.cache/phonon-moment``), with a temporary directory as fallback when neither is writable.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile

import numpy as np

#: trailing (band) axes of each argument kind, after which its leading axes broadcast to (nset, 2[ℓ], nk, P)
TRAILING = {"omega": 0, "eta_p": 0, "gamma": 1, "energy": 1, "occupation": 1, "dfde": 1,
            "velocity": 2, "vertex": 2, "dvertex": 2}
#: one dtype per kind, so that each driver compiles for one signature only
DTYPE = {"omega": float, "eta_p": float, "gamma": float, "energy": float, "occupation": float, "dfde": float,
         "velocity": complex, "vertex": complex, "dvertex": complex}

PRELUDE = '''# Written by numeric/response/compiled.py from {origin} (sha256 {digest}). Do not edit.
import numba


@numba.njit(cache=True)
def _recip(x):
    """1/x where x != 0, else 0 (the referee's safe division), on one number."""
    if x == 0:
        return 0j
    return 1.0 / x
'''

_state = {"enabled": None, "modules": {}, "outputs": {}}


def available() -> bool:
    """Whether numba can be imported."""
    return importlib.util.find_spec("numba") is not None


def enabled() -> bool:
    """Whether the fast path runs the compiled form (default when numba is installed; ``PHONON_MOMENT_KERNELS=numpy``
    or :func:`use` selects the NumPy form)."""
    if _state["enabled"] is None:
        _state["enabled"] = os.environ.get("PHONON_MOMENT_KERNELS", "compiled").lower() != "numpy" and available()
    return _state["enabled"]


def loaded() -> bool:
    """Whether this process has loaded (or compiled) a compiled form already; forked processes inherit it."""
    return bool(_state["modules"])


def use(compiled: bool) -> bool:
    """Select the compiled (True) or the NumPy (False) form for this process; returns the previous choice."""
    previous = enabled()
    if compiled and not available():
        raise ImportError("the compiled kernels need numba (pip install numba)")
    _state["enabled"] = bool(compiled)
    return previous


def depth(kind, data) -> int:
    """The loop of the driver (over k, then damping set s, direction ℓ, pair P) inside which an argument varies:
    0 for band data at k (and ω), 1 for the damping rates, 2 for objects along ℓ (velocity, dV, the aligned A vertex),
    3 for objects carrying a displacement component (u or w) and hence a pair P. :func:`call` checks it on the shapes."""
    if kind in ("omega", "energy", "occupation", "dfde"):
        return 0
    if kind in ("eta_p", "gamma"):
        return 1
    if kind in ("vertex", "dvertex") and ("u" in data[0] or "w" in data[0]):
        return 3
    return 2


LOOPS = ("k", "s", "l", "p")


def _at(array, d):
    """The point (s, l, k, p) of an argument read at loop depth d: loops deeper than d index 0, and an axis of length
    1 (a value shared along it, NumPy's broadcasting) always 0, through the 0/1 strides ``<array>_b`` of the driver."""
    return ", ".join(f"{v} * {array}_b[{i}]" if i == 2 or LOOPS.index(v) <= d else "0"
                     for i, v in enumerate(("s", "l", "k", "p")))


def scalar_source(gen) -> str:
    """The point-by-point form of the generated module ``gen``: for each printed function a driver ``run_<name>``
    whose body is the function's own lines, each placed in the innermost loop it depends on (:func:`depth`), the
    unpacking lines indexing one point (``x[..., i, j]`` → ``x[s, l, k, p, i, j]``), small powers multiplied out
    (:class:`_PointForm`), and the returned values stored at (s, l, k, p) of ``out``. What depends on k alone
    (energy denominators, ``_recip``) is computed once per k, as the NumPy form computes it once per broadcast shape."""
    text = inspect.getsource(gen)
    parts = [PRELUDE.format(origin=gen.__name__, digest=hashlib.sha256(text.encode()).hexdigest())]
    for name, desc in gen.ARGUMENTS.items():
        parts.append(_driver(gen, name, desc))
    return "".join(parts)


def _driver(gen, name, desc) -> str:
    fn = ast.parse(inspect.getsource(getattr(gen, name))).body[0]
    level = {a: depth(kind, data) for a, kind, data in desc}
    blocks = [[] for _ in LOOPS]
    for st in fn.body:
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):          # the docstring
            continue
        if isinstance(st, ast.Return):
            values = st.value.elts if isinstance(st.value, ast.Tuple) else [st.value]
            for j, v in enumerate(values):
                blocks[3].append(f"out[{j}, s, l, k, p] = {ast.unparse(_PointForm().visit(v))}")
            continue
        target = st.targets[0].id
        value = st.value
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and value.value.id in level:
            d = level[value.value.id]                                             # unpacking: a[..., i] at its depth
            index = ", ".join(ast.unparse(e) for e in value.slice.elts[1:])             # drop the Ellipsis
            line = f"{target} = {value.value.id}[{_at(value.value.id, d)}, {index}]"
        else:
            used = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
            d = max((level[u] for u in used if u in level), default=0)
            line = f"{target} = {ast.unparse(_PointForm().visit(value))}"
        level[target] = d
        blocks[d].append(line)
    for a, kind, _ in desc:                  # scalars of the NumPy form that are arrays here (the damping rates)
        if TRAILING[kind] == 0 and kind != "omega":
            blocks[level[a]].insert(0, f"{a} = {a}_[{_at(a + '_', level[a])}]")
    names = [a + "_" if TRAILING[kind] == 0 and kind != "omega" else a for a, kind, _ in desc]
    args = ", ".join(names)
    lines = ["", "", "@numba.njit(cache=True)", f"def run_{name}(out, {args}):",
             f'    """{name} at every point (s, l, k, p) of ``out`` (nout, nset, 2, nk, P); each array argument has'
             f' length 1 or that length on each of these axes."""']
    for a, (_, kind, _) in zip(names, desc):
        if kind != "omega":
            lines.append(f"    {a}_b = (" + ", ".join(f"min({a}.shape[{i}], 2) - 1" for i in range(4)) + ")")
    bounds = {"k": "out.shape[3]", "s": "out.shape[1]", "l": "out.shape[2]", "p": "out.shape[4]"}
    for d, loop in enumerate(LOOPS):
        indent = "    " * (d + 1)
        lines.append(f"{indent}for {loop} in range({bounds[loop]}):")
        lines.extend(indent + "    " + line for line in blocks[d])
    return "\n".join(lines) + "\n"


class _PointForm(ast.NodeTransformer):
    """``x**n`` (integer 2 ≤ n ≤ 4) → ``x*x*…``, products as NumPy evaluates small integer powers (numba would call
    the general complex ``pow``, ten times slower)."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        n = node.right
        if isinstance(node.op, ast.Pow) and isinstance(n, ast.Constant) and type(n.value) is int and 2 <= n.value <= 4:
            if n.value == 4:                      # NumPy squares twice
                square = ast.BinOp(left=node.left, op=ast.Mult(), right=node.left)
                return ast.BinOp(left=square, op=ast.Mult(), right=square)
            product = node.left
            for _ in range(n.value - 1):
                product = ast.BinOp(left=product, op=ast.Mult(), right=node.left)
            return product
        return node


def _n_outputs(gen, name) -> int:
    """How many values the printed function ``name`` returns (read from its ``return`` line)."""
    key = (gen.__name__, name)
    if key not in _state["outputs"]:
        _state["outputs"][key] = _count_outputs(gen, name)
    return _state["outputs"][key]


def _count_outputs(gen, name) -> int:
    tree = ast.parse(inspect.getsource(getattr(gen, name)))
    ret = [node for node in ast.walk(tree) if isinstance(node, ast.Return)]
    if len(ret) != 1 or not isinstance(ret[0].value, ast.Tuple):
        raise RuntimeError(f"generated {name} does not end in one tuple return")
    return len(ret[0].value.elts)


def _cache_dir() -> str:
    base = os.environ.get("PHONON_MOMENT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "phonon-moment")
    for path in (base, os.path.join(tempfile.gettempdir(), f"phonon-moment-{os.getuid()}")):
        try:
            os.makedirs(path, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            continue
    raise OSError("no writable directory for the compiled kernels (set PHONON_MOMENT_CACHE)")


def module(gen):
    """The compiled form of the generated module ``gen`` (written on first use, imported once per process).

    The file name carries a hash of its text, and an existing file is never rewritten: numba's cache is keyed on the
    file's modification time, so two processes starting together must not touch it again."""
    if gen.__name__ in _state["modules"]:
        return _state["modules"][gen.__name__]
    text = scalar_source(gen)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    modname = f"pm_{gen.__name__.rsplit('.', 1)[-1]}_{digest}"
    path = os.path.join(_cache_dir(), modname + ".py")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod               # numba's cache rebuilds a function's environment from its module name
    spec.loader.exec_module(mod)
    _state["modules"][gen.__name__] = mod
    return mod


def _project_loops(Ul, V, Ur, out):
    """out[m, k] = Ul[k]^† V[m, k] Ur[k] for stacks of small matrices (m, nk, nb, nb): the band-basis projection of
    every vertex component (NumPy's batched matmul and einsum spend their time on per-matrix overhead at nb = 2, 3)."""
    nb = Ul.shape[1]
    tmp = np.empty((nb, nb), np.complex128)
    for m in range(V.shape[0]):
        for k in range(V.shape[1]):
            for a in range(nb):
                for j in range(nb):
                    acc = 0j
                    for b in range(nb):
                        acc += V[m, k, a, b] * Ur[k, b, j]
                    tmp[a, j] = acc
            for i in range(nb):
                for j in range(nb):
                    acc = 0j
                    for a in range(nb):
                        acc += np.conj(Ul[k, a, i]) * tmp[a, j]
                    out[m, k, i, j] = acc
    return out


def project(Ul, V, Ur):
    """⟨i|V|j⟩ = Ul^† V Ur at every k for V of shape (..., nk, nb, nb) (compiled; see :func:`_project_loops`)."""
    if "project" not in _state["modules"]:
        import numba
        _state["modules"]["project"] = numba.njit(cache=True)(_project_loops)
    V = np.asarray(V, complex)
    flat = np.ascontiguousarray(V).reshape((-1,) + V.shape[-3:])
    out = np.empty(flat.shape, complex)
    _state["modules"]["project"](np.ascontiguousarray(Ul, complex), flat, np.ascontiguousarray(Ur, complex), out)
    return out.reshape(V.shape)


def _combine_loops(W, to, frm, phase, Ul, Ur, ptr, col, coef, out):
    """out[l, k, p] = Σ_n coef[n] Ul[k]^† M_col[n](k) Ur[k] over n in ptr[l P + p] … ptr[l P + p + 1], where
    M_c(k) = Σ_bonds W[c, b] phase[k, b] |to_b⟩⟨frm_b| (the vertex whose bond coefficients are W[c]): every Bloch
    matrix built, projected and combined in one pass per k, with no (component, k, nb, nb) array in between."""
    J, nbonds = W.shape
    L, nk, P, nb = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    norb = Ul.shape[1]
    M = np.empty((norb, norb), np.complex128)
    tmp = np.empty((norb, nb), np.complex128)
    X = np.empty((J, nb, nb), np.complex128)
    for k in range(nk):
        for c in range(J):
            M[:, :] = 0
            for b in range(nbonds):
                M[to[b], frm[b]] += W[c, b] * phase[k, b]
            for a in range(norb):
                for j in range(nb):
                    acc = 0j
                    for b in range(norb):
                        acc += M[a, b] * Ur[k, b, j]
                    tmp[a, j] = acc
            for i in range(nb):
                for j in range(nb):
                    acc = 0j
                    for a in range(norb):
                        acc += np.conj(Ul[k, a, i]) * tmp[a, j]
                    X[c, i, j] = acc
        for l in range(L):
            for p in range(P):
                r = l * P + p
                for i in range(nb):
                    for j in range(nb):
                        acc = 0j
                        for n in range(ptr[r], ptr[r + 1]):
                            acc += coef[n] * X[col[n], i, j]
                        out[l, k, p, i, j] = acc
    return out


def combine(W, to, frm, phase, Ul, Ur, C):
    """Σ_c C[l, p, c] Ul^† M_c Ur at every k, shape (L, nk, P, nb, nb) for C of shape (L, P, ncomp): the vertices of
    bond coefficients W (ncomp, nbonds) summed with ``phase`` (nk, nbonds) into the matrix elements (``to``, ``frm``)
    of each bond, projected on the bands and combined (compiled; see :func:`_combine_loops`). Only the components
    that C uses are built."""
    if "combine" not in _state["modules"]:
        import numba
        _state["modules"]["combine"] = numba.njit(cache=True)(_combine_loops)
    C = np.asarray(C, complex)
    L, P = C.shape[:2]
    used = np.flatnonzero(np.any(C != 0, axis=(0, 1)))
    flat = C[:, :, used].reshape(L * P, len(used))
    rows, cols = np.nonzero(flat)                              # row-major: the terms of each output together
    ptr = np.searchsorted(rows, np.arange(L * P + 1))
    nb = Ul.shape[-1]
    out = np.empty((L, len(phase), P, nb, nb), complex)
    _state["modules"]["combine"](np.ascontiguousarray(np.asarray(W, complex)[used]), np.asarray(to, np.int64),
                                 np.asarray(frm, np.int64), np.ascontiguousarray(phase, complex),
                                 np.ascontiguousarray(Ul, complex), np.ascontiguousarray(Ur, complex),
                                 ptr.astype(np.int64), cols.astype(np.int64), np.ascontiguousarray(flat[rows, cols]), out)
    return out


def call(gen, name, args, shape):
    """The printed function ``name`` of ``gen`` on ``args`` (the NumPy form's arguments, in ``gen.ARGUMENTS`` order),
    evaluated point by point on the grid ``shape`` = (nset, 2[ℓ], nk, P). Returns its outputs, each of that shape."""
    desc = gen.ARGUMENTS[name]
    prepared = []
    for (arg, kind, data), value in zip(desc, args):
        value = np.asarray(value, DTYPE[kind])
        if kind == "omega":
            prepared.append(float(value))
            continue
        trailing = value.shape[value.ndim - TRAILING[kind]:]
        lead = value.shape[:value.ndim - TRAILING[kind]]
        if len(lead) > 4 or any(n not in (1, m) for n, m in zip(lead[::-1], shape[::-1])):
            raise RuntimeError(f"{name}: argument {arg} of shape {value.shape} does not broadcast to {shape}")
        lead = (1,) * (4 - len(lead)) + lead
        d = depth(kind, data)
        if (lead[0] > 1 and d < 1) or (lead[1] > 1 and d < 2) or (lead[3] > 1 and d < 3):
            raise RuntimeError(f"{name}: argument {arg} of shape {value.shape} varies in a loop outside its depth {d}")
        # one array type per argument (C-contiguous, writable, 4 + trailing axes): numba compiles each driver once
        prepared.append(np.require(value.reshape(lead + trailing), DTYPE[kind], ["C", "W"]))
    out = np.empty((_n_outputs(gen, name),) + tuple(shape), complex)
    getattr(module(gen), f"run_{name}")(out, *prepared)
    return tuple(out)
