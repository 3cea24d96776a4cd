"""The command line as a contract (CONVENTIONS.md §7): keys, units, files, and named errors."""

import json
from pathlib import Path

import numpy as np
import pytest

from numeric.cli import main
from referee_values import omega_top, referee_moment

FAST = ["--nk", "6"]


def run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr()


def test_lambda_json_contract(capsys):
    code, out = run(capsys, "lambda", "--point", "K", *FAST, "--json", "--method", "direct")
    assert code == 0
    d = json.loads(out.out)
    for key in ("q", "omega", "total", "Lambda", "moment_muN", "method", "nk", "units",
                "Lambda_current_route", "Lambda_force_route", "Lambda_eq4_as_printed"):
        assert key in d, key
    L = np.array(d["Lambda"])[..., 0] + 1j * np.array(d["Lambda"])[..., 1]
    J = np.array(d["Lambda_current_route"])[..., 0] + 1j * np.array(d["Lambda_current_route"])[..., 1]
    F = np.array(d["Lambda_force_route"])[..., 0] + 1j * np.array(d["Lambda_force_route"])[..., 1]
    np.testing.assert_allclose(L, (J + F) / 2, atol=1e-12 * np.abs(L).max())
    assert d["total"] == d["moment_muN"] and d["method"] == "direct" and d["nk"] == 6
    assert abs(d["adiabatic"] + d["nonadiabatic"] - d["total"]) < 1e-9 * abs(d["total"])
    # λ^SS + λ^SJ = λ^NA holds to rounding on the referee (observed 8e-13 of λ^NA): relative to the parts, not the total
    parts = max(abs(d["skew_scattering"]), abs(d["side_jump"]))
    assert abs(d["skew_scattering"] + d["side_jump"] - d["nonadiabatic"]) < 1e-11 * parts
    assert d["omega"] == pytest.approx(omega_top("K"), rel=1e-12)          # top phonon branch at K, eV


def test_lambda_table_is_readable(capsys):
    code, out = run(capsys, "lambda", "--q", "0.31", "0.17", *FAST)
    assert code == 0 and "μ_N" in out.out and "Λ^{ab}_zz" in out.out


@pytest.mark.parametrize("argv,word", [
    (["lambda", "--point", "K", "--eta-p", "0"], "eta_p"),
    (["lambda", "--point", "K", "--eta-c", "-0.1"], "eta_c"),
    (["lambda", "--point", "G", "--branch", "0"], "acoustic"),
    (["lambda", "--point", "K", "--branch", "7"], "branch"),
    (["lambda", "--point", "K", "--nk", "1"], "nk"),
    (["lambda", "--q", "nan", "0"], "q"),
    (["lambda", "--point", "K", "--delta", "0", "--nk", "9"], "delta"),
    (["lambda", "--point", "M", "--nk", "4", "--tolerance", "1e-9"], "nk"),
    (["path", "--nk", "2", "--npath", "1"], "nk"),
    (["path", "--eta-p", "0", "--npath", "1", "--nk", "6"], "eta"),
    (["map", "--eta-c", "-0.01", "--nq", "3", "--nk", "6"], "eta"),
    (["figure2", "--nk", "2"], "nk"),
])
def test_bad_input_gives_a_named_error(capsys, argv, word):
    with pytest.raises(SystemExit) as exc:
        main(argv + ([] if "--nk" in argv else FAST))
    assert exc.value.code == 2
    assert word in capsys.readouterr().err


def test_bands_writes_figures_and_data(tmp_path, capsys):
    code, out = run(capsys, "bands", "--out", str(tmp_path), "--npath", "8", "--nmap", "21")
    assert code == 0
    for stem in ("electron_bands", "valence_isoenergy", "phonon_dispersion"):
        for ext in (".png", ".npz", ".json"):
            assert (tmp_path / f"{stem}{ext}").stat().st_size > 0
    meta = json.loads((tmp_path / "phonon_dispersion.json").read_text())
    assert meta["parameters"]["options"]["delta"] == 1.0 and "provenance" in meta
    assert meta["parameters"]["model"]["onsite"] == [1.0, -1.0]          # the model's whole description is saved
    with np.load(tmp_path / "phonon_dispersion.npz") as data:
        assert abs(data["energies_meV"][0, -1] - 195.67) < 0.05    # Γ optical pair (test_phonons checks the value)
    assert "K:" in out.out


