"""HTML reports: one self-contained file from a results directory or an experiment file."""

import base64
import re

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
