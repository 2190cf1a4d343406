"""Sweeps: a resumable, deterministic, fault-tolerant results store."""

import json
import os
import re
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
        if (5, 2) in runs:
            raise RuntimeError("injected failure in run (5, 2)")
        return real(ex_, runs)

    out = tmp_path / "out"
    monkeypatch.setattr(sweep_mod, "run_chunk", flaky)
    rep = sweep(ex, out, chunk_size=3)
    assert rep.failed_chunks == 1 and rep.runs_done == 15 and not rep.complete
    man = read_manifest(out)
    assert man["status"] == "failed chunks"
    (fail,) = man["failures"].values()
    assert "RuntimeError: injected failure in run (5, 2)" in fail["traceback"]
    # chunks run replicate by replicate within a structure (here points 4 and 5)
    assert sorted(map(tuple, fail["runs"])) == [(4, 2), (5, 1), (5, 2)]
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


def test_resume_after_sigkill_completes_without_duplicates(tmp_path, capsys):
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
    # while it runs, a second sweep into the same directory is refused (the lock of the
    # other process); the kill below releases the lock
    assert main(["sweep", str(exp), "--out", str(out), "--resume", "--quiet",
                 "--no-summary"]) == 2
    assert f"another sweep is writing to {out}" in capsys.readouterr().err
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
                      dashboard_address=sweep_mod.LOCAL_HTTP_ADDRESS,
                      scheduler_kwargs={"dashboard": False}, silence_logs=50) as cluster:
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


# ---------------------------------------------------------------------------
# bad input is refused before anything is written
# ---------------------------------------------------------------------------

TINY = """
[experiment]
name = "{name}"
scenario = "kleinstadt"
replicates = 2
weeks = {weeks}
seed = 1

[factors]
coordinator_fte = [0.5, 1.0]
"""


def _tiny(tmp_path: Path, name="tiny", weeks=4) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(TINY.format(name=name, weeks=weeks))
    return p


def _no_runs(monkeypatch):
    def refuse(ex_, runs):
        raise AssertionError("a chunk ran")

    monkeypatch.setattr(sweep_mod, "run_chunk", refuse)


