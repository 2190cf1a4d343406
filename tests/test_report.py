"""HTML reports: one self-contained file from a results directory or an experiment file."""

import base64
import re
from pathlib import Path

import pytest

from kooperationssim.cli import main
from kooperationssim.sweep import read_manifest

EXP = """
[experiment]
name = "tiny_report"
scenario = "kleinstadt"
replicates = 2
weeks = 70
seed = 4
series = {series}

[factors]
coordinator_fte = [0.0, 1.0]
"""


def _self_contained(text: str) -> None:
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", text, re.I)
    assert "http://" not in text and "https://" not in text
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert imgs, "no embedded figure"
    for b in imgs:
        assert base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A tiny sweep with weekly series."""
    d = tmp_path_factory.mktemp("rep")
    f = d / "exp.toml"
    f.write_text(EXP.format(series="true"))
    assert main(["sweep", str(f), "--out", str(d / "res"), "--quiet"]) == 0
    return d / "res"


def test_report_of_results_directory(results, tmp_path, capsys):
    """Comparison table, figures and manifest in one file; never overwritten."""
    out = tmp_path / "r.html"
    assert main(["report", str(results), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    _self_contained(text)
    assert "coordinator_fte=0" in text and "coordinator_fte=1" in text
    assert "eur_per_additional_family" in text and "reach_first_year" in text
    assert read_manifest(results)["spec_hash"] in text  # the manifest is in it
    assert "Run manifest" in text
    n_img = text.count("data:image/png;base64,")
    assert n_img >= 4  # differences, cost per family, weekly bands, the sweep's plot
    before = out.read_bytes()
    assert main(["report", str(results), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_report_of_experiment_file_runs_it(results, tmp_path):
    """An experiment file runs in this process with its own replicates and seed: the same
    comparison as the report of the sweep's results.
    """
    f = tmp_path / "exp.toml"
    f.write_text(EXP.format(series="true"))
    a, b = tmp_path / "a.html", tmp_path / "sub" / "b.html"
    assert main(["report", str(results), "--out", str(a), "--quiet"]) == 0
    assert main(["report", str(f), "--out", str(b), "--quiet"]) == 0
    text = b.read_text(encoding="utf-8")
    _self_contained(text)
    assert "tiny_report" in text and '"replicates": 2' in text

    def table(p):
        t = p.read_text(encoding="utf-8")
        return t[t.index("<h2>Comparison</h2>"):t.index("<h2>Figures</h2>")]

    assert table(a) == table(b)


@pytest.mark.parametrize("source, out, msg", [
    ("nowhere", "r.html", "source not found"),
    (".", "r.html", "not a results directory"),
    ("exp.toml", "r.txt", "name it \\*.html"),
])
def test_bad_report_input(tmp_path, monkeypatch, capsys, source, out, msg):
    """Bad input exits with 2 and one message."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp.toml").write_text(EXP.format(series="false"))
    assert main(["report", source, "--out", out]) == 2
    assert re.search(msg, capsys.readouterr().err)
    assert not (tmp_path / out).exists()


TINY = """
[experiment]
name = "tiny_progress"
scenario = "kleinstadt"
replicates = 2
weeks = {weeks}
seed = 1
{extra}
[factors]
coordinator_fte = [0.5, 1.0]
"""


def _tiny(tmp_path, weeks=4, extra=""):
    f = tmp_path / "tiny.toml"
    f.write_text(TINY.format(weeks=weeks, extra=extra))
    return f


def test_report_of_experiment_file_shows_progress(tmp_path, capsys):
    """The runs of an experiment file report their progress on stderr, as sweep does."""
    from kooperationssim.report import write_report

    f = _tiny(tmp_path)
    write_report(f, tmp_path / "a.html", progress=True)
    err = capsys.readouterr().err
    assert "report 'tiny_progress': 2 design points x 2 replicates = 4 runs of 4 weeks" in err
    assert "runs 4/4 (100 %)" in err
    calls = []
    write_report(f, tmp_path / "b.html", progress=lambda *a: calls.append(a))
    assert calls[0][:2] == (0, 4) and calls[-1][:2] == (4, 4)
    assert all(len(c) == 3 and c[2] >= 0 for c in calls)
    assert capsys.readouterr().err == ""  # a callback replaces the printed lines


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("where, msg", [
    ("/proc/kx-test/r.html", "cannot be written"),
    ("afile/r.html", "exists and is not a directory"),
    ("afile/x/r.html", "exists and is not a directory"),
])
def test_out_that_cannot_be_written_is_refused_before_the_runs(tmp_path, monkeypatch,
                                                               capsys, where, msg):
    """An --out that cannot be created: exit 2 with one message, before any run."""
    import kooperationssim.compare as compare_mod

    def refuse(*a, **k):
        raise AssertionError("the runs started")

    monkeypatch.setattr(compare_mod, "run_comparison", refuse)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    f = _tiny(tmp_path)
    assert main(["report", str(f), "--out", where]) == 2
    err = capsys.readouterr().err
    assert f"--out {where}" in err and msg in err and "Traceback" not in err
    assert (tmp_path / "afile").read_text() == "x"


def test_failed_report_leaves_nothing_behind(tmp_path, monkeypatch, capsys):
    """Folders created for --out are removed again when the report fails."""
    import kooperationssim.compare as compare_mod

    def boom(*a, **k):
        raise RuntimeError("injected")

    monkeypatch.setattr(compare_mod, "run_comparison", boom)
    with pytest.raises(RuntimeError, match="injected"):
        from kooperationssim.report import write_report

        write_report(_tiny(tmp_path), tmp_path / "new" / "deeper" / "r.html")
    assert not (tmp_path / "new").exists()


