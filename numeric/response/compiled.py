"""The compiled form of the generated Eq. (4) kernels: the same printed source, run point by point under numba.

The kernels of ``generated/eq4_n{N}.py`` are printed for NumPy: every line of the common-subexpression chain is an
array operation over (damping sets, ℓ, k, pairs), which allocates and sweeps a temporary, so a Λ(q) runs at memory
speed. Their arithmetic is elementwise, so the same text also evaluates one point at a time once its unpacking lines
``e0_k = e_k[..., 0]`` index a single point's arrays (``e_k[0]``). This module makes that form mechanically from the
printed functions (:func:`scalar_source`: the unpacking rewritten, ``_recip`` on a scalar, one driver per function that
loops over every point and calls the kernel), writes it once per generated source into a cache directory, and
compiles it with ``numba.njit(cache=True)``: the first call in a fresh environment compiles (seconds; measured by
tests/benchmarks/bench_generated.py), later processes load the machine code from numba's cache beside that file.

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

DRIVER = '''

@numba.njit(cache=True)
def run_{name}(out, {args}):
    """{name} at every point (s, l, k, p) of ``out`` (nout, nset, 2, nk, P); array arguments broadcast to that grid."""
    for s in range(out.shape[1]):
        for l in range(out.shape[2]):
            for k in range(out.shape[3]):
                for p in range(out.shape[4]):
                    r = {name}({call})
{stores}
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


def use(compiled: bool) -> bool:
    """Select the compiled (True) or the NumPy (False) form for this process; returns the previous choice."""
    previous = enabled()
    if compiled and not available():
        raise ImportError("the compiled kernels need numba (pip install numba)")
    _state["enabled"] = bool(compiled)
    return previous


def scalar_source(gen) -> str:
    """The point-by-point form of the generated module ``gen``: each printed function with its unpacking lines
    indexing one point (``x[..., i, j]`` → ``x[i, j]``), decorated with ``numba.njit``, plus its driver ``run_<name>``."""
    text = inspect.getsource(gen)
    parts = [PRELUDE.format(origin=gen.__name__, digest=hashlib.sha256(text.encode()).hexdigest())]
    for name, desc in gen.ARGUMENTS.items():
        tree = _PointForm().visit(ast.parse(inspect.getsource(getattr(gen, name))))
        parts.append("\n\n@numba.njit(cache=True)\n" + ast.unparse(ast.fix_missing_locations(tree)) + "\n")
        names = [d[0] for d in desc]
        call = ", ".join(a if kind == "omega" else f"{a}[s, l, k, p]" for a, kind, _ in desc)
        nout = _n_outputs(gen, name)
        stores = "\n".join(f"                    out[{j}, s, l, k, p] = r[{j}]" for j in range(nout))
        parts.append(DRIVER.format(name=name, args=", ".join(names), call=call, stores=stores))
    return "".join(parts)


class _PointForm(ast.NodeTransformer):
    """``a[..., i, j]`` → ``a[i, j]``; ``x**n`` (integer 2 ≤ n ≤ 4) → ``x*x*…``, which is how NumPy evaluates small
    integer powers (numba would call the general complex ``pow``, ten times slower)."""

    def visit_Subscript(self, node):
        self.generic_visit(node)
        index = node.slice
        if isinstance(index, ast.Tuple) and index.elts and isinstance(index.elts[0], ast.Constant) \
                and index.elts[0].value is Ellipsis:
            rest = index.elts[1:]
            node.slice = rest[0] if len(rest) == 1 else ast.Tuple(elts=rest, ctx=ast.Load())
        return node

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


def call(gen, name, args, shape):
    """The printed function ``name`` of ``gen`` on ``args`` (the NumPy form's arguments, in ``gen.ARGUMENTS`` order),
    evaluated point by point on the grid ``shape`` = (nset, 2[ℓ], nk, P). Returns its outputs, each of that shape."""
    desc = gen.ARGUMENTS[name]
    prepared = []
    for (_, kind, _), value in zip(desc, args):
        value = np.asarray(value, DTYPE[kind])
        if kind == "omega":
            prepared.append(float(value))
            continue
        trailing = value.shape[value.ndim - TRAILING[kind]:] if TRAILING[kind] else ()
        prepared.append(np.broadcast_to(value, tuple(shape) + trailing))
    out = np.empty((_n_outputs(gen, name),) + tuple(shape), complex)
    getattr(module(gen), f"run_{name}")(out, *prepared)
    return tuple(out)
