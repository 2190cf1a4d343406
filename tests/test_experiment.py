"""Experiment files are validated as strictly as scenarios; designs are deterministic."""

from pathlib import Path

import pytest

from kooperationssim.cli import main
from kooperationssim.experiment import (
    EXPERIMENT_DIR,
    ExperimentError,
    experiment_from_dict,
    load_experiment,
)
from kooperationssim.params import PARAMS_BY_NAME


def _exp(factors, **kw):
    data = {"experiment": {"replicates": 2, "weeks": 10, "seed": 1, **kw.pop("experiment", {})},
            "factors": factors}
    data.update(kw)
    return experiment_from_dict(data)


def test_every_shipped_experiment_loads():
    files = sorted(EXPERIMENT_DIR.glob("*.toml"))
    assert files
    for f in files:
        if "[sensitivity]" in f.read_text(encoding="utf-8"):
            from kooperationssim.sensitivity import load_sensitivity

            ex = load_sensitivity(f).experiment
            with pytest.raises(ExperimentError, match="kooperationssim sensitivity"):
                load_experiment(f)
        else:
            ex = load_experiment(f)
        assert ex.n_runs == len(ex.points) * ex.replicates > 0


def test_canonical_sweep_design():
    ex = load_experiment(EXPERIMENT_DIR / "staffing_funding.toml")
    assert ex.replicates == 100 and ex.weeks == 520
    assert ex.scenario is not None and ex.scenario.name == "mittelstadt.toml"
    fte = sorted({p["coordinator_fte"] for p in ex.points})
    assert fte == [i * 0.25 for i in range(13)]
    assert {p["funding_regime"] for p in ex.points} == {
        "permanent", "project", "project_then_municipal", "foundation_gap_municipal"}
    assert len(ex.points) == 52 and ex.n_runs == 5200
    assert ex.base["funding_project_years"] == 3
    assert ex.base["funding_foundation_years"] == 2 and ex.base["funding_gap_years"] == 1
    assert ex.base["births_per_year"] == 1200  # from the scenario
    # common random numbers: replicate r has one seed for every point, seeds differ by r
    seeds = ex.seeds()
    assert len(set(seeds)) == 100


