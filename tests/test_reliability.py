"""Bad input and odd requests, as a new user would make them: each gets a named error, a warning with what to change, or
a number that a second route confirms; never a traceback, a NaN or a silent number outside the formalism's validity.
The README's reliability table lists the same cases."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import numeric
from numeric.api import AccuracyWarning, coarse_nk
from numeric.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::numeric.api.AccuracyWarning")   # small grids on purpose
ROOT = Path(__file__).resolve().parents[1]
EXACT = 1e-12                  # one computation reached two ways (periodic image, named point vs coordinates)
SMALL = ["--nk", "6"]


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out


def refused(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def paper():
    model = numeric.honeycomb_model()
    return model, numeric.graphene_phonons(model)


# ---------------------------------------------------------------------------------------------------------------------
# refused before or after the computation, with the parameter named
# ---------------------------------------------------------------------------------------------------------------------
def test_a_grid_larger_than_memory_is_refused_before_allocating(capsys):
    err = refused(capsys, "lambda", "--point", "K", "--nk", "100000")
    assert "nk = 100000" in err and "GiB" in err and "nk ≤" in err
    err = refused(capsys, "lambda", "--point", "K", "--nk", "48", "--max-memory", "0.01")
    assert "max_memory" in err


def test_an_overflowing_parameter_is_named_instead_of_a_nan(capsys):
    err = refused(capsys, "lambda", "--point", "K", "--beta", "1e308", *SMALL)
    assert "not finite" in err and "beta = 1e+308" in err


@pytest.mark.parametrize("out", ["/proc/phonon-moment-test", "FILE"])
def test_an_unwritable_out_is_refused_before_computing(capsys, tmp_path, out):
    if out == "FILE":
        out = tmp_path / "a-file"
        out.write_text("x")
    err = refused(capsys, "bands", "--out", str(out), "--npath", "2", "--nmap", "5")
    assert "--out" in err


# ---------------------------------------------------------------------------------------------------------------------
# computed, with a warning that says what to change
# ---------------------------------------------------------------------------------------------------------------------
def lambda_json(capsys, *argv) -> dict:
    code, out = run(capsys, "lambda", *argv, "--json")
    assert code == 0
    d = json.loads(out.out)
    assert d["warnings"] == [line.split("warning: ", 1)[1] for line in out.err.splitlines() if "warning: " in line]
    return d


def test_a_converged_request_has_an_estimate_and_no_warning(capsys):
    d = lambda_json(capsys, "--point", "M", "--nk", "24")
    assert d["warnings"] == [] and 0 < d["kgrid_error_estimate"] < numeric.api.DEFAULT_TOLERANCE


def test_a_tiny_grid_warns(capsys):
    d = lambda_json(capsys, "--point", "K", "--nk", "3")
    assert d["kgrid_error_estimate"] is None and len(d["warnings"]) == 2
    d = lambda_json(capsys, "--point", "K", "--nk", "12")
    assert d["kgrid_error_estimate"] > numeric.api.DEFAULT_TOLERANCE
    assert any("too coarse" in w for w in d["warnings"])


@pytest.mark.parametrize("omega", ["2.0", "5"])
def test_omega_at_the_gap_warns(capsys, omega):
    d = lambda_json(capsys, "--point", "K", "--omega", omega, *SMALL)
    assert any("direct gap" in w for w in d["warnings"])


@pytest.mark.parametrize("method", ["generated", "direct"])
def test_mu_inside_a_band_at_zero_temperature_warns(capsys, method):
    d = lambda_json(capsys, "--point", "K", "--mu", "1.5", "--method", method, *SMALL)
    assert any("metal" in w for w in d["warnings"]) and np.isfinite(d["total"])


def test_an_absurd_temperature_warns(capsys):
    d = lambda_json(capsys, "--point", "K", "--temperature", "1e9", *SMALL)
    assert any("bandwidth" in w for w in d["warnings"]) and abs(d["total"]) < 1e-3


def test_the_api_issues_the_same_warnings(paper):
    with pytest.warns(AccuracyWarning, match="direct gap"):
        r = numeric.moment(*paper, "K", omega=2.0, nk=6, error_estimate=False)
    assert any("direct gap" in w for w in r.warnings)


# ---------------------------------------------------------------------------------------------------------------------
# odd but valid: the number is confirmed by a second route
# ---------------------------------------------------------------------------------------------------------------------
def test_vanishing_conduction_damping_stays_continuous(paper):
    """η_c → 0: the resonance treatment integrates the intraband poles exactly, so 1e-12 and 1e-6 eV agree."""
    tiny, small = (numeric.moment(*paper, "K", nk=12, eta=(0.04, eta_c, 0.04), error_estimate=False)
                   for eta_c in (1e-12, 1e-6))
    assert abs(tiny.total - small.total) < 1e-5 * abs(small.total)
    assert abs(tiny.nonadiabatic - small.nonadiabatic) < 1e-4 * abs(small.nonadiabatic)


def test_zone_boundary_and_k_prime_by_coordinates(paper):
    """A q on the zone boundary equals its periodic images; K′ given by coordinates equals the named K′ and is −m(K)
    (time reversal)."""
    model, phonons = paper
    K, M, b = model.lattice.point("K"), model.lattice.point("M"), model.lattice.reciprocal
    edge = 0.5 * (K + M)
    values = [numeric.moment(model, phonons, q, nk=9, error_estimate=False).total for q in (edge, edge - b[0])]
    assert abs(values[0] - values[1]) < EXACT * abs(values[0])
    kp = numeric.moment(model, phonons, -K, nk=9, error_estimate=False)
    assert kp.total == numeric.moment(model, phonons, "Kp", nk=9, error_estimate=False).total
    assert abs(kp.total + numeric.moment(model, phonons, "K", nk=9, error_estimate=False).total) < EXACT * abs(kp.total)


def test_odd_and_even_grids_agree_within_their_estimates(paper):
    odd, even = (numeric.moment(*paper, "K", nk=nk, eta=(0.3, 0.2, 0.2)) for nk in (17, 18))
    assert coarse_nk(17) != 17 and odd.kgrid_error_estimate and even.kgrid_error_estimate
    gap = np.abs(odd.Lambda - even.Lambda).max() / np.abs(even.Lambda).max()
    assert gap <= odd.kgrid_error_estimate + even.kgrid_error_estimate


# ---------------------------------------------------------------------------------------------------------------------
# outputs: atomic, staged, announced
# ---------------------------------------------------------------------------------------------------------------------
def test_rerun_names_what_it_replaces_and_leaves_no_staging(capsys, tmp_path):
    argv = ["bands", "--out", str(tmp_path), "--npath", "2", "--nmap", "5"]
    assert run(capsys, *argv)[0] == 0
    first = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    code, out = run(capsys, *argv)
    assert code == 0 and "already holds" in out.err and "electron_bands.json" in out.err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(first)          # replaced, no staging folder left
    assert oct(os.stat(tmp_path / "electron_bands.npz").st_mode & 0o777) != "0o600"


def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    from numeric.output import files

    files.save(tmp_path / "x", {"a": np.arange(3)}, {"p": 1})
    before = (tmp_path / "x.npz").read_bytes()

    def broken(fh, **arrays):
        fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(files.np, "savez_compressed", broken)
    with pytest.raises(OSError):
        files.save(tmp_path / "x", {"a": np.arange(5)}, {"p": 2})
    assert (tmp_path / "x.npz").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json", "x.npz"]


def test_ctrl_c_during_figure2_ends_the_workers_and_leaves_nothing(tmp_path):
    """At the defaults (about a minute), so that the interrupt lands while workers run (`--quick` ends within seconds).
    The child gets SIGINT's default disposition back: a suite started in the background by a non-interactive shell
    (`cmd &`) ignores SIGINT, an ignored signal stays ignored across exec, and Python then installs no
    KeyboardInterrupt handler — the figure2 ran on to its end (seen: exit 0 with --quick, a timeout at the defaults)."""
    out = tmp_path / "fig"
    proc = subprocess.Popen([sys.executable, "-m", "numeric.cli", "figure2", "--workers", "2", "--out",
                             str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    children = []
    deadline = time.time() + 60
    while len(children) < 2 and time.time() < deadline and proc.poll() is None:   # until the workers have started
        time.sleep(0.2)
        children = subprocess.run(["ps", "--ppid", str(proc.pid), "-o", "pid="], capture_output=True,
                                  text=True).stdout.split()
    assert proc.poll() is None, "figure2 finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    time.sleep(0.5)
    assert not [c for c in children if Path(f"/proc/{c}").exists()], "worker processes outlived the interrupt"
    assert not out.exists() or not any(out.iterdir())
