"""Sensitivity analysis: file validation, SALib designs, indices on replicate means."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kooperationssim.cli import main
from kooperationssim.sensitivity import (
    SensitivityError,
    analyze,
    load_sensitivity,
    sensitivity_from_dict,
)

ROOT = Path(__file__).resolve().parent.parent

TINY = """
[experiment]
name = "tiny"
scenario = "kleinstadt"
replicates = 2
weeks = 70
seed = 3

[sensitivity]
method = "{method}"
samples = {samples}
resamples = 50
outputs = ["reach_first_year", "trust_mean"]

[factors]
trust_gain = {{ min = 0.06, max = 0.18 }}
coordinator_fte = {{ min = 0.5, max = 1.5 }}
network_meeting_interval_weeks = {{ min = 7, max = 26 }}
"""


def _data(**kw):
    base = {"experiment": {"scenario": "kleinstadt", "replicates": 2, "weeks": 20, "seed": 1},
            "sensitivity": {"method": "sobol", "samples": 4},
            "factors": {"trust_gain": {"min": 0.06, "max": 0.18},
                        "trust_loss": {"min": 0.15, "max": 0.45}}}
    for k, v in kw.items():
        base[k] = v
    return base


def test_shipped_example_loads_for_both_methods():
    """experiments/sensitivity.toml covers the main behaviour parameters."""
    for m, per in (("sobol", 13), ("morris", 12)):
        sa = load_sensitivity(ROOT / "experiments" / "sensitivity.toml", method=m)
        names = sa.problem["names"]
        assert len(names) == 11 and len(sa.experiment.points) == sa.samples * per
        for want in ("trust_gain", "trust_loss", "coordinator_fte",
                     "network_meeting_interval_weeks", "feedback_allowed_share",
                     "mode_positive_trust", "turnover_rate_coordinator"):
            assert want in names
        # integer parameters run rounded, inside their ranges
        for pt in sa.experiment.points:
            assert isinstance(pt["network_meeting_interval_weeks"], int)
            assert 7 <= pt["network_meeting_interval_weeks"] <= 26


def test_sobol_design_is_saltelli_and_deterministic():
    """N (D + 2) points without second order; the same seed gives the same points."""
    a = sensitivity_from_dict(_data())
    b = sensitivity_from_dict(_data())
    assert len(a.experiment.points) == 4 * (2 + 2)
    assert a.experiment.points == b.experiment.points
    assert a.experiment.spec_hash() == b.experiment.spec_hash()
    assert a.experiment.method == "salib-sobol"


@pytest.mark.parametrize("change, msg", [
    ({"sensitivity": {"method": "fast", "samples": 4}}, "sensitivity.method 'fast' is unknown"),
    ({"sensitivity": {"method": "sobol", "samples": 6}}, "needs a power of two"),
    ({"sensitivity": {"method": "sobol"}}, "sensitivity.samples is missing"),
    ({"sensitivity": {"method": "sobol", "samples": 4, "output": ["x"]}},
     "unknown key 'output' in \\[sensitivity\\]"),
    ({"sensitivity": {"method": "sobol", "samples": 4, "outputs": ["reach"]}},
     "unknown output 'reach'"),
    ({"sensitivity": {"method": "morris", "samples": 4, "levels": 3}}, "levels must be even"),
    ({"design": {"method": "lhs"}}, "\\[design\\] is not used"),
    ({"factors": {"trust_gain": [0.1, 0.2], "trust_loss": {"min": 0.1, "max": 0.2}}},
     "factor 'trust_gain' is a list of values"),
    ({"factors": {"trust_gain": {"min": 0.1, "max": 0.2}}}, "at least two factors"),
    ({"factors": {"trust_gian": {"min": 0.1, "max": 0.2}, "trust_loss": {"min": 0.1,
                                                                          "max": 0.2}}},
     "unknown factor 'trust_gian'"),
    ({"factors": {"trust_gain": {"min": 0.1, "max": 2.0}, "trust_loss": {"min": 0.1,
                                                                         "max": 0.2}}},
     "trust_gain"),
])
def test_bad_sensitivity_files(change, msg):
    """One message naming the key or value at fault."""
    with pytest.raises(SensitivityError, match=msg):
        sensitivity_from_dict(_data(**change))


def test_seed_noise_and_known_indices():
    """On a known linear function the total indices rank the parameters correctly.

    y = 4 x0 + 1 x1 (+ replicate noise): x0 explains ~94 % of the variance.  The seed
    noise is the within-point variance and is reported beside the indices.
    """
    sa = sensitivity_from_dict(_data(sensitivity={"method": "sobol", "samples": 64,
                                                  "outputs": ["reach_first_year"]}))
    x = sa.x
    lo = np.array([b[0] for b in sa.problem["bounds"]])
    hi = np.array([b[1] for b in sa.problem["bounds"]])
    u = (x - lo) / (hi - lo)
    rng = np.random.default_rng(0)
    rows = []
    for p, ui in enumerate(u):
        for r in range(2):
            rows.append({"point": p, "replicate": r,
                         "reach_first_year": 4 * ui[0] + ui[1] + rng.normal(0, 0.05)})
    idx, noise = analyze(sa, pd.DataFrame(rows))
    st = idx.set_index("parameter")["ST"]
    assert st["trust_gain"] > 0.8 and st["trust_loss"] < 0.2
    nz = noise.iloc[0]
    assert nz["seed_var_pooled"] == pytest.approx(0.05 ** 2, rel=0.3)
    assert 0 < nz["seed_noise_share"] < 0.05


@pytest.mark.parametrize("method, samples", [("sobol", 2), ("morris", 2)])
def test_cli_runs_analysis_and_refuses_to_overwrite(tmp_path, method, samples, capsys):
    """The command writes indices, seed noise and bar plots; a second run is refused."""
    f = tmp_path / "tiny.toml"
    f.write_text(TINY.format(method=method, samples=samples))
    out = tmp_path / "out"
    assert main(["sensitivity", str(f), "--out", str(out), "--quiet"]) == 0
    idx = pd.read_csv(out / "indices.csv")
    assert set(idx.parameter) == {"trust_gain", "coordinator_fte",
                                  "network_meeting_interval_weeks"}
    key = "ST_conf" if method == "sobol" else "mu_star_conf"
    assert key in idx.columns
    noise = pd.read_csv(out / "seed_noise.csv")
    assert {"seed_var_pooled", "seed_noise_share"} <= set(noise.columns)
    assert (out / f"{method}_trust_mean.png").stat().st_size > 1000
    js = json.loads((out / "sensitivity.json").read_text())
    assert js["method"] == method and js["replicates"] == 2
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "complete"
    # the report of a sensitivity directory shows its indices and seed noise
    assert main(["report", str(out), "--out", str(tmp_path / "s.html"), "--quiet"]) == 0
    html = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert f"Sensitivity ({method}" in html and "seed_noise_share" in html
    assert "data:image/png;base64," in html and "<script" not in html
    # a complete store is not rerun; the analysis comes out the same
    before = (out / "indices.csv").read_bytes()
    assert main(["sensitivity", str(f), "--out", str(out), "--quiet"]) == 0
    assert (out / "indices.csv").read_bytes() == before
    assert json.loads((out / "manifest.json").read_text())["sessions"] == man["sessions"]
    # an analysis with other settings (same design) is refused, nothing is rewritten
    js_before = (out / "sensitivity.json").read_bytes()
    f.write_text(TINY.format(method=method, samples=samples).replace(
        'outputs = ["reach_first_year", "trust_mean"]', 'outputs = ["trust_mean"]'))
    assert 'outputs = ["trust_mean"]' in f.read_text()
    assert main(["sensitivity", str(f), "--out", str(out), "--quiet"]) == 2
    assert "outputs" in capsys.readouterr().err
    assert (out / "sensitivity.json").read_bytes() == js_before
    assert (out / "indices.csv").read_bytes() == before
    # a different design is refused
    f.write_text(TINY.format(method=method, samples=samples).replace("seed = 3", "seed = 4"))
    assert main(["sensitivity", str(f), "--out", str(out), "--quiet"]) == 2
    assert "different experiment" in capsys.readouterr().err


def test_cli_bad_file_exit_2(tmp_path, capsys):
    """A bad sensitivity file exits with 2 and one message."""
    f = tmp_path / "bad.toml"
    f.write_text(TINY.format(method="sobol", samples=3))
    assert main(["sensitivity", str(f), "--out", str(tmp_path / "o")]) == 2
    assert "power of two" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_output_without_values_is_reported_not_a_crash(tmp_path, capsys):
    """An output with no value at any point (reach before week 52) gets a note, exit 0."""
    f = tmp_path / "short.toml"
    f.write_text(TINY.format(method="sobol", samples=4).replace("weeks = 70", "weeks = 20")
                 .replace('outputs = ["reach_first_year", "trust_mean"]',
                          'outputs = ["reach_first_year"]'))
    out = tmp_path / "out"
    assert main(["sensitivity", str(f), "--out", str(out)]) == 0
    assert "reach_first_year: no indices" in capsys.readouterr().out


SMALL = """
[experiment]
name = "small"
scenario = "kleinstadt"
replicates = 2
weeks = 8
seed = 3

