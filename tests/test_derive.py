"""derive/ (SymPy derivation of Eq. 5 and Eq. 3), generated/ (printed NumPy kernels) and numeric/response/fast.py.

The kernels only tests evaluate (theta_n{N}.py, theta_dq0_n{N}.py) are not committed: tests/conftest.py's ``printed``
prints them into a temporary directory, once per session, together with the fresh generated/ of the drift test.

Expected values come from the referee (numeric/response/direct.py), from sympy.lambdify of the same expressions, and from
substituting the solution back into the typed equation of motion.
"""

import ast
import importlib
import os
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from derive import codegen
from derive.__main__ import GENERATED, UPDATE, diff, main
from derive.density_matrix import FREQUENCY, OBSERVABLES, DensityMatrixTemplate, eta_p, kernels, omega
from derive.q0_expansion import kernels_q0
from numeric.response.damping import rates_from_paper
from numeric.response.direct import Problem, response_functions, uniform_problem
from numeric.response.fast import JOINT, _kernels, theta_generated
from numeric.model.honeycomb import honeycomb_model
from numeric.model.lattice import Lattice
from numeric.model.tight_binding import Hopping, TightBindingModel
from referee_values import omega_top

AGREE = 1e-10            # relative to max|θ| on the set: generated vs referee
LAMBDIFY = 1e-12         # generated vs lambdify of the same expression
NK = 12
POINTS = [                # (ω, q, q₀)
    (0.19, (0.31, 0.17), (0.02, -0.01)),
    (-0.12, (-0.40, 0.25), (-0.013, 0.007)),
    (0.05, (2.0 * np.pi / (3 * 1.42), 2.0 * np.pi / (3 * np.sqrt(3) * 1.42)), (0.003, 0.001)),   # q = K
    (0.21, (0.10, -0.33), (0.0, 0.0)),
]
DAMPING = [(0.04, 0.03, 0.05), (0.04, 0.04, 0.04), (0.02, 0.0, 0.0)]     # paper's (η_p, η_c, η_v), eV


# ------------------------------------------------------------------------------------------------
# (a) the committed generated/ files are what the derivation prints
# ------------------------------------------------------------------------------------------------
def _require_pinned_sympy():
    """The printed text depends on the SymPy version: with another one installed, skip locally, fail under CI."""
    if sp.__version__ != codegen.SYMPY_VERSION:
        reason = (f"generated text depends on the SymPy version: installed {sp.__version__}, pinned "
                  f"{codegen.SYMPY_VERSION} (pyproject.toml); the numeric tests still run")
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI: {reason}; install sympy=={codegen.SYMPY_VERSION}")
        pytest.skip(reason)


@pytest.fixture
def fresh(printed):
    """generated/ as the derivation prints it now (tests/conftest.py, once per session), with the pinned SymPy."""
    _require_pinned_sympy()
    return printed.generated


def test_generated_files_are_up_to_date(fresh):
    """Byte for byte, and the same list of files."""
    d = diff(fresh, GENERATED)
    assert not d, f"generated/ is stale; run `{UPDATE}` and commit the result.\n{d}"


def test_stale_files_are_reported_with_a_diff(fresh, tmp_path):
    stale = tmp_path / "generated"
    shutil.copytree(GENERATED, stale, ignore=shutil.ignore_patterns("__pycache__"))
    path = stale / "eq4_n2.py"
    path.write_text(path.read_text().replace("def theta3(", "def theta3_edited("))
    (stale / "extra.py").write_text("")
    (stale / "__init__.py").write_bytes((fresh / "__init__.py").read_bytes().replace(b"\n", b"\r\n"))
    d = diff(fresh, stale)
    assert "-def theta3_edited(" in d and "+def theta3(" in d and "-extra.py" in d
    assert "__init__.py" in d                                # a line-ending change is a change


def test_a_different_sympy_fails_under_ci_and_skips_locally(monkeypatch):
    monkeypatch.setattr(codegen, "SYMPY_VERSION", "0.0.1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI: generated text depends on the SymPy version"):
        _require_pinned_sympy()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _require_pinned_sympy()


