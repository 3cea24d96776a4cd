"""Model files: a tight-binding model and its phonons in one TOML file (read with the standard library's ``tomllib``).

The schema (README.md, "Your own model"; energies eV, lengths Å, masses u, force constants eV/Å², charges e):

- ``name`` (string), optional ``source`` / ``description`` (strings: where the numbers come from), optional
  ``peierls`` ("equilibrium", the default, or "displaced"; CONVENTIONS.md §2);
- ``[lattice] vectors = [a1, a2]`` (Cartesian rows);
- ``[[atoms]]`` name, position, mass (> 0), charge (optional, default 0; the ionic moment's point charge);
- ``[[orbitals]]`` name, atom (an atom's name), onsite, position (optional: the Wannier centre, default the atom's
  position); several orbitals may sit on one atom and move with it;
- ``[[hoppings]]`` to, from, cell = [n1, n2], t (a number or [re, im]), beta (optional, default 0: −∂ln|t|/∂ln ℓ),
  length (optional, default the equilibrium bond length): the term t c†_to(0) c_from(R), R = n1 a1 + n2 a2 —
  PythTB's ``set_hop(t, to, from, R)`` and Wannier90's ⟨to, 0|H|from, R⟩. The Hermitian conjugate is implied and
  must not be listed; a hopping between two orbitals of one atom in one cell does not stretch (its beta is ignored);
- ``[phonons] shells = [[phi_r, phi_t], …]``: radial and tangential springs of the n-th distinct atom–atom distance
  (:mod:`numeric.model.phonons`).

For a hexagonal lattice (|a1| = |a2|, 60° or 120° apart) the named points G, K, M, Kp are computed from the reciprocal
vectors; otherwise only G is named. Every error names the key and the entry.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..validation import ParameterError
from .brillouin import uniform_grid
from .lattice import Lattice
from .phonons import ForceConstants, Phonons
from .tight_binding import Hopping, TightBindingModel

SHIPPED = Path(__file__).with_name("shipped")
"""The folder of the shipped model files (``phonon-moment models`` lists them)."""
SAME_PLACE = 1e-6
"""Å: two atoms closer than this (modulo lattice vectors) sit at one place."""
HEXAGONAL_RTOL = 1e-9
"""Relative tolerance on |a1| = |a2| and |cos(a1, a2)| = 1/2 for the hexagonal named points."""
UNSTABLE = 1e-8
"""Phonons are unstable when some ω² < −UNSTABLE · max ω² on the test grid, floppy when |ω²| ≤ UNSTABLE · max ω² at
some q ≠ Γ of it."""
STABILITY_GRID = 12
"""The stability test grid: STABILITY_GRID × STABILITY_GRID Γ-centred q-points."""

_TOP = {"name", "source", "description", "peierls", "lattice", "atoms", "orbitals", "hoppings", "phonons"}
_KEYS = {"lattice": ({"vectors"}, set()), "atoms": ({"name", "position", "mass"}, {"charge"}),
         "orbitals": ({"name", "atom", "onsite"}, {"position"}),
         "hoppings": ({"to", "from", "cell", "t"}, {"beta", "length"}), "phonons": ({"shells"}, set())}


@dataclass(frozen=True)
class ModelFile:
    """A model file's content: the electrons, the ions, and the file's own words.

    Attributes
    ----------
    model : TightBindingModel
        Orbitals on ``model.lattice``, the atoms on ``model.atoms``.
    phonons : Phonons
        On the atoms; ``phonons.force_constants.charges`` holds each atom's charge (e).
    name, source : str
    path : str
        Where it was read from.
    """

    model: TightBindingModel
    phonons: Phonons
    name: str
    source: str
    path: str


def shipped_models() -> dict:
    """{name: path} of the model files shipped with the package (``--model NAME``)."""
    return {p.stem: p for p in sorted(SHIPPED.glob("*.toml"))}


def resolve(name_or_path) -> Path:
    """The file of a shipped model's name, or the path itself."""
    shipped = shipped_models()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    path = Path(name_or_path)
    if not path.is_file():
        raise ParameterError(f"model {str(name_or_path)!r} is neither a shipped model ({', '.join(shipped)}) nor a "
                             "file: pass a shipped name or the path of a TOML model file.")
    return path


def read_model_file(name_or_path) -> ModelFile:
    """Read and check a model file (a shipped name or a path); see the module docstring for the schema."""
    path = resolve(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path}: not valid TOML ({exc}).") from None
    return parse_model(data, str(path))


def load_model(name_or_path):
    """The electronic model and its phonons from a model file (TOML; a shipped name such as "graphene-gapped" or a path).

    Returns
    -------
    (TightBindingModel, Phonons)
    """
    f = read_model_file(name_or_path)
    return f.model, f.phonons


