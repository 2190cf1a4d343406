"""Scenario files load, and every kind of bad input gets one clear message and exit code 2."""

from pathlib import Path

import pytest

from kooperationssim.cli import main
from kooperationssim.scenario import (
    ScenarioError,
    load_scenario,
    parse_assignment,
    resolve,
    scenario_files,
)

ROOT = Path(__file__).resolve().parent.parent


def test_scenario_dir_is_not_empty():
    names = {p.stem for p in scenario_files()}
    assert "mittelstadt" in names


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_every_scenario_loads(path):
    sc = load_scenario(path)
    assert sc.name
    assert sc.params["weeks"] >= 1


def test_mittelstadt_is_a_town_of_about_1200_births():
    sc = load_scenario(ROOT / "scenarios" / "mittelstadt.toml")
    assert 1100 <= sc.params["births_per_year"] <= 1300


def _write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


BAD = [
    # (file content, expected fragment of the message)
    ("[parameters]\ncoordinator_ftee = 1\n", "unknown parameter 'coordinator_ftee'"),
    ("[parameters]\ncoordinator_ftee = 1\n", "did you mean 'coordinator_fte'"),
    ("[parameters]\ncoordinator_fte = 12.0\n", "allowed [0, 8]"),
    ("[parameters]\nn_pediatric_practices = 2.5\n", "must be an integer"),
    ("[parameters]\nclearing_desk = \"yes\"\n", "must be a boolean"),
    ("[parameters]\ncoordinator_host = \"rathaus\"\n", "must be one of"),
    ("coordinator_fte = 1\n", "parameters belong in the [parameters] table"),
    ("[parameters\nx = 1\n", "malformed TOML"),
    ("[parameters]\nburden_share_medium = 0.8\nburden_share_multiple = 0.3\n", "exceeds 1"),
    (
        "[parameters]\nfunding_regime = \"custom\"\ncoordinator_fte = 1.0\n"
        "[[funding_streams]]\nname = \"land\"\neur_per_year = 50000\n"
        "pays_for = [\"lotsendienst\"]\n",
        "coordinator_fte = 1.0 but no funding stream pays for coordinator",
    ),
    (
        "[parameters]\nfunding_regime = \"custom\"\n"
        "[[funding_streams]]\nname = \"bund\"\neur_per_year = 90000\nstart_year = 3\n"
        "end_year = 1\npays_for = [\"coordinator\"]\n",
        "ends before it starts",
    ),
    (
        "[parameters]\nfunding_regime = \"custom\"\n"
        "[[funding_streams]]\nname = \"bund\"\neur_per_year = 90000\n"
        "pays_for = [\"coordinater\"]\n",
        "unknown use 'coordinater'",
    ),
    (
        "[[funding_streams]]\nname = \"bund\"\neur_per_year = 90000\n"
        "pays_for = [\"coordinator\"]\n",
        "set funding_regime = \"custom\"",
    ),
    ("[parameters]\nja_ga_cooperation = true\nhealth_office_liaison = false\n",
     "needs health_office_liaison = true"),
    ("[parameters]\nn_fh_providers = 1\nbirths_per_year = 3000\n", "each district needs"),
    ("[parameters]\nlotsendienst_coverage = 0.5\nn_maternity_clinics = 0\n"
     "clinic_birth_share = 0.0\n", "needs at least one maternity clinic"),
    ("[parameters]\ncoordinator_fte = 1.0\nfunding_amount_factor = 0.0\n", "no money pays"),
    ("name = \"x\"\nbudget = 3\n", "unknown top-level key 'budget'"),
]


@pytest.mark.parametrize("text,needle", BAD)
def test_bad_scenarios_raise_clear_errors(tmp_path, text, needle):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    assert needle in str(ei.value)


