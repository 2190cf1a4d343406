"""`kooperationssim run`: files, formats, exit codes, and nothing overwritten."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

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


def _no_simulation(monkeypatch):
    import kooperationssim.cli as cli

    def refuse(*a, **k):
        raise AssertionError("simulated although the output cannot be written")

    monkeypatch.setattr(cli, "run_one", refuse)


def test_unwritable_out_is_refused_before_simulating(tmp_path, capsys, monkeypatch):
    _no_simulation(monkeypatch)
    blocker = tmp_path / "afile"
    blocker.write_text("keep")
    assert main(["run", "--weeks", "5", "--out", str(blocker / "a" / "b")]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err
    if Path("/proc/self").is_dir():  # a directory that accepts no new directories
        for out in ("/proc/kooperationssim-test", "/proc/kooperationssim-test/run"):
            assert main(["run", "--weeks", "5", "--out", out]) == 2
            err = capsys.readouterr().err
            # root may write in /proc (and fails to create), others may not
            assert (f"--out {out}: cannot create the directory" in err
                    or f"--out {out}: the parent folder /proc is not writable" in err), err
            assert err.count("\n") == 1
    assert blocker.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    # the default directory runs/NAME-TIME is checked as well
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").write_text("keep")
    assert main(["run", "--weeks", "5"]) == 2
    err = capsys.readouterr().err
    assert "output directory runs/default-" in err
    assert "runs exists and is not a directory" in err
    assert (tmp_path / "runs").read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_out_below_a_read_only_parent_names_the_parent(tmp_path, capsys, monkeypatch):
    """--out in (or below) a folder without write permission: the message says that
    the parent folder is not writable, not only that the directory cannot be made."""
    _no_simulation(monkeypatch)
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "empty").mkdir()
    ro.chmod(0o555)
    try:
        for out in (ro / "run", ro / "a" / "b" / "run", ro / "empty"):
            assert main(["run", "--weeks", "5", "--out", str(out)]) == 2
            err = capsys.readouterr().err
            assert err == (f"kooperationssim: error: --out {out}: the parent folder "
                           f"{out.parent if out.parent.exists() else ro} is not writable "
                           "(Permission denied; nothing was written)\n"), err
        # the default directory runs/NAME-TIME below a read-only runs/
        monkeypatch.chdir(ro)
        assert main(["run", "--weeks", "5"]) == 2
        err = capsys.readouterr().err
        assert "output directory runs/default-" in err
        assert f"the parent folder {Path.cwd()} is not writable" in err, err
        assert err.count("\n") == 1
        assert sorted(p.name for p in ro.iterdir()) == ["empty"]
        # an existing, empty --out without write permission
        (ro / "empty").chmod(0o555)
        ro.chmod(0o755)
        assert main(["run", "--weeks", "5", "--out", str(ro / "empty")]) == 2
        err = capsys.readouterr().err
        assert err == (f"kooperationssim: error: --out {ro / 'empty'} is not writable "
                       "(Permission denied; nothing was written)\n"), err
    finally:
        ro.chmod(0o755)
        (ro / "empty").chmod(0o755)


def test_out_is_created_before_simulating_and_removed_on_failure(tmp_path, capsys,
                                                                 monkeypatch):
    import kooperationssim.cli as cli

    out = tmp_path / "new" / "deeper" / "run"
    seen = {}

    def boom(*a, **k):
        seen["exists"] = out.is_dir() and not any(out.iterdir())
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_one", boom)
    assert main(["run", "--weeks", "2", "--out", str(out)]) == 130
    assert seen["exists"], "the output directory is claimed before the simulation"
    assert list(tmp_path.iterdir()) == [], "directories made for the run are removed"
    keep = tmp_path / "empty"
    keep.mkdir()
    assert main(["run", "--weeks", "2", "--out", str(keep)]) == 130
    assert keep.is_dir(), "a directory the user made is kept"


def test_default_run_directories_are_safe_and_unique(tmp_path, monkeypatch, capsys):
    import datetime as dt

    import kooperationssim.cli as cli

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(cli, "datetime", Frozen)  # every run starts in the same second
    monkeypatch.setattr("kooperationssim.plotting.run_figure",
                        lambda series, path, title: path.write_bytes(b""))
    monkeypatch.chdir(tmp_path)
    for name, text in (("slash", 'name = "a/b"\n'), ("empty", 'name = ""\n'),
                       ("up", 'name = "../../Münster Süd"\n')):
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    for name in ("slash", "slash", "empty", "up"):
        assert main(["run", f"{name}.toml", "--weeks", "2", "--rng", "1", "--quiet"]) == 0
    made = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert made == ["Muenster-Sued-20260102-030405", "a-b-20260102-030405",
                    "a-b-20260102-030405-2", "scenario-20260102-030405"]
    for d in made:
        assert (tmp_path / "runs" / d / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["runs"]
    assert not list(tmp_path.parent.glob("Muenster*"))


def test_unique_out_dir_claims_each_name_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from kooperationssim.io import slugify, unique_out_dir

    with ThreadPoolExecutor(8) as pool:
        dirs = list(pool.map(lambda _: unique_out_dir(tmp_path / "runs", "x")[0], range(16)))
    assert len(set(dirs)) == 16
    assert sorted(d.name for d in dirs) == sorted(["x"] + [f"x-{i}" for i in range(2, 17)])
    assert slugify("../..", "fallback") == "fallback"
    assert slugify("Frühe Hilfen: Köln/Süd", "x") == "Fruehe-Hilfen-Koeln-Sued"


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
    script = Path(sys.executable).parent / "kooperationssim"  # the console script
    assert script.is_file(), f"the console script {script} is not installed"
    for cmd in ([sys.executable, "-m", "kooperationssim"], [str(script)]):
        r = subprocess.run([*cmd, "run", "--set", "nope=1"], capture_output=True, text=True,
                           cwd=tmp_path)
        assert r.returncode == 2
        assert "unknown parameter 'nope'" in r.stderr
        assert r.stderr.startswith("kooperationssim: error: ")
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


def test_dashboard_names_the_missing_packages_correctly(monkeypatch, capsys):
    import kooperationssim.dashboard.server as server

    real = server.importlib.util.find_spec
    monkeypatch.setattr(server.importlib.util, "find_spec",
                        lambda name, *a: None if name == "solara" else real(name, *a))
    assert main(["dashboard", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "needs the packages solara and altair" in err
    assert "pip install solara altair" in err
    assert "[dashboard]" not in err  # there is no such extra


_TELEMETRY = """
import os
import solara.server.settings as settings  # `solara run` reads its settings first
import kooperationssim.dashboard.app as app
KEY = "SOLARA_TELEMETRY_MIXPANEL_ENABLE"
def show():
    env = {k: v for k, v in os.environ.items() if k.upper() == KEY}
    print(env, settings.telemetry.mixpanel_enable)
show()
# a value the user set (in any case) is kept
del os.environ[KEY]
os.environ[KEY.lower()] = "true"
settings.telemetry.mixpanel_enable = True
app._telemetry_off()
show()
"""


def test_dashboard_app_switches_telemetry_off_unless_the_user_set_it():
    import os

    env = {k: v for k, v in os.environ.items()
           if k.upper() != "SOLARA_TELEMETRY_MIXPANEL_ENABLE"}
    r = subprocess.run([sys.executable, "-c", _TELEMETRY], capture_output=True, text=True,
                       env=env, check=True)
    assert r.stdout.splitlines()[-2:] == [
        "{'SOLARA_TELEMETRY_MIXPANEL_ENABLE': 'False'} False",
        "{'solara_telemetry_mixpanel_enable': 'true'} True",
    ]