def test_report_target_ci_needs_more_than_52_weeks(tmp_path, capsys):
    f = _tiny(tmp_path, weeks=52, extra="target_ci = 0.05\n")
    assert main(["report", str(f), "--out", str(tmp_path / "sub" / "r.html")]) == 2
    assert "target_ci needs weeks > 52" in capsys.readouterr().err
    assert not (tmp_path / "sub").exists()


def _no_hard_links(*a, **k):
    raise PermissionError(1, "Operation not permitted")


@pytest.mark.parametrize("links", [True, False], ids=["hard-links", "no-hard-links"])
def test_file_appearing_at_out_while_the_report_runs_is_kept(tmp_path, monkeypatch,
                                                             capsys, links):
    """A file another process creates at --out during the runs is never replaced."""
    import kooperationssim.report as report_mod

    if not links:
        monkeypatch.setattr(report_mod.os, "link", _no_hard_links)
    out = tmp_path / "r.html"
    real = report_mod.comparison_html

    def late(*a, **k):
        out.write_text("written by another process", encoding="utf-8")
        return real(*a, **k)

    monkeypatch.setattr(report_mod, "comparison_html", late)
    assert main(["report", str(_tiny(tmp_path)), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert out.read_text(encoding="utf-8") == "written by another process"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "tiny.toml"]


def test_report_without_hard_links(tmp_path, monkeypatch):
    """Where the file system has no hard links, the report is still written whole."""
    import kooperationssim.report as report_mod

    monkeypatch.setattr(report_mod.os, "link", _no_hard_links)
    out = report_mod.write_report(_tiny(tmp_path), tmp_path / "r.html")
    _self_contained(out.read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "tiny.toml"]


def test_temporary_file_has_a_unique_name(tmp_path, monkeypatch):
    """Another report's temporary file beside --out is neither reused nor removed."""
    from kooperationssim.report import write_report

    other = tmp_path / ".r.html.tmp"
    other.write_text("another report's temporary file", encoding="utf-8")
    out = write_report(_tiny(tmp_path), tmp_path / "r.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert other.read_text(encoding="utf-8") == "another report's temporary file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".r.html.tmp", "r.html",
                                                          "tiny.toml"]


def test_report_accepts_the_name_of_a_shipped_experiment(tmp_path, monkeypatch, capsys):
    """A bare name is a shipped experiment, as for ``sweep`` and ``sensitivity``."""
    import kooperationssim.experiment as experiment_mod

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    _tiny(shipped)
    monkeypatch.setattr(experiment_mod, "EXPERIMENT_DIR", shipped)
    monkeypatch.chdir(tmp_path)
    assert main(["report", "tiny", "--out", "r.html", "--quiet"]) == 0
    assert "tiny_progress" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert main(["report", "tinny", "--out", "s.html"]) == 2
    err = capsys.readouterr().err
    assert "source not found: tinny" in err and "did you mean 'tiny'?" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "s.html").exists()


def test_report_loads_the_real_shipped_experiment(tmp_path, monkeypatch):
    """``staffing_funding`` resolves to the shipped file (the runs are cut short here)."""
    import kooperationssim.compare as compare_mod
    from kooperationssim.report import write_report

    seen = {}

    class Stop(Exception):
        pass

    def stop(specs, **k):
        seen["points"] = len(specs)
        raise Stop

    monkeypatch.setattr(compare_mod, "run_comparison", stop)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Stop):
        write_report("staffing_funding", "r.html")
    assert seen["points"] == 52
    assert list(tmp_path.iterdir()) == []


CLOSE = """
[experiment]
name = "close_values"
scenario = "kleinstadt"
replicates = 2
weeks = 4
seed = 3

[factors]
coordinator_fte = [0.12345, 0.12346, 1.0]
"""


def _scenarios(text: str) -> list[str]:
    table = text[text.index("<h2>Comparison</h2>"):text.index("<h2>Figures</h2>")]
    return sorted({m for m in re.findall(r"<tr><td>([^<]*)</td>", table)})


@pytest.mark.parametrize("via", ["experiment", "results"])
def test_close_factor_values_stay_separate_design_points(tmp_path, via):
    """Values equal to 4 significant digits get distinct labels and are not merged."""
    f = tmp_path / "close.toml"
    f.write_text(CLOSE)
    source = f
    if via == "results":
        source = tmp_path / "res"
        assert main(["sweep", str(f), "--out", str(source), "--quiet", "--no-summary"]) == 0
    out = tmp_path / "r.html"
    assert main(["report", str(source), "--out", str(out), "--quiet"]) == 0
    assert _scenarios(out.read_text(encoding="utf-8")) == [
        "coordinator_fte=0.12345", "coordinator_fte=0.12346", "coordinator_fte=1"]


def test_design_labels_are_unique():
    """Short labels where they suffice; more digits (for every value of that factor),
    then the point number, where not.
    """
    from kooperationssim.report import _design_labels

    pts = [{"a": 0.5, "b": "x"}, {"a": 0.12345, "b": "x"}, {"a": 0.12346, "b": "x"},
           {"a": 1 / 3, "b": "y"}]
    assert _design_labels(pts, ["a", "b"]) == [
        "a=0.5, b=x", "a=0.12345, b=x", "a=0.12346, b=x", "a=0.33333, b=y"]
    assert _design_labels([{"a": 1.0}, {"a": 1.0}], ["a"]) == ["a=1", "a=1 (point 1)"]
    assert _design_labels([{"a": 0.25}, {"a": 2.0}], ["a"]) == ["a=0.25", "a=2"]
    assert _design_labels([{}, {}], []) == ["point 0", "point 1"]
