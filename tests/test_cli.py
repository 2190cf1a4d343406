"""`kooperationssim run`: files, formats, exit codes, and nothing overwritten."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from kooperationssim.cli import main
from kooperationssim.outputs import SERIES_KEYS, SUMMARY_KEYS
from kooperationssim.params import PARAMS

ROOT = Path(__file__).resolve().parent.parent


def test_run_writes_summary_series_and_figure(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", str(ROOT / "scenarios" / "mittelstadt.toml"), "--weeks", "60",
                 "--rng", "5", "--set", "coordinator_fte=2", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    for k in SUMMARY_KEYS:
        assert k in printed
    assert sorted(p.name for p in out.iterdir()) == ["figure.png", "series.csv", "summary.json"]
    s = json.loads((out / "summary.json").read_text())
    assert s["seed"] == 5 and s["weeks"] == 60
    assert s["kooperationssim_version"]
    assert set(SUMMARY_KEYS) <= set(s["outputs"])
    assert {p.name for p in PARAMS} <= set(s["parameters"])
    assert s["parameters"]["coordinator_fte"] == 2.0
    assert s["scenario"]["overrides"]["coordinator_fte"] == 2
    df = pd.read_csv(out / "series.csv")
    assert list(df.columns) == list(SERIES_KEYS)
    assert len(df) == 60 and df["week"].tolist() == list(range(60))
    assert (out / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_json_replays_the_run(tmp_path):
    out1, out2 = tmp_path / "a", tmp_path / "b"
    assert main(["run", "--weeks", "40", "--out", str(out1), "--quiet"]) == 0
    s = json.loads((out1 / "summary.json").read_text())
    overrides = [f"weeks={s['weeks']}"]
    assert main(["run", "--rng", str(s["seed"]), "--out", str(out2), "--quiet",
                 *[x for o in overrides for x in ("--set", o)]]) == 0
    assert (out1 / "series.csv").read_bytes() == (out2 / "series.csv").read_bytes()


def test_existing_results_are_never_overwritten(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("precious")
    code = main(["run", "--weeks", "5", "--out", str(out)])
    assert code == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "summary.json").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]


def test_bad_seed_and_unusable_out_are_refused(tmp_path, capsys):
    for bad in ("-3", "1.5", "abc"):
        assert main(["run", "--weeks", "5", "--rng", bad, "--out", str(tmp_path / "r")]) == 2
        assert "--rng: must be a non-negative integer" in capsys.readouterr().err
    blocker = tmp_path / "afile"
    blocker.write_text("keep")
    assert main(["run", "--weeks", "5", "--out", str(blocker / "sub")]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err
    assert blocker.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_results_directory_follows_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        assert main(["run", "--weeks", "5", "--rng", "1", "--out", str(tmp_path / "r")]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o755


def test_console_script_and_module_entry_points(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kooperationssim", "params", "--json"],
                       capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)[0]["name"] == "weeks"
    r = subprocess.run([sys.executable, "-m", "kooperationssim", "run", "--set", "nope=1"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2
    assert "unknown parameter 'nope'" in r.stderr
    assert not (tmp_path / "runs").exists()


def test_internal_error_exits_1(monkeypatch, capsys, tmp_path):
    import kooperationssim.cli as cli

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "run_one", boom)
    assert main(["run", "--weeks", "2", "--out", str(tmp_path / "x")]) == 1
    assert "internal error" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_both_engines_write_the_same_files(tmp_path):
    a, b = tmp_path / "mesa", tmp_path / "numpy"
    args = [str(ROOT / "scenarios" / "mittelstadt.toml"), "--weeks", "70", "--rng", "3",
            "--quiet"]
    assert main(["run", *args, "--engine", "mesa", "--out", str(a)]) == 0
    assert main(["run", *args, "--out", str(b)]) == 0  # numpy is the default
    assert (a / "series.csv").read_bytes() == (b / "series.csv").read_bytes()
    sa = json.loads((a / "summary.json").read_text())
    sb = json.loads((b / "summary.json").read_text())
    assert sa["engine"] == "mesa" and sb["engine"] == "numpy"
    assert sa["outputs"] == sb["outputs"]
    assert sa["parameters"] == sb["parameters"] and sa.keys() == sb.keys()