def test_path_writes_the_split_and_its_parts_add_up(tmp_path, capsys):
    code, out = run(capsys, "path", "--npath", "2", "--nk", "6", "--workers", "1", "--no-resonances",
                    "--out", str(tmp_path))
    assert code == 0
    data = np.loadtxt(tmp_path / "path.csv", delimiter=",", skiprows=1)
    total, adiabatic, nonadiabatic, skew, side_jump = data[:, 4:9].T
    np.testing.assert_allclose(adiabatic + nonadiabatic, total, atol=1e-12 * np.abs(total).max())
    np.testing.assert_allclose(skew + side_jump, nonadiabatic, atol=1e-12 * np.abs(total).max())
    assert np.all(data[:, 9:14] >= 0) and np.abs(nonadiabatic).max() > 1e-3 * np.abs(total).max()   # the errors
    # the value at K (row 2) equals the referee's, computed independently on the same grid (both uniform: --no-resonances)
    at_K = referee_moment(np.array(json.loads(run(capsys, "lambda", "--point", "K", "--nk", "6", "--json")[1].out)["q"]))
    assert abs(at_K - total[2]) < 1e-7 * abs(at_K)
    for ext in (".png", ".npz", ".json", ".csv"):
        assert (tmp_path / f"path{ext}").stat().st_size > 0


def test_path_refuses_an_acoustic_branch(capsys):
    with pytest.raises(SystemExit):
        main(["path", "--branch", "0", "--nk", "6"])
    assert "optical" in capsys.readouterr().err


def test_map_unfolds_with_the_mirror_sign(tmp_path, capsys):
    maps = {}
    for flags in ((), ("--no-resonances",)):            # the default (resonances treated) and the plain uniform sum
        out = tmp_path / ("uniform" if flags else "default")
        code, _ = run(capsys, "map", "--nq", "3", "--nk", "6", *flags, "--out", str(out))
        assert code == 0
        with np.load(out / "map.npz") as data:
            q, total = data["q"], data["total_muN"]
            parts = data["adiabatic_muN"] + data["skew_scattering_muN"] + data["side_jump_muN"]
        maps[flags] = total
        assert np.abs(total).max() > 0
        np.testing.assert_allclose(parts, total, atol=1e-12 * np.abs(total).max())
        # odd under y → −y on a mirror-symmetric grid; Γ is left out: there the mirror swaps the two circular members
        # of the degenerate optical pair, so the top branch at Γ is not mapped onto itself
        away = np.linalg.norm(q, axis=1) > 1e-9
        assert abs(total[away].sum()) < 1e-9 * np.abs(total).max()
        for name in ("total", "adiabatic", "nonadiabatic", "skew_scattering", "side_jump"):
            assert (out / f"map_{name}.png").stat().st_size > 0
    # the plain map at K equals the referee on the same grid
    total = maps[("--no-resonances",)]
    from numeric.model.lattice import honeycomb
    lat = honeycomb()
    K = lat.point("K")
    at_K = referee_moment(K, eta=(0.02, 0.004, 0.02))
    b = lat.reciprocal
    G = np.array([m * b[0] + n * b[1] for m in (-1, 0, 1) for n in (-1, 0, 1)])
    distance = lambda p: np.min(np.linalg.norm(q[:, None, :] - p - G[None], axis=-1), axis=1)   # modulo G
    i, j = np.argmin(distance(K)), np.argmin(distance(-K))
    assert abs(total[i] - at_K) < 1e-7 * abs(at_K) and abs(total[j] + at_K) < 1e-7 * abs(at_K)


def test_numeric_entry_point_does_not_import_sympy():
    """The console module imports SymPy only inside the derive subcommand (numerics never pay for it)."""
    import subprocess
    import sys
    code = ("import sys, numeric.cli, numeric.response.direct, numeric.response.fast; "
            "sys.exit(1 if 'sympy' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_generated_method_agrees_with_the_referee_through_the_cli(capsys):
    outs = []
    for method in ("direct", "generated"):      # the same uniform grid: the resonance treatment off
        code, out = run(capsys, "lambda", "--point", "K", "--nk", "9", "--method", method, "--no-resonances", "--json")
        outs.append(json.loads(out.out))
    assert outs[1]["method"] == "generated" and outs[1]["fd_error_Lambda"] is None and not outs[1]["resonances"]
    assert abs(outs[0]["total"] - outs[1]["total"]) < 1e-6 * abs(outs[0]["total"])


def test_derive_check_through_the_cli_on_the_committed_tree(capsys, monkeypatch, printed):
    """`phonon-moment derive --check` exits 0 on the committed generated/, and 1 with a diff on a stale copy. The
    derivation itself is the session's one (tests/conftest.py ``printed``, the same ``build_files`` the command
    calls), so SymPy runs once per test session; this test holds the command's wiring: parse, write, diff, exit."""
    import shutil

    import derive.generate
    from derive.__main__ import GENERATED

    monkeypatch.setattr(derive.generate, "build_files", lambda: dict(printed.files))
    code, out = run(capsys, "derive", "--check")
    assert code == 0, out.out[-3000:]
    assert "up to date" in out.out
    stale = Path(shutil.copytree(GENERATED, printed.generated.parent / "stale", dirs_exist_ok=True))
    (stale / "dirac_k.py").write_text((stale / "dirac_k.py").read_text() + "# edited by hand\n")
    code, out = run(capsys, "derive", "--check", "--out", str(stale))
    assert code == 1 and "edited by hand" in out.out
