"""Sweeps: a resumable, deterministic, fault-tolerant results store."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kooperationssim import sweep as sweep_mod
from kooperationssim.cli import main
from kooperationssim.experiment import load_experiment
from kooperationssim.sweep import SweepError, read_manifest, read_runs, sweep
from kooperationssim.vector_engine import VectorEngine

ROOT = Path(__file__).resolve().parent.parent

SMALL = """
[experiment]
name = "{name}"
scenario = "kleinstadt"
replicates = {reps}
weeks = {weeks}
seed = 11
series = {series}

[factors]
coordinator_fte = [0.5, 1.0, 1.5]
funding_regime = ["permanent", "project"]
"""


def _write(tmp_path: Path, name="small", reps=3, weeks=40, series=False) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(SMALL.format(name=name, reps=reps, weeks=weeks,
                              series=str(series).lower()))
    return p


def _chunk_files(out: Path) -> dict[str, tuple[int, int]]:
    d = out / "runs.parquet"
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in d.iterdir()
            if not p.name.startswith(".")}


def test_results_match_the_engine_and_keep_every_run(tmp_path):
    ex = load_experiment(_write(tmp_path, series=True))
    rep = sweep(ex, tmp_path / "out", chunk_size=4)
    assert rep.complete and rep.runs_done == ex.n_runs == 18
    runs = read_runs(tmp_path / "out")
    assert len(runs) == 18 and not runs.duplicated(["point", "replicate"]).any()
    assert list(runs.columns[:5]) == ["point", "replicate", "seed", "coordinator_fte",
                                      "funding_regime"]
    # one row, recomputed directly with the engine
    row = runs[(runs.point == 3) & (runs.replicate == 2)].iloc[0]
    direct = VectorEngine([ex.point_run_params(3)], [ex.seeds()[2]]).run()
    s = direct.summaries[0]
    assert row["seed"] == ex.seeds()[2]
    assert row["coordinator_fte"] == ex.points[3]["coordinator_fte"]
    for k in ("reach_first_year", "trust_mean", "cost_total_eur", "turnover_events"):
        assert row[k] == s[k] or (np.isnan(row[k]) and np.isnan(s[k]))
    series = sweep_mod.read_series(tmp_path / "out")
    one = series[(series.point == 3) & (series.replicate == 2)].drop(
        columns=["point", "replicate"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(one, direct.series(0), check_dtype=False)
    man = read_manifest(tmp_path / "out")
    assert man["status"] == "complete" and man["runs_done"] == 18
    assert man["spec_hash"] == ex.spec_hash() and man["seeds"] == ex.seeds()
    for k in ("python", "numpy", "mesa", "pyarrow", "dask", "platform"):
        assert man["environment"][k]
    assert man["sessions"][0]["workers"] == 1 and man["sessions"][0]["wall_s"] > 0


def test_results_do_not_depend_on_chunk_size_or_workers(tmp_path):
    ex = load_experiment(_write(tmp_path))
    sweep(ex, tmp_path / "a", chunk_size=1)
    sweep(ex, tmp_path / "b", chunk_size=7)
    sweep(ex, tmp_path / "c", chunk_size=2, workers=2)
    a, b, c = (read_runs(tmp_path / d) for d in "abc")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(a, c, check_exact=True)
    assert len(_chunk_files(tmp_path / "a")) == 18 and len(_chunk_files(tmp_path / "b")) == 3


def test_a_failing_chunk_is_recorded_and_retried_alone(tmp_path, monkeypatch):
    ex = load_experiment(_write(tmp_path))
    ref = tmp_path / "ref"
    sweep(ex, ref, chunk_size=3)
    real = sweep_mod.run_chunk

    def flaky(ex_, runs):
        if any(p == 4 for p, _r in runs):
            raise RuntimeError("injected failure in point 4")
        return real(ex_, runs)

    out = tmp_path / "out"
    monkeypatch.setattr(sweep_mod, "run_chunk", flaky)
    rep = sweep(ex, out, chunk_size=3)
    assert rep.failed_chunks == 1 and rep.runs_done == 15 and not rep.complete
    man = read_manifest(out)
    assert man["status"] == "failed chunks"
    (fail,) = man["failures"].values()
    assert "RuntimeError: injected failure in point 4" in fail["traceback"]
    assert sorted(map(tuple, fail["runs"])) == [(4, 0), (4, 1), (4, 2)]
    before = _chunk_files(out)
    # --resume alone leaves the failed runs alone
    rep = sweep(ex, out, chunk_size=3, resume=True)
    assert rep.runs_this_session == 0 and rep.failed_chunks == 1
    monkeypatch.setattr(sweep_mod, "run_chunk", real)
    rep = sweep(ex, out, chunk_size=3, retry_failed=True)
    assert rep.runs_this_session == 3 and rep.complete and rep.failed_chunks == 0
    after = _chunk_files(out)
    assert {k: after[k] for k in before} == before  # finished chunks untouched
    assert read_manifest(out)["failures"] == {}
    pd.testing.assert_frame_equal(read_runs(out), read_runs(ref), check_exact=True)


def test_resume_after_sigkill_completes_without_duplicates(tmp_path):
    exp = _write(tmp_path, name="killme", reps=4, weeks=60)
    ex = load_experiment(exp)
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "kooperationssim", "sweep", str(exp),
                             "--out", str(out), "--chunk-size", "1", "--quiet",
                             "--no-summary"], env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / "runs.parquet").is_dir() and len(_chunk_files(out)) >= 3:
            break
        if proc.poll() is not None:
            pytest.fail("the sweep ended before it could be killed")
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _chunk_files(out)
    assert 3 <= len(killed_at) < ex.n_runs
    assert read_manifest(out)["status"] == "running"  # never finalised
    # a fresh start is refused, --resume completes (with another chunk size)
    with pytest.raises(SweepError, match="use --resume"):
        sweep(ex, out, chunk_size=5)
    rep = sweep(ex, out, chunk_size=5, resume=True)
    assert rep.complete and rep.runs_this_session == ex.n_runs - len(killed_at)
    after = _chunk_files(out)
    assert {k: after[k] for k in killed_at} == killed_at  # nothing recomputed
    runs = read_runs(out)
    assert len(runs) == ex.n_runs and not runs.duplicated(["point", "replicate"]).any()
    sweep(ex, tmp_path / "ref", chunk_size=6)
    pd.testing.assert_frame_equal(runs, read_runs(tmp_path / "ref"), check_exact=True)
    assert not [p for p in (out / "runs.parquet").iterdir() if p.name.startswith(".")]


def test_losing_a_worker_still_gives_complete_identical_results(tmp_path):
    from distributed import Client, LocalCluster

    ex = load_experiment(_write(tmp_path, reps=4, weeks=60))
    sweep(ex, tmp_path / "ref", chunk_size=4)
    killed = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as cluster:
        with Client(cluster) as c:
            pids = list(c.run(os.getpid).values())
        assert len(set(pids)) == 2 and os.getpid() not in pids

        def kill_one(done, total, rate):
            if done > 0 and not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        rep = sweep(ex, tmp_path / "out", scheduler=cluster.scheduler_address, chunk_size=1,
                    progress=kill_one)
    assert killed
    assert rep.complete and rep.failed_chunks == 0
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), read_runs(tmp_path / "ref"),
                                  check_exact=True)


def test_results_directories_are_never_mixed_or_overwritten(tmp_path, capsys):
    exp_a = _write(tmp_path, name="a")
    exp_b = _write(tmp_path, name="b", reps=2)
    out = tmp_path / "out"
    assert main(["sweep", str(exp_a), "--out", str(out), "--quiet"]) == 0
    manifest = (out / "manifest.json").read_text()
    files = _chunk_files(out)
    for args, msg in (
        ([str(exp_b), "--out", str(out)], "holds results of a different experiment ('a'"),
        ([str(exp_b), "--out", str(out), "--resume"], "different experiment"),
    ):
        assert main(["sweep", *args]) == 2
        assert msg in capsys.readouterr().err
    assert (out / "manifest.json").read_text() == manifest and _chunk_files(out) == files
    # the same experiment again: complete, nothing to do
    assert main(["sweep", str(exp_a), "--out", str(out)]) == 0
    assert "nothing to do" in capsys.readouterr().err
    assert _chunk_files(out) == files
    # a directory with other files, or nothing to resume
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["sweep", str(exp_a), "--out", str(other)]) == 2
    assert "holds no sweep results" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    assert main(["sweep", str(exp_a), "--out", str(tmp_path / "empty"), "--resume"]) == 2
    assert "no results to resume" in capsys.readouterr().err
    assert main(["sweep", str(exp_a), "--workers", "2", "--scheduler", "tcp://x:1",
                 "--out", str(tmp_path / "z")]) == 2
    assert "not both" in capsys.readouterr().err


def test_summarize_writes_confidence_intervals_and_plots(tmp_path, capsys):
    exp = _write(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--quiet", "--no-summary"]) == 0
    assert not (out / "summary.csv").exists()
    assert main(["summarize", str(out), "--metric", "trust_mean"]) == 0
    printed = capsys.readouterr().out
    assert "mean reach_first_year" in printed
    summ = pd.read_csv(out / "summary.csv")
    runs = read_runs(out)
    assert len(summ) == 6 and (summ["replicates"] == 3).all()
    for _, row in summ.iterrows():
        vals = runs.loc[runs.point == row["point"], "trust_mean"]
        assert row["trust_mean_mean"] == pytest.approx(vals.mean())
        assert row["trust_mean_ci_low"] < row["trust_mean_mean"] < row["trust_mean_ci_high"]
        half = 4.302652729911275 * vals.std(ddof=1) / np.sqrt(3)  # t(0.975, 2)
        assert row["trust_mean_ci_high"] - row["trust_mean_mean"] == pytest.approx(half)
    for name in ("trust_mean_by_coordinator_fte",
                 "heatmap_trust_mean_coordinator_fte_funding_regime"):
        for ext in ("png", "svg"):
            assert (out / f"{name}.{ext}").stat().st_size > 1000
    assert main(["summarize", str(out), "--metric", "reach_first_yr"]) == 2
    assert "did you mean 'reach_first_year'" in capsys.readouterr().err
    assert main(["summarize", str(out), "--x", "trust_gain"]) == 2
    assert "'trust_gain' is not a factor" in capsys.readouterr().err
    assert main(["summarize", str(tmp_path)]) == 2
    assert "not a sweep results directory" in capsys.readouterr().err


def test_manifest_is_valid_json_while_running(tmp_path):
    ex = load_experiment(_write(tmp_path))
    seen = []

    def check(done, total, rate):
        seen.append(json.loads((tmp_path / "out" / "manifest.json").read_text())["status"])

    sweep(ex, tmp_path / "out", chunk_size=6, progress=check)
    assert seen[0] == "running" and len(seen) == 4


# ---------------------------------------------------------------------------
# adaptive replication (--target-ci)
# ---------------------------------------------------------------------------

ADAPTIVE = """
[experiment]
name = "adaptive"
scenario = "kleinstadt"
replicates = 2
weeks = 70
seed = 5