@pytest.mark.parametrize("factors, extra, message", [
    ({"coordinator_ftee": [1.0]}, {}, "unknown factor 'coordinator_ftee' (did you mean "
     "'coordinator_fte'"),
    ({"coordinator_fte": []}, {}, "factor 'coordinator_fte': the list of values is empty"),
    ({"coordinator_fte": {"start": 2.0, "stop": 1.0, "step": 0.5}}, {},
     "inverted range, start = 2.0 > stop = 1.0"),
    ({"trust_gain": {"min": 0.3, "max": 0.1}}, {"design": {"method": "lhs", "samples": 4}},
     "factor 'trust_gain': inverted range, min = 0.3 > max = 0.1"),
    ({"trust_gain": {"min": 0.2, "max": 0.2}}, {"design": {"method": "lhs", "samples": 4}},
     "factor 'trust_gain': empty range"),
    ({"coordinator_fte": {"start": 0.0, "stop": 1.0, "step": 0}}, {},
     "step must be positive"),
    ({"weeks": [52, 104]}, {}, "factor 'weeks' is not sweepable"),
    ({"coordinator_fte": [1.0, 9.0]}, {}, "factor 'coordinator_fte': parameter "
     "'coordinator_fte' = 9.0 is out of bounds"),
    ({"funding_regime": ["permanent", "forever"]}, {}, "factor 'funding_regime'"),
    ({"coordinator_fte": [1.0, 1.0]}, {}, "values repeat"),
    ({"trust_gain": {"min": 0.1, "max": 0.3}}, {},
     "a factorial design cannot enumerate"),
    ({"trust_gain": {"min": 0.1, "max": 0.3}}, {"design": {"method": "sobol", "samples": 6}},
     "a Sobol design needs a power of two"),
    ({"trust_gain": {"min": 0.1, "max": 0.3}}, {"design": {"method": "lhs"}},
     "design.samples is missing"),
    ({"coordinator_fte": [1.0]}, {"design": {"method": "latin"}},
     "design.method 'latin' is unknown"),
    ({"coordinator_fte": [1.0]}, {"design": {"method": "lhs", "samples": 4}},
     "needs at least one factor given as a range"),
    ({"coordinator_fte": {"values": [1.0], "step": 1}}, {}, "give a list of values"),
    ({}, {}, "[factors] is empty"),
    ({"coordinator_fte": [1.0]}, {"experiment": {"replicates": 0}},
     "experiment.replicates must be at least 1, got 0"),
    ({"coordinator_fte": [1.0]}, {"experiment": {"replicates": 2.5}},
     "experiment.replicates must be an integer"),
    ({"coordinator_fte": [1.0]}, {"experiment": {"scenario": "atlantis"}},
     "experiment.scenario: scenario 'atlantis' does not exist"),
    ({"coordinator_fte": [1.0]}, {"experiment": {"replicate": 3}},
     "unknown key 'replicate' in [experiment] (did you mean 'replicates'"),
    ({"coordinator_fte": [1.0]}, {"parameters": {"coordinator_fte": 2.0}},
     "'coordinator_fte' is both a factor and set in [parameters]"),
    ({"coordinator_fte": [1.0]}, {"parameters": {"trust_gian": 0.1}},
     "unknown parameter 'trust_gian' in [parameters]"),
    ({"coordinator_fte": [1.0]}, {"factor": {}}, "unknown top-level key 'factor'"),
    # an impossible combination at one design point names the point
    ({"burden_share_multiple": [0.05, 0.7]}, {"parameters": {"burden_share_medium": 0.36}},
     "design point 1 (burden_share_multiple = 0.7): burden_share_medium + "
     "burden_share_multiple"),
])
def test_bad_experiments_get_one_clear_message(factors, extra, message):
    with pytest.raises(ExperimentError) as e:
        _exp(factors, **extra)
    assert message in str(e.value)


def test_sampled_designs_are_deterministic_and_within_bounds():
    f = {"trust_gain": {"min": 0.05, "max": 0.3}, "n_pediatric_practices": {"min": 4, "max": 12},
         "funding_regime": ["permanent", "project"]}
    for method, n in (("lhs", 10), ("sobol", 8)):
        a = _exp(f, design={"method": method, "samples": n})
        b = _exp(f, design={"method": method, "samples": n})
        c = _exp(f, design={"method": method, "samples": n}, experiment={"seed": 2})
        assert a.points == b.points and a.points != c.points
        assert len(a.points) == 2 * n
        for p in a.points:
            assert 0.05 <= p["trust_gain"] <= 0.3
            assert isinstance(p["n_pediatric_practices"], int)
            assert 4 <= p["n_pediatric_practices"] <= 12
        # each sample is crossed with every listed value
        assert {p["funding_regime"] for p in a.points} == {"permanent", "project"}
    # a Latin hypercube puts exactly one point in each of n equal strata of every range
    a = _exp({"trust_gain": {"min": 0.0, "max": 1.0}}, design={"method": "lhs", "samples": 10})
    strata = sorted(int(p["trust_gain"] * 10) for p in a.points)
    assert strata == list(range(10))


def test_spec_hash_follows_the_content():
    a = _exp({"coordinator_fte": [1.0, 2.0]})
    b = _exp({"coordinator_fte": [1.0, 2.0]})
    c = _exp({"coordinator_fte": [1.0, 2.5]})
    d = _exp({"coordinator_fte": [1.0, 2.0]}, experiment={"replicates": 3})
    assert a.spec_hash() == b.spec_hash()
    assert len({a.spec_hash(), c.spec_hash(), d.spec_hash()}) == 3