[sensitivity]
method = "sobol"
samples = 2
resamples = 20
outputs = ["trust_mean"]

[factors]
trust_gain = { min = 0.06, max = 0.18 }
trust_loss = { min = 0.15, max = 0.45 }
"""


def test_failed_chunk_is_completed_with_retry_failed(tmp_path, monkeypatch):
    """After a failed chunk --resume completes nothing; retry_failed reruns it and the
    analysis is written (without switching the matplotlib backend)."""
    import matplotlib

    from kooperationssim import sweep as sweep_mod
    from kooperationssim.sensitivity import run_sensitivity
    from kooperationssim.sweep import failed_chunks_message

    f = tmp_path / "small.toml"
    f.write_text(SMALL)
    sa = load_sensitivity(f)
    out = tmp_path / "out"
    real = _fail_first_run(monkeypatch)
    res = run_sensitivity(sa, out, chunk_size=2)
    rep = res["report"]
    assert rep.failed_chunks == 1 and not rep.complete and "indices" not in res
    assert read_chunk_sizes(out) == [2]
    assert "--retry-failed" in failed_chunks_message(rep)
    monkeypatch.setattr(sweep_mod, "run_chunk", real)
    # --resume alone leaves failed chunks alone: the analysis cannot finish that way
    res = run_sensitivity(sa, out, resume=True)
    assert res["report"].failed_chunks == 1 and "indices" not in res

    def refuse(*a, **k):
        raise AssertionError("matplotlib.use was called")

    monkeypatch.setattr(matplotlib, "use", refuse)
    res = run_sensitivity(sa, out, retry_failed=True, chunk_size=3)
    assert res["report"].complete and res["report"].failed_chunks == 0
    assert (out / "indices.csv").exists() and (out / "sobol_trust_mean.png").exists()
    sizes = read_chunk_sizes(out)
    assert sizes[0] == 2 and sizes[-1] == 3  # chunk_size reaches the sweep


def _fail_first_run(monkeypatch):
    """Make the chunk holding run (0, 0) raise; return the real ``run_chunk``."""
    from kooperationssim import sweep as sweep_mod

    real = sweep_mod.run_chunk

    def flaky(ex_, runs):
        if (0, 0) in runs:
            raise RuntimeError("injected")
        return real(ex_, runs)

    monkeypatch.setattr(sweep_mod, "run_chunk", flaky)
    return real


def read_chunk_sizes(out):
    return [s["chunk_size"] for s in json.loads((out / "manifest.json").read_text())
            ["sessions"]]


def test_cli_sensitivity_retry_failed(tmp_path, monkeypatch, capsys):
    from kooperationssim import sweep as sweep_mod

    f = tmp_path / "small.toml"
    f.write_text(SMALL)
    out = tmp_path / "out"
    real = _fail_first_run(monkeypatch)
    assert main(["sensitivity", str(f), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--retry-failed" in err and "complete them with --resume" not in err
    monkeypatch.setattr(sweep_mod, "run_chunk", real)
    assert main(["sensitivity", str(f), "--out", str(out), "--retry-failed",
                 "--quiet"]) == 0
    assert (out / "indices.csv").exists()


def test_results_folder_stays_locked_until_the_analysis_is_written(tmp_path, monkeypatch):
    """No other sweep can start in the folder between the sensitivity's sweep and its
    analysis: another process finds the folder locked while the analysis is written."""
    import subprocess
    import sys

    from kooperationssim import sensitivity as sens_mod
    from kooperationssim.sweep import LOCK_FILE

    f = tmp_path / "small.toml"
    f.write_text(SMALL)
    sa = load_sensitivity(f)
    out = tmp_path / "out"
    real = sens_mod.write_analysis
    seen = {}
    probe = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
             "except BlockingIOError:\n    sys.exit(3)\n")

    def analysis_under_lock(*a, **k):
        seen["rc"] = subprocess.run([sys.executable, "-c", probe, str(out / LOCK_FILE)]).returncode
        return real(*a, **k)

    monkeypatch.setattr(sens_mod, "write_analysis", analysis_under_lock)
    res = sens_mod.run_sensitivity(sa, out)
    assert res["report"].complete and (out / "indices.csv").exists()
    assert seen["rc"] == 3, "another process could lock the folder during the analysis"
    # and afterwards the lock is free again
    assert subprocess.run([sys.executable, "-c", probe, str(out / LOCK_FILE)]).returncode == 0