def test_pyproject_pins_the_sympy_version_derive_records():
    """pyproject.toml's sympy==X is derive/codegen.py's SYMPY_VERSION, and the committed generated/ names it."""
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    pins = [d.replace(" ", "") for d in project["dependencies"] if d.replace(" ", "").lower().startswith("sympy")]
    assert pins == [f"sympy=={codegen.SYMPY_VERSION}"]
    for path in sorted(GENERATED.glob("*.py")):
        assert f"with SymPy {codegen.SYMPY_VERSION}." in path.read_text().splitlines()[0], path


def test_write_removes_files_it_no_longer_prints(tmp_path):
    """A kernel dropped from the derivation does not linger in generated/; files derive did not print stay."""
    from derive.__main__ import write

    write(tmp_path, {"a.py": codegen.HEADER, "b.py": codegen.HEADER})
    (tmp_path / "notes.txt").write_text("mine")
    write(tmp_path, {"a.py": codegen.HEADER})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "notes.txt"]


def test_check_command_exit_codes(monkeypatch, tmp_path, capsys):
    """`python -m derive --check` exits 1 with the diff on a stale directory (the build is stubbed for speed)."""
    import derive.generate

    monkeypatch.setattr(derive.generate, "build_files", lambda: {"a.py": "x = 1\n"})
    (tmp_path / "a.py").write_text("x = 1\n")
    assert main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "a.py").write_text("x = 2\n")
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "-x = 2" in capsys.readouterr().out


def test_generated_header_and_no_timestamp():
    for path in GENERATED.glob("*.py"):
        text = path.read_text()
        assert text.startswith("# Generated by phonon-moment derive (python -m derive) with SymPy "), path
        assert not any(w in text.lower() for w in ("2024", "2025", "2026", "timestamp")), path


def _printed_modules(printed):
    return sorted(GENERATED.glob("*.py")) + sorted(printed.kernels.glob("*.py"))


def test_printed_lines_fit_and_kernels_state_their_operation_count(printed):
    """Every printed line ≤ codegen.WIDTH characters; every kernel's docstring ends with its operation count."""
    for path in _printed_modules(printed):
        text = path.read_text()
        long = [n + 1 for n, line in enumerate(text.splitlines()) if len(line) > codegen.WIDTH]
        assert not long, f"{path.name}: lines {long[:10]} longer than {codegen.WIDTH}"
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                last = ast.get_docstring(node).splitlines()[-1]
                assert last.startswith("Total ops: ") and int(last.split()[2]) > 0, (path.name, node.name)