def test_every_parameter_but_the_horizon_is_sweepable():
    assert [p.name for p in PARAMS_BY_NAME.values() if not p.sweepable] == ["weeks"]


def test_cli_refuses_bad_experiments_and_writes_nothing(tmp_path: Path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[experiment]\nreplicates = 0\n[factors]\ncoordinator_fte = [1.0]\n')
    out = tmp_path / "res"
    assert main(["sweep", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "experiment.replicates must be at least 1" in err
    assert err.count("error:") == 1
    assert not out.exists()
    broken = tmp_path / "broken.toml"
    broken.write_text("[experiment\nreplicates = 2\n")
    assert main(["sweep", str(broken), "--out", str(out)]) == 2
    assert "malformed TOML" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2
    assert "experiment file not found" in capsys.readouterr().err
    assert main(["sweep", str(bad), "--workers", "0"]) == 2
    assert "--workers: must be a positive integer" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("rng, message", [
    ({"start": 2, "stop": 4, "step": 0.5}, "factor 'n_asd_workers': step = 0.5 is not a whole "
     "number"),
    ({"start": 2.7, "stop": 4, "step": 1}, "factor 'n_asd_workers': start = 2.7 is not a "
     "whole number"),
    ({"start": 2, "stop": 4.5, "step": 1}, "stop = 4.5 is not a whole number"),
])
def test_stepped_ranges_of_integer_parameters_need_whole_numbers(rng, message):
    with pytest.raises(ExperimentError) as e:
        _exp({"n_asd_workers": rng})
    assert message in str(e.value)


def test_stepped_ranges_never_repeat_or_truncate_values():
    ex = _exp({"n_asd_workers": {"start": 2, "stop": 6, "step": 2}})
    assert [p["n_asd_workers"] for p in ex.points] == [2, 4, 6]
    ex = _exp({"n_asd_workers": {"start": 2.0, "stop": 4.0, "step": 1.0}})
    assert [p["n_asd_workers"] for p in ex.points] == [2, 3, 4]
    assert all(type(p["n_asd_workers"]) is int for p in ex.points)
    with pytest.raises(ExperimentError, match="factor 'coordinator_fte': .*repeated values"):
        _exp({"coordinator_fte": {"start": 0.0, "stop": 1e-12, "step": 1e-13}})


def test_shipped_experiments_load_by_bare_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ex = load_experiment("staffing_funding")
    assert ex.path == EXPERIMENT_DIR / "staffing_funding.toml"
    with pytest.raises(ExperimentError, match=r"did you mean 'staffing_funding'\?"):
        load_experiment("staffing_fundin")


def _capture_sweep(monkeypatch):
    import kooperationssim.sweep as sweep_mod

    seen = {}

    def fake_sweep(ex, out, **kw):
        seen["name"], seen["out"] = ex.name, Path(out)
        raise sweep_mod.SweepError("stopped by the test")

    monkeypatch.setattr(sweep_mod, "sweep", fake_sweep)
    return seen


def test_cli_sweep_resolves_bare_names_and_slugs_default_dirs(tmp_path, monkeypatch, capsys):
    seen = _capture_sweep(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "staffing_funding", "--quiet"]) == 2
    assert "stopped by the test" in capsys.readouterr().err
    assert seen == {"name": "staffing_funding", "out": Path("sweeps") / "staffing_funding"}
    for name, slug in (("../escaped", "escaped"), ("a/b c", "a-b-c"), ("..", "experiment")):
        f = tmp_path / "e.toml"
        f.write_text(f'[experiment]\nname = "{name}"\nweeks = 2\n'
                     "[factors]\ncoordinator_fte = [1.0]\n")
        assert main(["sweep", str(f), "--quiet"]) == 2
        assert seen["out"] == Path("sweeps") / slug
    assert list(tmp_path.iterdir()) == [tmp_path / "e.toml"]
