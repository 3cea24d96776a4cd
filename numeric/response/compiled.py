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
:func:`project` (the band-basis projections of the vertices) and :func:`combine` (the kernels' vertex arguments:
Bloch sums, projections and the layout's combinations in one pass per k) are compiled the same way.

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

TERMS_KEPT = 256          # sparse forms of the layouts' coefficient maps kept (:func:`_terms`)

_state = {"enabled": None, "modules": {}, "outputs": {}, "elements": {}, "terms": {}}


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


def _combine_loops(WT, element, left, right, phase, Ul, Ur, ptr, col, coef, out):
    """out[l, k, p] = Σ_n coef[n] X_col[n](k) over n in ptr[r] … ptr[r + 1] (r = l P + p), where
    X_c(k) = Ul[k]^† M_c(k) Ur[k] and M_c(k) = Σ_bonds WT[b, c] phase[k, b] |left_e⟩⟨right_e| (e = element[b]): the
    band-basis vertex whose bond coefficients are WT[:, c]. Per k: the nb² products conj(Ul) Ur of each nonzero matrix
    element e once, then every vertex as a sum over its elements, with the vertices on the innermost loop (independent
    sums, no chain of dependent additions); no (component, k, nb, nb) array in between."""
    nbonds, J = WT.shape
    ne = left.shape[0]
    L, nk, P, nb = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    nb2 = nb * nb
    K = np.empty((ne, nb2), np.complex128)
    M = np.empty((ne, J), np.complex128)
    X = np.empty((nb2, J), np.complex128)
    o = out.reshape(L, nk, P, nb2)
    for k in range(nk):
        for e in range(ne):
            for i in range(nb):
                bra = np.conj(Ul[k, left[e], i])
                for j in range(nb):
                    K[e, i * nb + j] = bra * Ur[k, right[e], j]
        M[:, :] = 0
        for b in range(nbonds):
            ph = phase[k, b]
            e = element[b]
            for c in range(J):
                M[e, c] += WT[b, c] * ph
        X[:, :] = 0
        for e in range(ne):
            for x in range(nb2):
                kx = K[e, x]
                for c in range(J):
                    X[x, c] += kx * M[e, c]
        for l in range(L):
            for p in range(P):
                r = l * P + p
                if ptr[r + 1] == ptr[r] + 1:                 # one term: a copy with its sign (most outputs)
                    cr, cc = coef[ptr[r]], col[ptr[r]]
                    for x in range(nb2):
                        o[l, k, p, x] = cr * X[x, cc]
                else:
                    for x in range(nb2):
                        acc = 0j
                        for n in range(ptr[r], ptr[r + 1]):
                            acc += coef[n] * X[x, col[n]]
                        o[l, k, p, x] = acc
    return out


class Workspace:
    """Complex output arrays carved from blocks of :data:`BLOCK` bytes that are recycled once no array in them is
    alive. A Λ(q) lays out some 30 MB of kernel arguments at nk = 48² (more with nk); fresh from the system, that
    memory costs a page fault per 4 KiB, which took longer than computing the arguments. Recycled blocks are already
    mapped; new ones are large enough for NumPy to ask for huge pages (madvise, from 4 MiB). Arrays below :data:`SMALL`
    bytes are allocated on their own. The blocks of all workspaces form one pool of at most :data:`POOL` bytes."""

    BLOCK = 32 << 20
    SMALL = 256 << 10
    POOL = 256 << 20
    _pool = []                       # every block, free or not; a block is free when the pool holds its only reference

    def __init__(self):
        self._block, self._used = np.empty(0, complex), 0

    def empty(self, shape) -> np.ndarray:
        """An uninitialized complex array of this shape."""
        n = int(np.prod(shape))
        if 16 * n < self.SMALL:
            return np.empty(shape, complex)
        if self._used + n > len(self._block):
            self._block, self._used = self._take(max(n, self.BLOCK // 16)), 0
        out = self._block[self._used:self._used + n].reshape(shape)
        self._used += -(-n // 4) * 4                           # the next array on a 64-byte boundary
        return out

    #: whether a block's reference count tells that no view of it is alive: CPython before 3.14 (3.14 skips some
    #: reference-count updates, so sys.getrefcount may read low), and not the free-threaded build; else no recycling
    RECYCLE = (sys.implementation.name == "cpython" and sys.version_info < (3, 14)
               and getattr(sys, "_is_gil_enabled", lambda: True)())

    @classmethod
    def _take(cls, n):
        """A free block of at least n entries from the pool, or a new one (pooled while the pool has room)."""
        if not cls.RECYCLE:
            return np.empty(n, complex)
        for block in cls._pool:
            # referenced by the pool, ``block`` and getrefcount's argument only: no view of it is alive (views
            # keep their owner, the block, as their base), and no workspace is carving it
            if len(block) >= n and sys.getrefcount(block) == 3:
                return block
        block = np.empty(n, complex)
        if 16 * (n + sum(len(b) for b in cls._pool)) <= cls.POOL:
            cls._pool.append(block)
        return block


def _elements(to, frm, n):
    """(element of each bond, row and column of each element): the distinct matrix elements the bonds add to."""
    to, frm = np.asarray(to, np.int64), np.asarray(frm, np.int64)
    key = (to.tobytes(), frm.tobytes(), n)
    if key not in _state["elements"]:
        flat, element = np.unique(to * n + frm, return_inverse=True)
        _state["elements"][key] = (element.astype(np.int64), flat // n, flat % n)
    return _state["elements"][key]


def _terms(C):
    """(components C uses, and per output r = l P + p its terms ptr[r] … ptr[r + 1] as (column among those, coefficient)):
    C in the sparse form :func:`_combine_loops` reads, kept per C (a layout asks for the same few again and again)."""
    key = (C.shape, C.tobytes())
    if key not in _state["terms"]:
        if len(_state["terms"]) >= TERMS_KEPT:                 # one mode's C per q in a scan: do not keep them all
            _state["terms"].clear()
        L, P = C.shape[:2]
        used = np.flatnonzero(np.any(C != 0, axis=(0, 1)))
        flat = C[:, :, used].reshape(L * P, len(used))
        rows, cols = np.nonzero(flat)                          # row-major: the terms of each output together
        _state["terms"][key] = (used, np.searchsorted(rows, np.arange(L * P + 1)), cols, flat[rows, cols])
    return _state["terms"][key]


def combine(W, to, frm, phase, Ul, Ur, C, workspace=None):
    """Σ_c C[l, p, c] Ul^† M_c Ur at every k, shape (L, nk, P, nb, nb) for C of shape (L, P, ncomp): the vertices of
    bond coefficients W (ncomp, nbonds) summed with ``phase`` (nk, nbonds) into the matrix elements (``to``, ``frm``)
    of each bond, projected on the bands and combined (compiled; see :func:`_combine_loops`). Only the components
    that C uses are built. ``workspace``: a :class:`Workspace` for the result."""
    if "combine" not in _state["modules"]:
        import numba
        _state["modules"]["combine"] = numba.njit(cache=True)(_combine_loops)
    C = np.ascontiguousarray(C, complex)
    L, P = C.shape[:2]
    used, ptr, cols, coef = _terms(C)
    element, left, right = _elements(to, frm, Ul.shape[-2])
    shape = (L, len(phase), P, Ul.shape[-1], Ul.shape[-1])
    out = np.empty(shape, complex) if workspace is None else workspace.empty(shape)
    _state["modules"]["combine"](np.ascontiguousarray(np.asarray(W, complex)[used].T), element, left, right,
                                 np.ascontiguousarray(phase, complex), np.ascontiguousarray(Ul, complex),
                                 np.ascontiguousarray(Ur, complex), ptr, cols, coef, out)
    return out


def call(gen, name, args, shape):
    """The printed function ``name`` of ``gen`` on ``args`` (the NumPy form's arguments, in ``gen.ARGUMENTS`` order),
    evaluated point by point on the grid ``shape`` = (nset, 2[ℓ], nk, P). Returns its outputs, each of that shape."""
    desc = gen.ARGUMENTS[name]
    prepared = []
    for (arg, kind, data), value in zip(desc, args):
        if kind == "omega":
            if np.ndim(value) or not np.isrealobj(value):
                raise RuntimeError(f"{name}: the compiled form takes one real ω, got {value!r}; use the NumPy form")
            prepared.append(float(value))
            continue
        value = np.asarray(value, DTYPE[kind])
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