@pytest.mark.parametrize("address, msg", [
    ("foo", "missing port number"),
    ("bla://x:1", "unknown address scheme"),
    # nothing listens on port 1 here; a sandbox may still intercept the connection, so
    # any of the ways of not reaching a scheduler is accepted
    ("tcp://127.0.0.1:1", "(Timed out|not answer|refused|reset|closed)"),
])
def test_bad_or_unreachable_scheduler_writes_nothing(tmp_path, monkeypatch, capsys,
                                                     address, msg):
    """A malformed or unreachable --scheduler: one message, exit 2, no directory."""
    monkeypatch.setattr(sweep_mod, "SCHEDULER_TIMEOUT", "1s")
    _no_runs(monkeypatch)
    ex = load_experiment(_tiny(tmp_path))
    out = tmp_path / "out"
    with pytest.raises(SweepError, match=f"--scheduler {address}: cannot connect.*{msg}"):
        sweep(ex, out, scheduler=address)
    assert not out.exists()
    assert main(["sweep", str(_tiny(tmp_path)), "--out", str(out), "--scheduler", address,
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--scheduler {address}" in err
    assert not out.exists()


@pytest.fixture
def not_a_scheduler():
    """A local service that accepts connections and then never answers ("silent") or
    answers with something that is not Dask's protocol ("garbage")."""
    import socket
    import threading

    servers = []

    def start(mode: str) -> str:
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        held = []
        servers.append((srv, held))

        def serve():
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                if mode == "garbage":
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 8)
                held.append(conn)

        threading.Thread(target=serve, daemon=True).start()
        return f"tcp://127.0.0.1:{srv.getsockname()[1]}"

    yield start
    for srv, held in servers:
        for conn in held:
            conn.close()
        srv.close()


@pytest.mark.parametrize("mode, msg", [
    ("silent", "Timed out: no answer within 1s"),
    ("garbage", "does not answer as a Dask scheduler"),
])
def test_a_service_that_is_not_a_scheduler_is_refused_in_time(tmp_path, monkeypatch, capsys,
                                                              not_a_scheduler, mode, msg):
    """A port that accepts but never answers made distributed.Client wait forever; the
    sweep now gives up after SCHEDULER_TIMEOUT with one message and writes nothing."""
    monkeypatch.setattr(sweep_mod, "SCHEDULER_TIMEOUT", "1s")
    _no_runs(monkeypatch)
    address = not_a_scheduler(mode)
    out = tmp_path / "out"
    t0 = time.monotonic()
    assert main(["sweep", str(_tiny(tmp_path)), "--out", str(out), "--scheduler", address,
                 "--quiet"]) == 2
    assert time.monotonic() - t0 < 30
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--scheduler {address}: cannot connect" in err
    assert msg in err
    assert not out.exists()


def test_a_tls_scheduler_is_reached_with_the_dask_tls_settings(tmp_path):
    """A tls:// scheduler is asked with the TLS settings of the Dask configuration, as
    distributed.Client connects to it (without them every TLS cluster was refused)."""
    import shutil

    import dask
    from distributed import LocalCluster
    from distributed.security import Security

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    cfg = {"distributed.comm.tls.ca-file": str(cert),
           "distributed.comm.tls.client.cert": str(cert),
           "distributed.comm.tls.client.key": str(key),
           "distributed.comm.tls.scheduler.cert": str(cert),
           "distributed.comm.tls.scheduler.key": str(key)}
    with dask.config.set(cfg), LocalCluster(n_workers=0, processes=False, protocol="tls",
                                            security=Security(), dashboard_address=None,
                                            silence_logs=40) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://")
        sweep_mod._probe_scheduler(address, "10s")  # no SweepError


def test_a_worker_address_is_not_taken_for_a_scheduler(tmp_path, monkeypatch, capsys):
    """--scheduler pointed at a Dask worker says so instead of hanging or failing later."""
    from distributed import LocalCluster

    monkeypatch.setattr(sweep_mod, "SCHEDULER_TIMEOUT", "5s")
    _no_runs(monkeypatch)
    out = tmp_path / "out"
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None,
                      silence_logs=40) as cluster:
        worker = next(iter(cluster.scheduler_info["workers"]))
        with pytest.raises(SweepError, match="is a Dask Worker, not a scheduler"):
            sweep(load_experiment(_tiny(tmp_path)), out, scheduler=worker)
    assert not out.exists()