# --------------------------------------------------------------------------------------------------
class _Reader:
    """Checks values and raises errors that name the file, the key and the entry."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, what: str, message: str):
        raise ParameterError(f"{self.where}: {what}: {message}")

    def table(self, data: dict, key: str, array: bool):
        if key not in data:
            self.fail(f"[{'[' if array else ''}{key}{']' if array else ''}]", "missing table: see the README's "
                      "model-file schema")
        value = data[key]
        if array and (not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value)):
            self.fail(f"[[{key}]]", "must be an array of tables with at least one entry")
        if not array and not isinstance(value, dict):
            self.fail(f"[{key}]", "must be a table")
        required, optional = _KEYS[key]
        for i, entry in enumerate(value if array else [value]):
            what = self.entry(key, i, entry) if array else f"[{key}]"
            unknown = sorted(set(entry) - required - optional)
            if unknown:
                self.fail(what, f"unknown key(s) {unknown}: allowed are {sorted(required | optional)}")
            missing = sorted(required - set(entry))
            if missing:
                self.fail(what, f"missing key(s) {missing}")
        return value

    @staticmethod
    def entry(key: str, i: int, entry: dict) -> str:
        label = entry.get("name") if isinstance(entry.get("name"), str) else None
        if key == "hoppings":
            label = f"to = {entry.get('to')!r}, from = {entry.get('from')!r}, cell = {entry.get('cell')!r}"
        return f"[[{key}]] entry {i + 1}" + (f" ({label})" if label else "")

    def number(self, what: str, key: str, value, *, complex_ok: bool = False) -> complex | float:
        if complex_ok and isinstance(value, list) and len(value) == 2:
            re, im = (self.number(what, key, v) for v in value)
            return complex(re, im)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(what, f"{key} must be a number{' or [re, im]' if complex_ok else ''}, got {value!r}")
        if not math.isfinite(value):
            self.fail(what, f"{key} must be finite, got {value!r}")
        return float(value)

    def vector(self, what: str, key: str, value, n: int = 2, *, integer: bool = False) -> np.ndarray:
        if not isinstance(value, list) or len(value) != n:
            self.fail(what, f"{key} must be a list of {n} numbers, got {value!r}")
        if integer and not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            self.fail(what, f"{key} must be {n} integers, got {value!r}")
        return np.array([self.number(what, key, v) for v in value])

    def name(self, what: str, value, taken: dict, kind: str) -> str:
        """A new name of a ``kind`` (atom, orbital): a non-empty string not yet in ``taken``."""
        if not isinstance(value, str) or not value:
            self.fail(what, f"name must be a non-empty string, got {value!r}")
        if value in taken:
            self.fail(what, f"{kind} name {value!r} is used twice")
        return value


def _named_points(vectors: np.ndarray) -> dict:
    """G always; K, M, Kp = −K for a hexagonal lattice (K a zone corner, M the midpoint of a zone edge)."""
    points = {"G": np.zeros(2)}
    a1, a2 = vectors
    n1, n2 = np.linalg.norm(a1), np.linalg.norm(a2)
    cos = a1 @ a2 / (n1 * n2)
    if abs(n1 - n2) <= HEXAGONAL_RTOL * n1 and abs(abs(cos) - 0.5) <= HEXAGONAL_RTOL:
        b1, b2 = 2 * np.pi * np.linalg.inv(vectors).T
        if b1 @ b2 < 0:                      # b's 120° apart (a's 60°)
            K, M = (2 * b1 + b2) / 3, (b1 + b2) / 2
        else:                                # b's 60° apart (a's 120°)
            K, M = (b1 + b2) / 3, b1 / 2
        points.update(K=K, Kp=-K, M=M)
    return points


def parse_model(data: dict, where: str = "model") -> ModelFile:
    """A :class:`ModelFile` from the parsed TOML ``data``; ``where`` names it in error messages."""
    r = _Reader(where)
    unknown = sorted(set(data) - _TOP)
    if unknown:
        r.fail("top level", f"unknown key(s) {unknown}: allowed are {sorted(_TOP)}")
    for key in ("name", "source", "description"):
        if key in data and not isinstance(data[key], str):
            r.fail(key, f"must be a string, got {data[key]!r}")
    peierls = data.get("peierls", "equilibrium")
    if peierls not in ("equilibrium", "displaced"):
        r.fail("peierls", f"must be 'equilibrium' or 'displaced', got {peierls!r}")

    lattice = r.table(data, "lattice", array=False)
    vectors = lattice["vectors"]
    if not isinstance(vectors, list) or len(vectors) != 2:
        r.fail("[lattice]", f"vectors must be two 2-vectors [a1, a2], got {vectors!r}")
    vectors = np.array([r.vector("[lattice]", "vectors", v) for v in vectors])
    if abs(np.linalg.det(vectors)) < 1e-9:
        r.fail("[lattice]", "vectors are not independent (zero cell area)")

    atoms = r.table(data, "atoms", array=True)
    atom_index, atom_pos, masses, charges = {}, [], [], []
    for i, a in enumerate(atoms):
        what = r.entry("atoms", i, a)
        name = r.name(what, a["name"], atom_index, "atom")
        pos = r.vector(what, "position", a["position"])
        mass = r.number(what, "mass", a["mass"])
        if not mass > 0:
            r.fail(what, f"mass must be > 0 (u), got {mass!r}")
        frac = np.linalg.solve(vectors.T, pos)
        for other, j in atom_index.items():
            df = frac - np.linalg.solve(vectors.T, atom_pos[j])
            if np.linalg.norm((df - np.round(df)) @ vectors) < SAME_PLACE:
                r.fail(what, f"atom {name!r} sits at the place of atom {other!r} (modulo lattice vectors)")
        atom_index[name] = len(atom_pos)
        atom_pos.append(pos)
        masses.append(mass)
        charges.append(r.number(what, "charge", a.get("charge", 0.0)))

    orbitals = r.table(data, "orbitals", array=True)
    orb_index, orb_pos, onsite, owner = {}, [], [], []
    for i, o in enumerate(orbitals):
        what = r.entry("orbitals", i, o)
        name = r.name(what, o["name"], orb_index, "orbital")
        if o["atom"] not in atom_index:
            r.fail(what, f"atom {o['atom']!r} is not an atom's name: use one of {list(atom_index)}")
        a = atom_index[o["atom"]]
        orb_index[name] = len(orb_pos)
        orb_pos.append(r.vector(what, "position", o["position"]) if "position" in o else atom_pos[a])
        onsite.append(r.number(what, "onsite", o["onsite"]))
        owner.append(a)

    hops, seen = [], {}
    orb_pos = np.array(orb_pos)
    for i, h in enumerate(r.table(data, "hoppings", array=True)):
        what = r.entry("hoppings", i, h)
        for key in ("to", "from"):
            if h[key] not in orb_index:
                r.fail(what, f"{key} = {h[key]!r} is not an orbital's name: use one of {list(orb_index)}")
        to, frm = orb_index[h["to"]], orb_index[h["from"]]
        cell = tuple(int(x) for x in r.vector(what, "cell", h["cell"], integer=True))
        key, conjugate = (to, frm, cell), (frm, to, (-cell[0], -cell[1]))
        if key == conjugate:
            r.fail(what, "a hopping from an orbital to itself in its own cell is an on-site energy: set the "
                         "orbital's onsite instead")
        for k, word in ((key, "given twice"), (conjugate, "the Hermitian conjugate of")):
            if k in seen:
                r.fail(what, f"this hopping is {word} {seen[k]} (the conjugate is implied: list each bond once)")
        seen[key] = what
        t = r.number(what, "t", h["t"], complex_ok=True)
        beta = r.number(what, "beta", h.get("beta", 0.0))
        d = orb_pos[to] - (np.array(cell) @ vectors + orb_pos[frm])
        rigid = owner[to] == owner[frm] and cell == (0, 0)
        length = r.number(what, "length", h["length"]) if "length" in h else float(np.linalg.norm(d))
        if not rigid and not length > 0:
            r.fail(what, f"the bond length must be > 0, got {length!r} (orbitals of two atoms at one place?)")
        hops.append(Hopping(to, frm, cell, t, length, beta))
        hops.append(Hopping(frm, to, conjugate[2], complex(t).conjugate(), length, beta))

    shells = r.table(data, "phonons", array=False)["shells"]
    if not isinstance(shells, list) or not shells:
        r.fail("[phonons]", f"shells must be a non-empty list of [phi_r, phi_t] pairs (eV/Å²), got {shells!r}")
    shells = tuple(tuple(float(x) for x in r.vector(f"[phonons] shell {n + 1}", "shells", s))
                   for n, s in enumerate(shells))

    points = _named_points(vectors)
    atom_lattice = Lattice(vectors, np.array(atom_pos), tuple(atom_index), points)
    orb_lattice = Lattice(vectors, orb_pos, tuple(orb_index), points)
    model = TightBindingModel(orb_lattice, np.array(onsite), tuple(hops), peierls, atoms=atom_lattice,
                              orbital_atom=tuple(owner))
    phonons = Phonons(atom_lattice, ForceConstants(shells, tuple(masses), tuple(charges)))
    _check_stability(phonons, r)
    return ModelFile(model, phonons, data.get("name", Path(where).stem), data.get("source", ""), where)


def _check_stability(phonons: Phonons, r: _Reader) -> None:
    """Unstable (some ω² < 0) or floppy (zero modes away from Γ) force constants are an error of [phonons]."""
    q, _ = uniform_grid(phonons.lattice, STABILITY_GRID)
    w2 = np.linalg.eigvalsh(phonons.dynamical_matrix(q))            # (nq, nmodes), eV/(Å² u)
    scale = np.abs(w2).max()
    if w2.min() < -UNSTABLE * scale:
        i = int(np.argmin(w2.min(axis=1)))
        r.fail("[phonons]", f"unstable: ω² = {w2.min():.3e} < 0 at q = {np.round(q[i], 4).tolist()} 1/Å (max ω² "
                            f"{scale:.3e}): the springs do not hold the lattice; check the shells' signs")
    floppy = np.abs(w2[1:]).min(axis=1) <= UNSTABLE * scale
    if floppy.any():
        i = 1 + int(np.argmax(floppy))
        r.fail("[phonons]", f"floppy: a zero mode at q = {np.round(q[i], 4).tolist()} 1/Å ≠ Γ: the springs do not "
                            "connect every atom to the lattice; add shells")