def test_wrapped_statements_are_the_same_code():
    """codegen.wrap_statement breaks only between tokens inside parentheses: the AST is unchanged."""
    a, b, c, d = sp.symbols("a b c d")
    terms = sum(sp.Symbol(f"V_u_{i:02d}_kpq") * sp.Symbol(f"x{i}") * (a - b) ** 2 for i in range(40))
    expr = a * codegen.RECIP(b + c) * terms ** 3 / (c + d * terms) - sp.exp(d) * (b + terms)
    text = NumPyPrinter({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": True}).doprint(expr)
    for head, tail in (("    x1 = ", ""), ("    return (", ",)"), ("def f(", "):")):
        body = ", ".join(f"arg{i}" for i in range(60)) if head.startswith("def") else text
        lines = codegen.wrap_statement(head, body, tail)
        assert len(lines) > 3 and max(map(len, lines)) <= codegen.WIDTH
        code = "\n".join(lines) + ("\n    pass" if head.startswith("def") else "")
        single = head + body + tail + ("\n    pass" if head.startswith("def") else "")
        assert ast.dump(ast.parse(code.strip())) == ast.dump(ast.parse(single.strip()))


# ------------------------------------------------------------------------------------------------
# the derivation itself
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nbands", [2, 3])
def test_solution_satisfies_the_typed_equation_of_motion(nbands):
    """Substituting each solved ρ_S back into Eq. (5) (with the solved lower orders) leaves zero."""
    tpl = DensityMatrixTemplate(nbands)
    for S in [("u",), ("w",), ("A",), ("u", "w"), ("w", "A")]:
        rho = tpl.solve_with(S, (0, 0), tpl.lower_rho_symbol)        # lower orders as symbols: a short check
        eq, X = tpl.equation(S, (0, 0), tpl.lower_rho_symbol)
        residual = eq.xreplace({X[n, m]: rho[n, m] for n in range(nbands) for m in range(nbands)})
        assert residual.shape == (nbands, nbands)
        for n in range(nbands):
            for m in range(nbands):
                assert sp.cancel(sp.together(residual[n, m])) == 0, (S, n, m)


def test_first_order_denominator_is_derived_not_typed():
    """ρ_u[n,m] = (f_m(k−q) − f_n(k)) V_nm / (Ω_u − ε_n(k) + ε_m(k−q) + i(γ_n + γ_m)) (CONVENTIONS.md §1)."""
    tpl = DensityMatrixTemplate(2)
    rho = tpl.solve(("u",))
    for n in range(2):
        for m in range(2):
            expected = ((tpl.occupation(m, (-1, 0)) - tpl.occupation(n, (0, 0))) * tpl.vertex(("u",), (0, 0))[n, m]
                        / (FREQUENCY["u"] - tpl.energy(n, (0, 0)) + tpl.energy(m, (-1, 0))
                           + sp.I * (tpl.gamma(n) + tpl.gamma(m))))
            assert sp.simplify(rho[n, m] - expected) == 0


def test_n3_template_shapes():
    th, tpl = kernels(3)
    assert set(th) == set(OBSERVABLES)
    for S in [("u",), ("w",), ("A",), ("u", "w"), ("w", "A")]:
        assert tpl.rho[(S, (0, 0))].shape == (3, 3)
    free = th["theta1"][0].free_symbols
    energies = {s for s in free if s in tpl.symbol_info and tpl.symbol_info[s][0] == "energy"}
    assert len(energies) == 3 * 4                      # k, k+q₀, k−q, k+q+q₀
    assert omega in free and eta_p in free
    # θ³ (first order) is a sum over 3×3 band pairs of products ρ_w O
    assert all(s in tpl.symbol_info or s in (omega, eta_p) for s in free)


# ------------------------------------------------------------------------------------------------
# (c) the printed code evaluates the same expressions as sympy.lambdify
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["theta", "theta_dq0"])
@pytest.mark.parametrize("nbands", [2, 3])
def test_generated_equals_lambdify(printed, nbands, prefix):
    th, tpl = kernels(nbands) if prefix == "theta" else kernels_q0(nbands)
    gen = _kernels(prefix, nbands, printed.kernels)
    rng = np.random.default_rng(11 + nbands)
    npts = 7
    for name, exprs in th.items():
        desc, unpack = codegen.argument_groups(tpl, exprs)
        assert tuple(desc) == gen.ARGUMENTS[name]
        arrays, values = {}, {}
        for argname, kind, _data in desc:
            if kind == "omega":
                arrays[argname] = values[omega] = rng.normal() * 0.3
            elif kind == "eta_p":
                arrays[argname] = values[eta_p] = 0.01 + rng.random() * 0.05
            elif kind == "gamma":
                arrays[argname] = rng.random(nbands) * 0.03
            elif kind in ("energy", "occupation", "dfde"):
                arrays[argname] = rng.normal(size=(npts, nbands))
            else:
                arrays[argname] = rng.normal(size=(npts, nbands, nbands)) + 1j * rng.normal(size=(npts, nbands, nbands))
        for s, argname, index in unpack:
            if index is not None:
                values[s] = arrays[argname][(Ellipsis,) + index]
        out = getattr(gen, name)(*[arrays[d[0]] for d in desc])
        syms = list(values)
        for got, expr in zip(out, exprs):
            ref = sp.lambdify(syms, expr, "numpy")(*[values[s] for s in syms])
            np.testing.assert_allclose(got, ref, rtol=LAMBDIFY, atol=LAMBDIFY * np.abs(ref).max(), err_msg=name)


@pytest.mark.parametrize("nbands", [2, 3])
def test_eq4_kernels_print_the_same_expressions(printed, nbands):
    """generated/eq4_n{N}.py (the fast path's kernels) = (θ, ∂_{q₀}∂_ω θ) of theta_dq0_n{N}.py at random inputs."""
    eq4 = importlib.import_module(f"generated.eq4_n{nbands}")
    dq0 = _kernels("theta_dq0", nbands, printed.kernels)
    rng = np.random.default_rng(5)
    for name, desc in eq4.ARGUMENTS.items():
        if name == "theta2_poles":                          # a different form of theta2: the next test
            continue
        targets = JOINT.get(name, (name,))                  # theta1_split: three pieces at once
        arrays = {}
        for argname, kind, _ in [d for t in targets for d in dq0.ARGUMENTS[t]]:
            if argname in arrays:
                continue
            if kind in ("omega", "eta_p"):
                arrays[argname] = 0.01 + rng.random() * 0.2
            elif kind == "gamma":
                arrays[argname] = rng.random(nbands) * 0.03
            elif kind in ("energy", "occupation", "dfde"):
                arrays[argname] = rng.normal(size=(5, nbands))
            else:
                arrays[argname] = rng.normal(size=(5, nbands, nbands)) + 1j * rng.normal(size=(5, nbands, nbands))
        got = getattr(eq4, name)(*[arrays[d[0]] for d in desc])
        if name in JOINT:                                   # ∂_{q₀}∂_ω θ of each piece
            checks = [(g, target, 3) for g, target in zip(got, targets)]
        else:                                               # (θ, ∂_{q₀}∂_ω θ)
            checks = [(got[0], name, 0), (got[1], name, 3)]
        assert len(got) == len(checks)
        for g, target, index in checks:
            ref = getattr(dq0, target)(*[arrays[d[0]] for d in dq0.ARGUMENTS[target]])[index]
            np.testing.assert_allclose(g, ref, rtol=LAMBDIFY, atol=LAMBDIFY * np.abs(ref).max(), err_msg=target)


@pytest.mark.parametrize("nbands", [2, 3])
def test_theta2_pole_form_is_theta2(nbands):
    """theta2_poles (derive/poles.py) = theta2's ∂_{q₀ℓ}∂_ω θ² at random inputs and complex ω, and each printed pole is
    ε_n(k+q) − ε_m(k) + iη_p + i(γ_n + γ_m) for the bands POLES lists."""
    eq4 = importlib.import_module(f"generated.eq4_n{nbands}")
    rng = np.random.default_rng(11)
    arrays = {"eta_p": 0.05, "gamma": rng.random(nbands) * 0.03}
    for argname, kind, _ in eq4.ARGUMENTS["theta2"]:
        if kind in ("energy", "occupation", "dfde"):
            arrays[argname] = rng.normal(size=(5, nbands))
        elif kind not in arrays and kind != "omega":
            arrays[argname] = rng.normal(size=(5, nbands, nbands)) + 1j * rng.normal(size=(5, nbands, nbands))
    out = eq4.theta2_poles(*[arrays[d[0]] for d in eq4.ARGUMENTS["theta2_poles"]])
    table = eq4.POLES["theta2_poles"]
    poles, coefficients = out[:len(table["bands"])], out[len(table["bands"]):]
    g, e = arrays["gamma"], (arrays["e_kpq"], arrays["e_k"])
    for pole, (n, m) in zip(poles, table["bands"]):
        np.testing.assert_allclose(pole, e[0][:, n] - e[1][:, m] + 1j * (0.05 + g[n] + g[m]), rtol=1e-14)
    assert {b for b in table["bands"] if b[0] == b[1]} == {(n, n) for n in range(nbands)}
    for w in (0.13, 0.4 + 0.02j, -1.2 - 0.3j):
        ref = eq4.theta2(*[w if d[1] == "omega" else arrays[d[0]] for d in eq4.ARGUMENTS["theta2"]])[1]
        form = sum(c * np.prod([(w - p) ** -float(k) for p, k in zip(poles, ex)], axis=0)
                   for ex, c in zip(table["exponents"], coefficients))
        np.testing.assert_allclose(form, ref, rtol=LAMBDIFY, atol=LAMBDIFY * np.abs(ref).max())


def test_pole_expansion_of_a_toy_and_its_refusals():
    """pole_expansion collects products of pole factors without expanding their coefficients; it refuses ω outside
    denominators linear in ω."""
    from derive.poles import pole_expansion

    a, b, x, y = sp.symbols("a b x y")
    expr = a / (x - omega) ** 2 + b * (a + 1) / ((omega - x) * (y - omega)) + a * b
    poles, terms = pole_expansion(expr, omega)
    assert poles == sorted(poles, key=sp.default_sort_key) and set(poles) == {x, y}
    ix = poles.index(x)
    two = tuple(2 if j == ix else 0 for j in range(2))
    assert sp.simplify(terms[two] - a) == 0 and sp.simplify(terms[(1, 1)] + b * (a + 1)) == 0
    assert terms[(0, 0)] == a * b
    for bad in (omega * a / (x - omega), a / (x - omega**2)):
        with pytest.raises(ValueError):
            pole_expansion(bad, omega)


# ------------------------------------------------------------------------------------------------
# (b) generated θ's equal the referee
# ------------------------------------------------------------------------------------------------
def _compare(pb, kernels_dir, omega_, q, q0, domega=1.0):
    ref = response_functions(pb, omega_, q, q0, domega=domega)
    got = theta_generated(pb, omega_, q, q0, kernels=kernels_dir, domega=domega)
    for name in ("theta1", "theta2", "theta3"):
        for part in ("val", "der"):
            r, g = getattr(ref[name], part), getattr(got[name], part)
            assert g.shape == r.shape
            scale = np.abs(r).max()
            assert scale > 0
            np.testing.assert_allclose(g, r, rtol=0, atol=AGREE * scale, err_msg=f"{name}.{part} at {omega_, q, q0}")


@pytest.fixture(scope="module", params=[0.0, 0.3], ids=["tprime0", "tprime0.3"])
def honeycomb(request):
    return honeycomb_model(tprime=request.param)


@pytest.mark.parametrize("damping", DAMPING, ids=[str(d) for d in DAMPING])
@pytest.mark.parametrize("point", POINTS, ids=["generic", "generic2", "K", "q0=0"])
def test_generated_thetas_equal_the_referee(printed, honeycomb, damping, point):
    pb = uniform_problem(honeycomb, NK, rates_from_paper(*damping))
    _compare(pb, printed.kernels, *point)


def test_swapped_term_and_no_second_order_vertices(printed, honeycomb):
    pb = uniform_problem(honeycomb, NK, rates_from_paper(0.04, 0.03, 0.05), second_order_vertices=False)
    omega_, q, q0 = POINTS[0]
    _compare(pb, printed.kernels, -omega_, -np.asarray(q), q0, domega=-1.0)
    _compare(pb, printed.kernels, omega_, q, q0)


def test_finite_temperature_and_doping(printed, honeycomb):
    pb = uniform_problem(honeycomb, NK, rates_from_paper(0.04, 0.03, 0.05), mu=1.3, temperature=900.0)
    _compare(pb, printed.kernels, *POINTS[1])


def three_band_model():
    """A decorated honeycomb lattice: A, B and a third orbital C at the hexagon centre, all joined at distance a₀."""
    a0 = 1.42
    s3 = np.sqrt(3.0)
    lat = Lattice(a0 * np.array([[1.5, s3 / 2], [1.5, -s3 / 2]]), np.array([[0.0, 0.0], [a0, 0.0], [-a0, 0.0]]),
                  ("A", "B", "C"))
    t = {(0, 1): -2.8, (0, 2): -1.1, (1, 2): -0.7}
    hops = []
    for a in range(3):
        for b in range(3):
            if a == b:
                continue
            for R, _ in lat.neighbours(a, b, a0):
                hops.append(Hopping(a, b, tuple(int(x) for x in R), t[tuple(sorted((a, b)))], a0, 3.37))
    return TightBindingModel(lat, np.array([1.0, -1.0, 0.4]), tuple(hops))


def test_three_band_model_against_the_referee(printed):
    from numeric.model.brillouin import uniform_grid

    model = three_band_model()
    k, w = uniform_grid(model.lattice, 9)
    pb = Problem(model, k, w, rates_from_paper(0.04, 0.03, 0.05, nbands=3), mu=-0.5, temperature=3000.0)
    for point in POINTS[:2]:
        _compare(pb, printed.kernels, *point)


# ------------------------------------------------------------------------------------------------
# Stage 2: the q₀ → 0 rules (derive/q0_expansion.py), each against finite differences; Λ against the referee
# ------------------------------------------------------------------------------------------------
RULE_FD = 1e-7           # relative; central differences at h = 1e-5 (error ~h² ≈ 1e-10, rounding ~1e-11/h)
LAMBDA = 1e-8           # Λ and its routes, generated vs referee, each relative to its own max (observed ≤ 5e-10)
LAMBDA_SPLIT = 3e-7     # λ^A, λ^NA, λ^SS, λ^SJ, each relative to its own max: the referee's q₀ difference of the states
                        # (observed ≤ 9e-9 on the honeycomb, ≤ 3.4e-8 on the doped, hot three-band model, both in λ^SJ)
ROUNDING = 1e-12        # λ^SS + λ^SJ = λ^NA, relative to the larger part
H = 1e-5


def _rule_values(tpl, inputs, ell):
    """Numeric values (one k-point axis) of the base symbols the rules use, from numeric/response/fast.py's gatherer."""
    from derive import q0_expansion as qx

    def values(expr):
        out = {}
        for s in expr.free_symbols:
            if s == qx.delta:
                continue
            kind, data, index = tpl.symbol_info[s]
            if kind == "energy":
                arr = inputs.energy(data)
            elif kind == "occupation":
                arr = inputs.occupation(data)
            elif kind == "velocity":
                arr = inputs.velocity(data)[ell]
            elif kind == "dfde":
                arr = inputs.dfde(data)
            elif kind == "vertex":
                arr = inputs.vertex(*data)
            elif kind == "dvertex":
                arr = inputs.dvertex(*data)[ell]
            out[s] = arr[(Ellipsis,) + index]
        return out
    return values


def _first_order(expr):
    from derive.q0_expansion import delta
    return sp.diff(expr, delta)


def _eval(expr, vals):
    syms = list(vals)
    return sp.lambdify(syms, expr, "numpy")(*[vals[s] for s in syms])


def _gauge_fixed(U, U0):
    """Columns of U rephased so that ⟨n, base|n⟩ is real positive (the parallel-transport gauge to first order)."""
    ov = np.einsum("kin,kin->kn", np.conj(U0), U)
    return U * (np.conj(ov) / np.abs(ov))[:, None, :]


@pytest.fixture(scope="module")
def rule_setup():
    from numeric.response.fast import _Inputs

    model = honeycomb_model(tprime=0.3)
    pb = uniform_problem(model, 4, rates_from_paper(0.04, 0.03, 0.05), mu=0.4, temperature=2000.0)
    q = np.array([0.31, 0.17])
    return pb, q, _Inputs(pb, q, np.zeros(2))


def _rule_case(rule_setup, ell):
    """(problem, q, inputs at q₀ = 0, a fresh template, its symbol values along ℓ, the step H ê_ℓ)."""
    pb, q, base = rule_setup
    tpl = DensityMatrixTemplate(2)
    return pb, q, base, tpl, _rule_values(tpl, base, ell), np.eye(2)[ell] * H


@pytest.mark.parametrize("ell", [0, 1])
def test_energy_and_occupation_rules(rule_setup, ell):
    from derive import q0_expansion as qx
    from numeric.response.fast import _Inputs

    pb, q, base, tpl, values, e = _rule_case(rule_setup, ell)
    plus, minus = _Inputs(pb, q, e), _Inputs(pb, q, -e)
    for shift in [(0, 1), (1, 1), (-1, -1)]:
        for n in range(2):
            for rule, get in ((qx.energy_rule, "energy"), (qx.occupation_rule, "occupation")):
                expr = _first_order(rule(tpl, n, shift))
                fd = (getattr(plus, get)(shift) - getattr(minus, get)(shift))[..., n] / (2 * H)
                got = _eval(expr, values(expr)) * np.ones_like(fd)
                np.testing.assert_allclose(got, fd, rtol=0, atol=RULE_FD * max(np.abs(fd).max(), 1e-3), err_msg=f"{get} {shift}")


@pytest.mark.parametrize("ell", [0, 1])
def test_parallel_transport_state_rule(rule_setup, ell):
    from derive import q0_expansion as qx
    from numeric.response.fast import _Inputs

    pb, q, base, tpl, values, e = _rule_case(rule_setup, ell)
    for shift in [(0, 1), (1, -1)]:
        U0 = base.band((shift[0], 0))[1]
        Up = _gauge_fixed(_Inputs(pb, q, e).band(shift)[1], U0)
        Um = _gauge_fixed(_Inputs(pb, q, -e).band(shift)[1], U0)
        fd = np.conj(np.swapaxes(U0, -1, -2)) @ (Up - Um) / (2 * H)          # (U₀† ∂U)_{ln}
        R = qx.state_rotation(tpl, shift)
        for l in range(2):
            for n in range(2):
                got = np.zeros(len(fd)) if R[l, n] == 0 else np.broadcast_to(
                    _eval(R[l, n], values(R[l, n])), (len(fd), 1, 1, 1)).reshape(len(fd))
                np.testing.assert_allclose(got, fd[:, l, n], rtol=0, atol=RULE_FD * np.abs(fd).max(), err_msg=f"{shift} {l}{n}")


@pytest.mark.parametrize("ell", [0, 1])
@pytest.mark.parametrize("fields,shift", [(("A",), (0, 1)), (("w",), (0, 0)), (("u",), (1, 1)), (("w", "A"), (0, 0)),
                                          (("u", "A"), (1, 1)), (("u", "w"), (0, 0))])
def test_vertex_rule(rule_setup, ell, fields, shift):
    """⟨n, k+s(δ)|V_T(Q_T(δ))|m, k+s(δ)−Q_T(δ)⟩ in the parallel-transport gauge, differentiated numerically in q₀."""
    from derive import q0_expansion as qx
    from numeric.response.fast import _Inputs

    pb, q, base, tpl, values, e = _rule_case(rule_setup, ell)
    dT = tuple(sum(qx.momentum([f])[i] for f in fields) for i in range(2))
    right = (shift[0] - dT[0], shift[1] - dT[1])
    fixed = []
    for sign in (1, -1):
        inp = _Inputs(pb, q, sign * e)
        _, Ul, _ = inp.band(shift)
        _, Ur, _ = inp.band(right)
        UL0, UR0 = base.band((shift[0], 0))[1], base.band((right[0], 0))[1]
        V = inp.vertex(fields, shift).reshape((pb.k.shape[0], -1, 2, 2))     # in the eigen-gauge of `inp`
        # re-express in the parallel-transport gauge: V_nm → conj(p_n) V_nm p_m with p the rephasing of each column
        pl = (_gauge_fixed(Ul, UL0)[:, 0, :] / Ul[:, 0, :])
        pr = (_gauge_fixed(Ur, UR0)[:, 0, :] / Ur[:, 0, :])
        fixed.append(np.conj(pl)[:, None, :, None] * V * pr[:, None, None, :])
    fd = (fixed[0] - fixed[1]) / (2 * H)
    rule = qx.vertex_rule(tpl, fields, shift)
    scale = np.abs(fd).max()
    for n in range(2):
        for m in range(2):
            expr = _first_order(rule[n, m])
            got = np.broadcast_to(_eval(expr, values(expr)), base.vertex(fields, (shift[0], 0))[..., n, m].shape)
            got = got.reshape(pb.k.shape[0], -1)
            np.testing.assert_allclose(got, fd[..., n, m], rtol=0, atol=RULE_FD * scale, err_msg=f"{fields}{shift} {n}{m}")


def test_phi_momentum_derivative_step_is_converged(rule_setup):
    """The only finite difference left (∂φ/∂q₀, numeric/response/fast.py PHI_STEP) agrees with a half step to 1e-10."""
    import numeric.response.fast as fast

    pb, q, _ = rule_setup
    a = fast._Inputs(pb, q, np.zeros(2)).dvertex(("w", "A"), (0, 0))
    old = fast.PHI_STEP
    try:
        fast.PHI_STEP = old / 2
        b = fast._Inputs(pb, q, np.zeros(2)).dvertex(("w", "A"), (0, 0))
    finally:
        fast.PHI_STEP = old
    assert np.abs(a - b).max() <= 1e-10 * np.abs(a).max()


def test_thetas_at_zero_q0_equal_the_referee(printed, honeycomb):
    from numeric.response.fast import theta_q0_generated

    pb = uniform_problem(honeycomb, NK, rates_from_paper(0.04, 0.03, 0.05))
    omega_, q, _ = POINTS[0]
    got = theta_q0_generated(pb, omega_, q, kernels=printed.kernels)
    ref = response_functions(pb, omega_, q, np.zeros(2))
    for name in ref:
        for i, part in ((0, "val"), (1, "der")):
            r = getattr(ref[name], part)
            np.testing.assert_allclose(got[name][i], r, rtol=0, atol=AGREE * np.abs(r).max())


def _assert_part_agrees(got, ref, tol, name):
    """Generated = referee to ``tol`` of the part's own max (a nonzero part: a vanishing one is tested as exactly 0)."""
    scale = np.abs(ref).max()
    assert scale > 0, name
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol * scale, err_msg=f"{name}, max|ref| = {scale:.3g}")