@pytest.mark.parametrize("text, msg", [
    ("{bad", "not valid JSON"),
    ("[]", "expected a JSON object, found list"),
    ('{"experiment": 1}', "'experiment' is missing or not an object"),
    ('{"experiment": {"factors": [1]}}', "experiment.factors"),
    ("\xff\xfe", "cannot be read|not valid JSON"),
])
def test_damaged_manifest_is_bad_input_everywhere(tmp_path, capsys, text, msg):
    """A corrupt or wrong-shaped manifest.json: a clear message (exit 2) from sweep
    --resume, summarize and report; nothing is changed or written."""
    exp = _tiny(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--quiet", "--no-summary"]) == 0
    (out / "manifest.json").write_bytes(text.encode("latin-1"))
    before = sorted(p.name for p in out.rglob("*"))
    with pytest.raises(SweepError, match="manifest.json is damaged"):
        read_manifest(out)
    for args in (["sweep", str(exp), "--out", str(out), "--resume"],
                 ["summarize", str(out)],
                 ["report", str(out), "--out", str(tmp_path / "sub" / "r.html")]):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert "manifest.json is damaged" in err and "Traceback" not in err
        assert re.search(msg, err)
    assert sorted(p.name for p in out.rglob("*")) == before
    assert (out / "manifest.json").read_bytes() == text.encode("latin-1")
    assert not (tmp_path / "sub").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_out_that_cannot_be_created_is_refused_before_any_run(tmp_path, monkeypatch,
                                                              capsys):
    _no_runs(monkeypatch)
    exp = _tiny(tmp_path)
    ex = load_experiment(exp)
    with pytest.raises(SweepError, match="--out /proc/kx-test cannot be created"):
        sweep(ex, "/proc/kx-test")
    (tmp_path / "afile").write_text("x")
    for out in ("/proc/kx-test/sub", str(tmp_path / "afile" / "x" / "y")):
        assert main(["sweep", str(exp), "--out", out, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"--out {out}" in err and "Traceback" not in err


def test_chunk_size_too_large_for_memory_is_refused(tmp_path, monkeypatch):
    """A chunk that would not fit is bad input (not a failed chunk), counted per worker;
    the automatic chunk size is lowered to what fits, and the engine agrees."""
    import kooperationssim.vector_engine as ve

    ex = load_experiment(_write(tmp_path, reps=2, weeks=4))  # 6 points x 2 replicates
    per_run = sweep_mod.run_memory_bytes(ex)
    assert per_run > 0
    # memory for 3.5 runs (the engine allows 80 % of the available memory)
    avail = 3.5 * per_run / 0.8 / 1e9
    monkeypatch.setattr(ve, "_available_gb", lambda: avail)

    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started")

    monkeypatch.setattr(sweep_mod, "_dask_client", no_cluster)
    out = tmp_path / "out"
    with pytest.raises(SweepError, match="--chunk-size 4 is too large for memory.*"
                       "use --chunk-size 3 or less"):
        sweep(ex, out, chunk_size=4)
    with pytest.raises(SweepError, match="--chunk-size 2 is too large.*2 workers.*"
                       "use --chunk-size 1 or less"):
        sweep(ex, out, chunk_size=2, workers=2)
    assert not out.exists()
    # a chunk never holds more than the experiment's 12 runs: with memory for all of
    # them, a huge --chunk-size is not refused
    monkeypatch.setattr(ve, "_available_gb", lambda: 13 * per_run / 0.8 / 1e9)
    monkeypatch.setattr(sweep_mod, "_dask_client", no_cluster)
    rep_big = sweep(ex, tmp_path / "big", chunk_size=9000)
    assert rep_big.complete and rep_big.runs_done == 12
    monkeypatch.setattr(ve, "_available_gb", lambda: 3.5 * per_run / 0.8 / 1e9)
    monkeypatch.setattr(ve, "_available_gb", lambda: 0.5 * per_run / 0.8 / 1e9)
    with pytest.raises(SweepError, match="not enough memory for a single run"):
        sweep(ex, out)
    assert not out.exists()
    # automatic chunk size: lowered to what fits, and the engine runs every chunk
    monkeypatch.setattr(ve, "_available_gb", lambda: 1.5 * per_run / 0.8 / 1e9)
    rep = sweep(ex, out)
    assert rep.complete and rep.failed_chunks == 0
    assert read_manifest(out)["sessions"][0]["chunk_size"] == 1
    assert len(_chunk_files(out)) == ex.n_runs


def test_target_ci_needs_more_than_52_weeks(tmp_path, capsys):
    """reach_first_year has no value before week 53: an adaptive sweep of 52 weeks or
    less is refused instead of silently running the maximum replicates."""
    f = _tiny(tmp_path, weeks=52)
    ex = load_experiment(f).with_target(0.05, 6)
    with pytest.raises(SweepError, match="target_ci needs weeks > 52, got weeks = 52"):
        sweep(ex, tmp_path / "out")
    assert main(["sweep", str(f), "--out", str(tmp_path / "out"), "--target-ci", "0.05",
                 "--quiet"]) == 2
    assert "target_ci needs weeks > 52" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------
# code versions in the manifest
# ---------------------------------------------------------------------------


def _fake_git(monkeypatch, top: str, tracked: bool = True, status: str = "",
              untracked: str = ""):
    pkg = Path(sweep_mod.__file__).resolve().parent
    calls = []

    def fake(args, cwd):
        calls.append(args)
        if args[:2] == ["rev-parse", "--show-toplevel"]:
            return top + "\n"
        if args[0] == "ls-files":
            return "__init__.py\n" if tracked else None
        if args == ["rev-parse", "HEAD"]:
            return "a" * 40 + "\n"
        if args[0] == "status":
            return untracked if "--" in args else status
        raise AssertionError(args)

    monkeypatch.setattr(sweep_mod, "_git", fake)
    return pkg, calls


def test_git_commit_only_for_the_work_tree_that_holds_the_package(monkeypatch, tmp_path):
    pkg, _ = _fake_git(monkeypatch, str(tmp_path))  # some other repository
    assert sweep_mod._git_info() == {"git_commit": None, "git_dirty": None}
    assert sweep_mod._git_commit() is None
    # a repository around the package that does not track it (a venv in a clone)
    _fake_git(monkeypatch, str(pkg.parent), tracked=False)
    assert sweep_mod._git_info()["git_commit"] is None
    _fake_git(monkeypatch, str(pkg.parent))
    assert sweep_mod._git_info() == {"git_commit": "a" * 40, "git_dirty": False}
    _fake_git(monkeypatch, str(pkg.parent), status=" M README.md\n")
    assert sweep_mod._git_info()["git_dirty"] is True
    _fake_git(monkeypatch, str(pkg.parent), untracked="?? kooperationssim/new.py\n")
    assert sweep_mod._git_info()["git_dirty"] is True
    _fake_git(monkeypatch, str(pkg.parent),
              untracked="?? kooperationssim/__pycache__/x.cpython-312.pyc\n")
    assert sweep_mod._git_info()["git_dirty"] is False
    monkeypatch.setattr(sweep_mod, "_git", lambda args, cwd: None)  # no git at all
    assert sweep_mod._git_info() == {"git_commit": None, "git_dirty": None}


def test_resume_with_other_code_warns_and_records_each_session(tmp_path, monkeypatch,
                                                              capsys):
    ex = load_experiment(_tiny(tmp_path))
    out = tmp_path / "out"
    a = {"git_commit": "a" * 40, "git_dirty": False}
    b = {"git_commit": "b" * 40, "git_dirty": True}
    real = sweep_mod.run_chunk

    def flaky(ex_, runs):
        if any(r == 1 for _p, r in runs):
            raise RuntimeError("injected")
        return real(ex_, runs)

    monkeypatch.setattr(sweep_mod, "_git_info", lambda: dict(a))
    monkeypatch.setattr(sweep_mod, "run_chunk", flaky)
    rep = sweep(ex, out, chunk_size=2)
    assert rep.failed_chunks == 1 and not rep.warnings
    monkeypatch.setattr(sweep_mod, "run_chunk", real)
    # the same clean commit: no warning
    rep = sweep(ex, out, resume=True)
    assert not rep.warnings and "warning" not in capsys.readouterr().err
    monkeypatch.setattr(sweep_mod, "_git_info", lambda: dict(b))
    rep = sweep(ex, out, retry_failed=True)
    assert rep.complete
    err = capsys.readouterr().err
    assert "kooperationssim: warning:" in err and "may mix code versions" in err
    assert f"commit {'a' * 12}" in err and f"commit {'b' * 12} with uncommitted" in err
    assert rep.warnings and rep.warnings[0] in err
    man = read_manifest(out)
    assert man["git_commit"] == "a" * 40 and man["git_dirty"] is False
    assert [(s["git_commit"], s["git_dirty"]) for s in man["sessions"]] == [
        ("a" * 40, False), ("a" * 40, False), ("b" * 40, True)]
    assert "may mix code versions" in man["sessions"][-1]["warnings"][0]


# ---------------------------------------------------------------------------
# summarize: --x/--y, backends
# ---------------------------------------------------------------------------


def test_summarize_x_y_need_two_factors_and_are_checked_first(tmp_path, capsys):
    one = tmp_path / "one"
    assert main(["sweep", str(_tiny(tmp_path)), "--out", str(one), "--quiet",
                 "--no-summary"]) == 0
    for args in (["--x", "coordinator_fte"], ["--y", "coordinator_fte"]):
        assert main(["summarize", str(one), *args]) == 2
        err = capsys.readouterr().err
        assert "the heatmap needs two factors" in err and args[0] in err
    assert main(["summarize", str(one), "--x", "reach_first_year"]) == 2
    assert "'reach_first_year' is not a factor" in capsys.readouterr().err
    assert not (one / "summary.csv").exists()
    assert main(["summarize", str(one), "--quiet"]) == 0  # without --x/--y: fine
    two = tmp_path / "two"
    assert main(["sweep", str(_write(tmp_path, reps=2, weeks=4)), "--out", str(two),
                 "--quiet", "--no-summary"]) == 0
    assert main(["summarize", str(two), "--x", "funding_regime", "--y",
                 "funding_regime"]) == 2
    assert "must be different factors" in capsys.readouterr().err
    assert not (two / "summary.csv").exists()
    # --y alone naming the default x factor: x is the other factor
    assert main(["summarize", str(two), "--y", "coordinator_fte", "--quiet"]) == 0
    assert (two / "heatmap_reach_first_year_funding_regime_coordinator_fte.png").exists()


def test_summarize_does_not_switch_the_matplotlib_backend(tmp_path, monkeypatch):
    import matplotlib

    out = tmp_path / "out"
    assert main(["sweep", str(_write(tmp_path, reps=2, weeks=4)), "--out", str(out),
                 "--quiet", "--no-summary"]) == 0
    backend = matplotlib.get_backend()

    def refuse(*a, **k):
        raise AssertionError("matplotlib.use was called")

    monkeypatch.setattr(matplotlib, "use", refuse)
    from kooperationssim.summarize import summarize

    res = summarize(out)
    assert matplotlib.get_backend() == backend
    assert any(p.name.startswith("heatmap_") for p in res["files"])


def test_failed_chunks_message_names_retry_failed(tmp_path):
    rep = sweep_mod.SweepReport(tmp_path, 4, 2, 2, 1, 1.0)
    msg = sweep_mod.failed_chunks_message(rep)
    assert "1 chunk(s) failed" in msg and "--retry-failed" in msg
    assert str(tmp_path / "manifest.json") in msg


# ---------------------------------------------------------------------------
# one sweep at a time per results directory; directories that cannot be written
# ---------------------------------------------------------------------------


def _hold_lock(out: Path) -> int:
    """Take the results directory's lock as another sweep would (returns the fd)."""
    import fcntl

    fd = os.open(out / ".sweep.lock", os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _lock_is_free(out: Path) -> bool:
    import fcntl

    fd = os.open(out / ".sweep.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _snapshot(out: Path) -> dict[str, tuple[bytes | None, int]]:
    return {str(p.relative_to(out)): (p.read_bytes() if p.is_file() else None,
                                      p.stat().st_mtime_ns)
            for p in sorted(out.rglob("*"))}


def _partial_store(tmp_path: Path, monkeypatch, out: Path):
    """A store of the tiny experiment whose replicate 1 failed (a resume would write)."""
    exp = _tiny(tmp_path)
    ex = load_experiment(exp)
    real = sweep_mod.run_chunk

    def flaky(ex_, runs):
        if any(r == 1 for _p, r in runs):
            raise RuntimeError("injected")
        return real(ex_, runs)

    monkeypatch.setattr(sweep_mod, "run_chunk", flaky)
    rep = sweep(ex, out, chunk_size=2)
    assert rep.failed_chunks == 1 and rep.runs_done == 2
    monkeypatch.setattr(sweep_mod, "run_chunk", real)
    return exp, ex


def test_a_sweep_into_a_directory_another_sweep_writes_to_is_refused(tmp_path, monkeypatch,
                                                                      capsys):
    """The results directory is locked while a sweep writes: a second sweep, --resume or
    --retry-failed is refused with one message and nothing of the first is touched."""
    out = tmp_path / "out"
    exp, ex = _partial_store(tmp_path, monkeypatch, out)
    real = sweep_mod.run_chunk
    _no_runs(monkeypatch)
    fd = _hold_lock(out)  # another sweep is writing
    try:
        before = _snapshot(out)
        for extra in (["--resume"], ["--retry-failed"], []):
            assert main(["sweep", str(exp), "--out", str(out), "--no-summary", "--quiet",
                         *extra]) == 2, extra
            err = capsys.readouterr().err
            assert f"another sweep is writing to {out}; wait for it to finish" in err
            assert err.count("\n") == 1 and "Traceback" not in err
        with pytest.raises(SweepError, match="another sweep is writing to"):
            sweep(ex, out, retry_failed=True, chunk_size=1)
        assert _snapshot(out) == before
        # an empty directory that a starting sweep has locked
        new = tmp_path / "new"
        new.mkdir()
        fd_new = _hold_lock(new)
        try:
            with pytest.raises(SweepError, match=f"another sweep is writing to {new}"):
                sweep(ex, new)
            assert [p.name for p in new.iterdir()] == [".sweep.lock"]
        finally:
            os.close(fd_new)
    finally:
        os.close(fd)
    # two sweeps into a directory that did not exist: the one that locks it second
    # stops (the other one created the directory and holds the lock)
    race = tmp_path / "race"
    made = sweep_mod._make_out_dir
    held = []

    def make_and_lose(d):
        made(d)
        held.append(_hold_lock(d))

    monkeypatch.setattr(sweep_mod, "_make_out_dir", make_and_lose)
    try:
        with pytest.raises(SweepError, match=f"another sweep is writing to {race}"):
            sweep(ex, race)
    finally:
        for f in held:
            os.close(f)
    monkeypatch.setattr(sweep_mod, "_make_out_dir", made)
    assert not (race / "manifest.json").exists()
    # the lock is held while a sweep runs and released when it ends
    seen = []

    def check_lock(ex_, runs):
        seen.append(_lock_is_free(out))
        return real(ex_, runs)

    monkeypatch.setattr(sweep_mod, "run_chunk", check_lock)
    rep = sweep(ex, out, retry_failed=True)
    assert rep.complete and seen and not any(seen)
    assert _lock_is_free(out)
    # the lock file is no result: an empty directory with only the lock is empty
    assert sweep(ex, new).complete
    # a sweep refused before it writes leaves an empty directory empty
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SweepError, match="no results to resume"):
        sweep(ex, empty, resume=True)
    with pytest.raises(SweepError, match="--workers must be at least 1"):
        sweep(ex, empty, workers=0)
    monkeypatch.setattr(sweep_mod, "available_memory_gb", lambda: 1e-12)
    with pytest.raises(SweepError, match="not enough memory"):
        sweep(ex, empty)
    assert list(empty.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_out_is_refused_before_any_run(tmp_path, monkeypatch, capsys):
    store = tmp_path / "store"
    exp, ex = _partial_store(tmp_path, monkeypatch, store)
    _no_runs(monkeypatch)
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [(empty, [], empty), (store, ["--retry-failed"], store),
             (store, ["--resume"], store), (store, ["--retry-failed"], store / "runs.parquet")]
    try:
        for out, extra, locked in cases:
            locked.chmod(0o555)
            before = _snapshot(out)
            assert main(["sweep", str(exp), "--out", str(out), "--quiet", *extra]) == 2
            err = capsys.readouterr().err
            assert f"--out {out} is not writable" in err and str(locked) in err
            assert err.count("\n") == 1 and "Traceback" not in err
            assert _snapshot(out) == before
            locked.chmod(0o755)
    finally:
        for d in (empty, store, store / "runs.parquet"):
            d.chmod(0o755)


def test_resume_of_a_complete_store_has_nothing_to_do_before_memory_checks(
        tmp_path, monkeypatch, capsys):
    """A complete store: --resume says there is nothing to do, whatever the chunk size
    and the memory (the memory check would refuse)."""
    import kooperationssim.vector_engine as ve

    exp = _tiny(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--quiet", "--no-summary"]) == 0
    _no_runs(monkeypatch)
    monkeypatch.setattr(ve, "_available_gb", lambda: 1e-12)  # not even one run fits

    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started")

    monkeypatch.setattr(sweep_mod, "_dask_client", no_cluster)
    before = _chunk_files(out)
    for extra in (["--chunk-size", "4"], ["--chunk-size", "1", "--workers", "2"], []):
        assert main(["sweep", str(exp), "--out", str(out), "--resume", "--no-summary",
                     *extra]) == 0, extra
        err = capsys.readouterr().err
        assert "nothing to do" in err and "memory" not in err
    assert _chunk_files(out) == before


# ---------------------------------------------------------------------------
# the shape of manifest.json
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _complete_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    exp = _tiny(d)
    assert main(["sweep", str(exp), "--out", str(d / "out"), "--quiet", "--no-summary"]) == 0
    return exp, d / "out"


@pytest.mark.parametrize("key, value, msg", [
    ("failures", [1], "'failures' is not an object"),
    ("failures", {"chunk-x": 1}, "'failures.chunk-x' is not an object"),
    ("failures", {"chunk-x": {"traceback": "t"}}, "'failures.chunk-x.runs' is missing"),
    ("failures", {"chunk-x": {"runs": [1]}}, r"'failures.chunk-x.runs' .*pairs"),
    ("failures", {"chunk-x": {"runs": [[0, [1]]]}}, r"'failures.chunk-x.runs' .*pairs"),
    ("failures", {"chunk-x": {"runs": [[0, 1, 2]]}}, r"'failures.chunk-x.runs' .*pairs"),
    ("failures", {"chunk-x": {"runs": [[0, 1]], "traceback": 5}},
     "'failures.chunk-x.traceback' is not a string"),
    ("sessions", "abc", "'sessions' is not a list"),
    ("sessions", [1], r"'sessions\[0\]' is not an object"),
    ("sessions", [{"workers": "x"}], r"'sessions\[0\].workers' is not a positive integer"),
    ("sessions", [{"started": "x"}, {"wall_s": "1"}], r"'sessions\[1\].wall_s' is not a "),
    ("sessions", [{"git_commit": 5}], r"'sessions\[0\].git_commit' is not a string"),
    ("sessions", [{"git_dirty": "no"}], r"'sessions\[0\].git_dirty' is not true"),
    ("sessions", [{"warnings": "w"}], r"'sessions\[0\].warnings' is not a list"),
])
def test_damaged_failures_or_sessions_are_refused_naming_the_key(_complete_store, tmp_path,
                                                                 capsys, key, value, msg):
    """Hand-edited failures or sessions of the wrong shape: one message naming the key
    (exit 2) from sweep --resume/--retry-failed, summarize and report, never a
    traceback; nothing is changed."""
    import shutil

    exp, src = _complete_store
    out = tmp_path / "out"
    shutil.copytree(src, out)
    man = json.loads((out / "manifest.json").read_text())
    man[key] = value
    # runs 1 and 2 missing: a resume would have something to do
    man["runs_done"] = 2
    (out / "manifest.json").write_text(json.dumps(man))
    for f in sorted((out / "runs.parquet").iterdir())[2:]:
        f.unlink()
    before = _snapshot(out)
    with pytest.raises(SweepError, match=f"manifest.json is damaged: {msg}"):
        read_manifest(out)
    for args in (["sweep", str(exp), "--out", str(out), "--resume"],
                 ["sweep", str(exp), "--out", str(out), "--retry-failed"],
                 ["summarize", str(out)],
                 ["report", str(out), "--out", str(tmp_path / "r.html")]):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert "manifest.json is damaged" in err and "Traceback" not in err
        assert re.search(msg, err), err
    assert _snapshot(out) == before
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------------------
# code versions, git and the cluster
# ---------------------------------------------------------------------------


def test_resume_of_a_store_without_per_session_commits_warns(tmp_path, monkeypatch, capsys):
    """Sessions of an older kooperationssim recorded no commit: a resume warns that
    their code is unknown, even when the store's first commit matches."""
    out = tmp_path / "out"
    a = {"git_commit": "a" * 40, "git_dirty": False}
    monkeypatch.setattr(sweep_mod, "_git_info", lambda: dict(a))
    _exp, ex = _partial_store(tmp_path, monkeypatch, out)
    man = json.loads((out / "manifest.json").read_text())
    for s in man["sessions"]:  # as before git commits were recorded per session
        del s["git_commit"], s["git_dirty"], s["kooperationssim_version"]
    (out / "manifest.json").write_text(json.dumps(man))
    rep = sweep(ex, out, retry_failed=True)
    assert rep.complete
    err = capsys.readouterr().err
    assert len(rep.warnings) == 1 and rep.warnings[0] in err
    w = rep.warnings[0]
    assert "the code of 1 earlier session" in w and "unknown" in w
    assert "may mix code versions" in w and f"commit {'a' * 12}" in w
    assert read_manifest(out)["sessions"][-1]["warnings"] == rep.warnings
    # later: one session unknown, the other one ran the same commit
    man = read_manifest(out)
    w = sweep_mod._code_warning(man, a)
    assert "the code of 1 earlier session" in w
    assert f"the other sessions ran commit {'a' * 12}" in w
    # nothing known about the code of any session (no git): nothing to compare
    nothing = {"git_commit": None, "git_dirty": None}
    assert sweep_mod._code_warning({**man, **nothing, "sessions": [{}]}, nothing) is None
    # every session recorded the same clean commit: no warning
    assert sweep_mod._code_warning({**man, "sessions": [dict(a), dict(a)]}, a) is None


def test_git_status_takes_no_optional_locks(monkeypatch):
    """The dirty check must not take the index lock (it would disturb the user's git)."""
    pkg = Path(sweep_mod.__file__).resolve().parent
    calls = []

    def fake_run(cmd, **kw):
        calls.append(list(cmd))
        sub = [c for c in cmd[1:] if not c.startswith("-")][0]
        out = {"rev-parse": "a" * 40 + "\n", "ls-files": "__init__.py\n",
               "status": ""}[sub]
        if "--show-toplevel" in cmd:
            out = str(pkg.parent) + "\n"
        return subprocess.CompletedProcess(cmd, 0, out, "")

    monkeypatch.setattr(sweep_mod.subprocess, "run", fake_run)
    assert sweep_mod._git_info() == {"git_commit": "a" * 40, "git_dirty": False}
    status = [c for c in calls if "status" in c]
    assert len(status) == 2
    for c in status:
        assert c[:3] == ["git", "--no-optional-locks", "status"], c


def test_local_cluster_opens_no_dashboard_on_port_8787(recwarn):
    """--workers N: the local cluster's web server is on a free port of this machine
    only, never the dashboard port 8787 (other users, Jupyter); no Bokeh dashboard."""
    with sweep_mod._dask_client(1, None) as client:
        services = client.scheduler_info().get("services", {})
        address = client.cluster.scheduler.http_server.address
    assert 8787 not in services.values()
    assert address in ("127.0.0.1", "::1"), address
    assert not [w for w in recwarn if "8787" in str(w.message)]