@pytest.mark.parametrize("text,needle", BAD)
def test_cli_exits_2_and_writes_nothing(tmp_path, capsys, text, needle):
    p = _write(tmp_path, text)
    out = tmp_path / "out"
    code = main(["run", str(p), "--weeks", "2", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert err.count("\n") == 1, "one message, one line"
    assert not out.exists()


def test_missing_file(tmp_path, capsys):
    code = main(["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "scenario file not found" in capsys.readouterr().err


def test_shipped_scenarios_load_by_bare_name_from_anywhere(tmp_path, monkeypatch):
    from kooperationssim import KooperationsModel

    monkeypatch.chdir(tmp_path)
    sc = load_scenario("mittelstadt")
    assert sc.path == ROOT / "scenarios" / "mittelstadt.toml"
    m = KooperationsModel.from_scenario("mittelstadt", rng=1, weeks=2)
    assert m.p["births_per_year"] == sc.params["births_per_year"]
    # a file of that name in the working directory comes first
    (tmp_path / "mittelstadt").write_text('name = "local"\n', encoding="utf-8")
    assert load_scenario("mittelstadt").name == "local"
    # a folder of that name (e.g. an output folder) does not hide the shipped scenario
    (tmp_path / "kleinstadt").mkdir()
    assert load_scenario("kleinstadt").path == ROOT / "scenarios" / "kleinstadt.toml"


def test_missing_scenario_hints_work_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match=r"did you mean 'mittelstadt'\?"):
        load_scenario("mittelstad")
    with pytest.raises(ScenarioError) as e:
        load_scenario("elsewhere/mittelstadt")  # not a bare name: not looked up
    hint = str(e.value).split("did you mean ", 1)[1].rstrip("?)")
    assert Path(hint).is_absolute() and Path(hint).is_file()
    with pytest.raises(ScenarioError, match="shipped names: .*mittelstadt"):
        load_scenario("atlantis")


def test_set_assignments():
    assert parse_assignment("coordinator_fte=2.5") == ("coordinator_fte", 2.5)
    assert parse_assignment("coordinator_host=gesundheitsamt") == (
        "coordinator_host", "gesundheitsamt")
    assert parse_assignment("clearing_desk=true") == ("clearing_desk", True)
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        parse_assignment("coordinator_fte")
    with pytest.raises(ScenarioError, match="unknown parameter"):
        parse_assignment("fte=1")
    with pytest.raises(ScenarioError, match="cannot read"):
        parse_assignment("coordinator_fte=lots")


def test_cli_bad_set_value(tmp_path, capsys):
    code = main(["run", "--set", "coordinator_fte=-1", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "out of bounds" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_set_errors_name_the_option_not_the_file(tmp_path, capsys):
    out = str(tmp_path / "o")
    assert main(["run", "mittelstadt", "--set", "coordinator_fte=-1", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kooperationssim: error: --set coordinator_fte: parameter "
                          "'coordinator_fte' = -1.0 is out of bounds")
    assert "mittelstadt.toml" not in err
    assert main(["run", "mittelstadt", "--weeks", "0", "--out", out]) == 2
    assert capsys.readouterr().err.startswith("kooperationssim: error: --weeks: ")
    # a combination the --set values make impossible names the file and the keys
    assert main(["run", "mittelstadt", "--set", "ja_ga_cooperation=true", "--set",
                 "health_office_liaison=false", "--out", out]) == 2
    assert "mittelstadt.toml with the overrides ja_ga_cooperation, health_office_liaison: " \
        "ja_ga_cooperation = true needs" in capsys.readouterr().err
    # a bad value in the file is still blamed on the file
    bad = _write(tmp_path, "[parameters]\ncoordinator_fte = 12.0\n")
    assert main(["run", str(bad), "--set", "trust_gain=0.1", "--out", out]) == 2
    assert f"{bad}: parameter 'coordinator_fte' = 12.0" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    with pytest.raises(ScenarioError, match="^override coordinator_fte: "):
        load_scenario("mittelstadt", extra={"coordinator_fte": -1})


def test_resolve_fills_defaults_and_keeps_overrides():
    p = resolve({"coordinator_fte": 2.0})
    assert p["coordinator_fte"] == 2.0
    assert p["births_per_year"] == 1000.0
    assert p["funding_streams"] == []


def test_custom_streams_are_accepted(tmp_path):
    p = _write(tmp_path, (
        "[parameters]\nfunding_regime = \"custom\"\ncoordinator_fte = 1.0\n"
        "[[funding_streams]]\nname = \"Bundesstiftung\"\nsource = \"bundesstiftung\"\n"
        "eur_per_year = 90000\nstart_year = 0\nend_year = 3\npays_for = [\"coordinator\"]\n"
    ))
    sc = load_scenario(p)
    (s,) = sc.funding_streams
    assert s.end_year == 3 and s.source == "bundesstiftung"


def test_shipped_files_are_found_without_the_repository(monkeypatch):
    """After a non-editable install the top-level directories are not there: the copies
    installed in the package (``kooperationssim/_scenarios``) are used."""
    import kooperationssim
    from kooperationssim import io

    pkg = Path(kooperationssim.__file__).resolve().parent
    assert io.shipped_dir("scenarios") == ROOT / "scenarios"  # the checkout comes first
    monkeypatch.setattr(io, "REPO_ROOT", ROOT / "does-not-exist")
    assert io.shipped_dir("scenarios") == pkg / "_scenarios"
    assert io.shipped_dir("experiments") == pkg / "_experiments"


def _installed_layout(site: Path) -> None:
    """Lay the package out in ``site`` as pyproject.toml tells setuptools to install it."""
    import shutil
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    st = conf["setuptools"]
    for pkg in st["packages"]:
        src = ROOT / st.get("package-dir", {}).get(pkg, pkg.replace(".", "/"))
        dst = site / pkg.replace(".", "/")
        dst.mkdir(parents=True, exist_ok=True)
        for f in src.glob("*.py"):
            shutil.copy(f, dst / f.name)
        for pattern in st.get("package-data", {}).get(pkg, []):
            for f in src.glob(pattern):
                shutil.copy(f, dst / f.name)


_INSTALLED_CHECK = """
import sys
from pathlib import Path
import kooperationssim
from kooperationssim.scenario import SCENARIO_DIR, load_scenario, scenario_files
from kooperationssim.experiment import EXPERIMENT_DIR, load_experiment
from kooperationssim.cli import main
site = Path(sys.argv[1])
assert Path(kooperationssim.__file__).is_relative_to(site), kooperationssim.__file__
assert SCENARIO_DIR == site / "kooperationssim" / "_scenarios", SCENARIO_DIR
assert EXPERIMENT_DIR == site / "kooperationssim" / "_experiments", EXPERIMENT_DIR
names = sorted(p.stem for p in scenario_files())
assert load_scenario("mittelstadt").params["births_per_year"] == 1200
assert load_experiment("staffing_funding").scenario == SCENARIO_DIR / "mittelstadt.toml"
assert main(["run", "kooperationssim", "--weeks", "2", "--quiet", "--out", "r"]) == 2
assert main(["run", "mittelstadt", "--weeks", "2", "--quiet", "--out", "r"]) == 0
print(" ".join(names))
"""


def test_installed_package_finds_its_scenarios_and_experiments(tmp_path):
    import os
    import subprocess
    import sys

    site = tmp_path / "site"
    _installed_layout(site)
    assert not (site / "scenarios").exists()
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONSAFEPATH="1")
    r = subprocess.run([sys.executable, "-c", _INSTALLED_CHECK, str(site)], cwd=tmp_path,
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == sorted(p.stem for p in scenario_files())
    assert (tmp_path / "r" / "summary.json").is_file()