def _assert_split_agrees(got, ref):
    for key in ("adiabatic", "nonadiabatic", "skew_scattering", "side_jump"):
        _assert_part_agrees(got[key], getattr(ref, key), LAMBDA_SPLIT, key)
    parts = max(np.abs(got["skew_scattering"]).max(), np.abs(got["side_jump"]).max())
    assert np.abs(got["skew_scattering"] + got["side_jump"] - got["nonadiabatic"]).max() <= ROUNDING * parts


@pytest.mark.parametrize("damping", [(0.04, 0.03, 0.05), (0.04, 0.0, 0.0)], ids=["eta", "eta_n=0"])
@pytest.mark.parametrize("point", [(0.19, (0.31, 0.17)), (0.12, (-0.52, 0.21))], ids=["q1", "q2"])
def test_lambda_generated_equals_the_referee(honeycomb, damping, point):
    from numeric.response.direct import lambda_matrix
    from numeric.response.fast import lambda_generated

    pb = uniform_problem(honeycomb, NK, rates_from_paper(*damping))
    ref = lambda_matrix(pb, *point)
    got = lambda_generated(pb, *point)
    for key in ("Lambda", "current_route", "force_route", "eq4_as_printed"):
        _assert_part_agrees(got[key], getattr(ref, key), LAMBDA, key)