[factors]
coordinator_fte = [0.0, 1.0, 2.0]
"""


def _hw(x):
    from scipy import stats

    x = np.asarray(x, dtype=float)
    return stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))


def _expected_stops(full: pd.DataFrame, target: float, step: int, limit: int):
    """The stopping rule, replayed by hand on the complete data."""
    out = []
    for p, d in full.groupby("point"):
        y = d.sort_values("replicate")["reach_first_year"].to_numpy()
        n = step
        while True:
            h = _hw(y[:n])
            if h <= target:
                out.append((p, n, "target"))
                break
            if n >= limit:
                out.append((p, n, "max_replicates"))
                break
            n = min(n + step, limit)
    return out


def test_target_ci_rounds_are_deterministic_and_resumable(tmp_path, monkeypatch):
    """Replicates are added in fixed rounds until the half-width of reach is below the target.

    The stopping of each point follows the rule replayed by hand on the complete data; the
    runs do not depend on the chunk size, and a sweep interrupted in round 2 resumes to
    the same result.
    """
    f = tmp_path / "a.toml"
    f.write_text(ADAPTIVE)
    ex = load_experiment(f)
    full = ex.with_target(1e-12, 6)
    rep = sweep(full, tmp_path / "full", chunk_size=1)
    assert rep.complete and rep.runs_done == 18
    assert [s["stopped"] for s in rep.stopping] == ["max_replicates"] * 3
    data = read_runs(tmp_path / "full")
    hws = sorted(_hw(d.sort_values("replicate")["reach_first_year"].to_numpy()[:2])
                 for _p, d in data.groupby("point"))
    target = (hws[0] + hws[1]) / 2  # at least one point stops after round 1, one goes on
    exp = _expected_stops(data, target, 2, 6)
    assert {s for _p, _n, s in exp} >= {"target"} and max(n for _p, n, _s in exp) > 2
    ad = ex.with_target(target, 6)
    rep = sweep(ad, tmp_path / "b", chunk_size=4)
    assert [(s["point"], s["replicates"], s["stopped"]) for s in rep.stopping] == exp
    man = read_manifest(tmp_path / "b")
    assert man["adaptive"]["stopping"] == rep.stopping and man["status"] == "complete"
    assert man["runs_total"] == sum(n for _p, n, _s in exp) == rep.runs_done
    b = read_runs(tmp_path / "b")
    key = ["point", "replicate"]
    sub = data.merge(b[key], on=key).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(b, sub[b.columns], check_exact=True)
    # interrupted in round 2, then resumed: the same runs and stops
    real = sweep_mod.run_chunk

    def fails_late(ex_, runs):
        if any(r >= 2 for _p, r in runs):
            raise RuntimeError("interrupted")
        return real(ex_, runs)

    monkeypatch.setattr(sweep_mod, "run_chunk", fails_late)
    rep = sweep(ad, tmp_path / "c", chunk_size=1)
    assert not rep.complete and rep.failed_chunks > 0
    assert read_manifest(tmp_path / "c")["status"] == "failed chunks"
    monkeypatch.setattr(sweep_mod, "run_chunk", real)
    rep = sweep(ad, tmp_path / "c", chunk_size=3, retry_failed=True)
    assert rep.complete
    assert [(s["point"], s["replicates"], s["stopped"]) for s in rep.stopping] == exp
    pd.testing.assert_frame_equal(read_runs(tmp_path / "c"), b, check_exact=True)
    again = sweep(ad, tmp_path / "c", resume=True)
    assert again.already_complete and again.runs_this_session == 0


def test_target_ci_on_the_command_line(tmp_path, capsys):
    """--target-ci reports where each point stopped; bad values exit with 2."""
    f = tmp_path / "a.toml"
    f.write_text(ADAPTIVE)
    out = tmp_path / "out"
    assert main(["sweep", str(f), "--out", str(out), "--target-ci", "0.5",
                 "--max-replicates", "4", "--no-summary"]) == 0
    cap = capsys.readouterr()
    assert "3 of 3 points reached the target half-width 0.5" in cap.out
    man = read_manifest(out)
    assert man["adaptive"]["target_ci"] == 0.5 and man["adaptive"]["max_replicates"] == 4
    assert all(s["replicates"] == 2 for s in man["adaptive"]["stopping"])
    # another target is another experiment: refused for this directory
    assert main(["sweep", str(f), "--out", str(out), "--target-ci", "0.1", "--resume"]) == 2
    assert "different experiment" in capsys.readouterr().err
    assert main(["sweep", str(f), "--out", str(tmp_path / "x"), "--max-replicates",
                 "4"]) == 2
    assert "--max-replicates needs --target-ci" in capsys.readouterr().err
    assert main(["sweep", str(f), "--out", str(tmp_path / "x"), "--target-ci", "-1"]) == 2
    assert main(["sweep", str(f), "--out", str(tmp_path / "x"), "--target-ci", "0.1",
                 "--max-replicates", "1"]) == 2
    assert "below the replicates" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