@pytest.mark.parametrize("damping", [(0.04, 0.03, 0.05), (0.04, 0.0, 0.0)], ids=["eta", "eta_n=0"])
@pytest.mark.parametrize("point", [(0.19, (0.31, 0.17)), (omega_top("K"), "K")], ids=["q1", "K"])
def test_lambda_split_generated_equals_the_referee(honeycomb, damping, point):
    """V3 for the exact split (CONVENTIONS.md §1.2): λ^A, λ^NA, λ^SS, λ^SJ derived (analytic ∂_{q₀}) = referee
    (finite differences), each to LAMBDA_SPLIT of its own size (at K, max|λ^SJ| is 1.5e-3 of max|Λ|); with η_c = η_v = 0,
    λ^NA = 0 in both and the referee's Λ is the generated λ^A."""
    from numeric.response.direct import lambda_matrix
    from numeric.response.fast import lambda_generated

    omega_, q = point
    q = honeycomb.lattice.point("K") if q == "K" else q
    pb = uniform_problem(honeycomb, NK, rates_from_paper(*damping))
    ref = lambda_matrix(pb, omega_, q)
    got = lambda_generated(pb, omega_, q)
    scale = np.abs(ref.Lambda).max()
    if damping[1:] == (0.0, 0.0):
        assert np.all(got["nonadiabatic"] == 0) and np.all(ref.nonadiabatic == 0)
        assert np.all(got["side_jump"] == 0) and np.all(got["skew_scattering"] == 0)
        _assert_part_agrees(got["adiabatic"], ref.Lambda, LAMBDA, "adiabatic = Λ")
        return
    _assert_split_agrees(got, ref)
    assert np.abs(ref.nonadiabatic).max() > 1e-3 * scale


def test_lambda_split_three_band_model_against_the_referee():
    """The split for N = 3, doped and hot (intraband intermediates, [V_uw, ρ₀]_nn ≠ 0, f' ≠ 0): generated = referee."""
    from numeric.model.brillouin import uniform_grid
    from numeric.response.direct import lambda_matrix
    from numeric.response.fast import lambda_generated

    model = three_band_model()
    k, w = uniform_grid(model.lattice, 9)
    pb = Problem(model, k, w, rates_from_paper(0.04, 0.03, 0.05, nbands=3), mu=-0.5, temperature=3000.0)
    ref = lambda_matrix(pb, 0.19, (0.31, 0.17))
    got = lambda_generated(pb, 0.19, (0.31, 0.17))
    assert np.abs(ref.nonadiabatic).max() > 1e-3 * np.abs(ref.Lambda).max()
    _assert_split_agrees(got, ref)
