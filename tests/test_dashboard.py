"""The teaching dashboard without a browser: the page builds, controls, seed, language, cards.

The page is rendered with ``solara.render`` inside an ``AppLayout`` (as ``solara run``
does), the way Mesa's own visualization tests build their pages.  The slow test at the
end checks that the explanations of the scenario cards say what the model does.
"""

from __future__ import annotations

import argparse
import math
import socket

import numpy as np
import pytest

from kooperationssim.dashboard import DEFAULT_HOST, DEFAULT_PORT, register_cli
from kooperationssim.dashboard.cards import CARDS, CARDS_BY_ID
from kooperationssim.dashboard.controls import CONTROLS, load_base, model_params
from kooperationssim.dashboard.model import NO_MODE, DashboardModel, parse_seed
from kooperationssim.mesa_engine import KooperationsModel
from kooperationssim.params import PARAMS_BY_NAME
from kooperationssim.scenario import ScenarioError

solara = pytest.importorskip("solara")
v = pytest.importorskip("ipyvuetify")
ipywidgets = pytest.importorskip("ipywidgets")

REQUIRED_CONTROLS = ("coordinator_fte", "funding_regime", "network_meeting_interval_weeks",
                     "ja_ga_cooperation", "mfa_training_coverage", "lotsendienst_coverage",
                     "feedback_allowed_share", "turnover_rate_coordinator")


def _same(a: dict, b: dict) -> bool:
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and math.isnan(x):
            if not (isinstance(y, float) and math.isnan(y)):
                return False
        elif x != y:
            return False
    return set(a) == set(b)


@pytest.fixture
def app(monkeypatch):
    """The page module, serving the small town (quick to build), in German."""
    monkeypatch.setenv("KOOPERATIONSSIM_DASHBOARD_SCENARIO", "kleinstadt")
    from kooperationssim.dashboard import app as app_module

    app_module.language.value = "de"
    yield app_module
    app_module.language.value = "de"


@pytest.fixture
def rendered(app):
    """The rendered page and its render context."""
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    yield rc
    rc.close()


def _labels(rc, widget) -> list[str]:
    return [w.widget.label for w in rc.find(widget)]


def _markdown_texts(rc) -> str:
    return " ".join(w.widget.value for w in rc.find(ipywidgets.HTML)) + " ".join(
        str(getattr(w.widget, "children", "")) for w in rc.find(v.Html))


def test_page_builds_with_controls_network_and_plots(rendered):
    """The page has Mesa's Reset/Step, a control per schema parameter and three figures."""
    rc = rendered
    for name in ("Reset", "Step"):
        rc.find(v.Btn, children=[name]).assert_single()
    labels = _labels(rc, v.Slider) + _labels(rc, v.Select) + _labels(rc, v.Checkbox)
    for name in CONTROLS:
        assert PARAMS_BY_NAME[name].label_de in labels, name
    assert "Startwert (Seed)" in _labels(rc, v.TextField)
    images = rc.find(ipywidgets.Image)
    assert len(images) == 3
    for img in images:
        assert bytes(img.widget.value[:8]) == b"\x89PNG\r\n\x1a\n"


def test_step_button_advances_the_model_and_redraws(rendered):
    """Pressing Step advances one week; the figures are redrawn."""
    rc = rendered
    before = [bytes(i.widget.value) for i in rc.find(ipywidgets.Image)]
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    text = _markdown_texts(rc)
    assert "2 / " in text
    after = [bytes(i.widget.value) for i in rc.find(ipywidgets.Image)]
    assert after[0] != before[0]  # the network (week changed, so did at least one tie)


def test_controls_come_from_the_schema():
    """Labels, bounds, choices and values are the schema's and the scenario's: nothing new."""
    base = load_base("mittelstadt")
    resolved = base.resolved()
    for lang in ("de", "en"):
        mp = model_params(base, lang, seed=5)
        for name in CONTROLS:
            p = PARAMS_BY_NAME[name]
            c = mp[name]
            assert c["label"] == (p.label_de if lang == "de" else p.label_en)
            assert c["value"] == resolved[name]
            if c["type"].startswith("Slider"):
                assert (c["min"], c["max"]) == (p.min, p.max)
            elif c["type"] == "Select" and p.choices:
                assert set(c["values"]) <= set(p.choices)
                assert c["value"] in c["values"]
            elif c["type"] == "Select":  # meeting intervals: 0 (off) or within the bounds
                assert all(x == 0 or p.min <= x <= p.max for x in c["values"])
                assert c["value"] in c["values"]
        assert mp["seed"]["value"] == "5"
    for name in REQUIRED_CONTROLS:
        assert name in CONTROLS
    # a parameter the scenario does not set shows the schema default
    assert mp["feedback_allowed_share"]["value"] == PARAMS_BY_NAME["feedback_allowed_share"].default


def test_dashboard_model_is_the_engine_bit_for_bit():
    """The page's model (built from keyword arguments) is the engine: same seed, same run."""
    base = load_base("kleinstadt")
    a = DashboardModel(base.overrides, seed="123", weeks=40)
    b = KooperationsModel(base.overrides, rng=123, weeks=40)
    a.run_model()
    b.run_model()
    assert _same(a.summary(), b.summary())
    assert a.series().equals(b.series())
    recorded = a.last_mode[a.last_mode != NO_MODE]
    assert len(recorded) > 0 and set(np.unique(recorded)) <= {0, 1, 2, 3}


def test_seed_replays_exactly_and_bad_seed_is_named():
    """The seed shown on the page replays the run exactly; a bad seed names the value."""
    base = load_base("kleinstadt")
    runs = []
    for _ in range(2):
        m = DashboardModel(base.overrides, seed=" 98_765 ", weeks=30, coordinator_fte=0.5)
        m.run_model()
        runs.append(m)
    assert runs[0].seed == 98765
    assert runs[0].series().equals(runs[1].series())
    assert (runs[0].last_mode == runs[1].last_mode).all()
    other = DashboardModel(base.overrides, seed=98766, weeks=30, coordinator_fte=0.5)
    other.run_model()
    assert not other.series().equals(runs[0].series())
    assert parse_seed("") is None
    with pytest.raises(ValueError, match="seed.*'abc'"):
        parse_seed("abc")
    with pytest.raises(ValueError, match="seed"):
        parse_seed("-3")


def test_seed_field_and_reset_on_the_page(rendered):
    """Typing a seed and pressing Reset rebuilds the run with that seed, shown on the page.

    Reset keeps the scenario and the settings of the loaded card.
    """
    rc = rendered
    card = CARDS_BY_ID["gesundheitsamt_tueroeffner"]
    rc.find(v.Btn, children=[card.title["de"]]).widget.click()
    field = rc.find(v.TextField, label="Startwert (Seed)")
    field.widget.v_model = "4242"
    field.widget.fire_event("keyup.enter", None)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    text = _markdown_texts(rc)
    assert "4242" in text and "0 / " in text
    assert "Kooperation Jugendamt-Gesundheitsamt = ✓" in text
    assert "kleinstadt" in text
    assert "Koordination (VZÄ) = 0.5" in text  # the scenario's value, not the default


def test_language_switch_changes_every_label(app, rendered):
    """Switching to English relabels controls (schema labels), figures and texts."""
    rc = rendered
    de_png = bytes(rc.find(ipywidgets.Image)[0].widget.value)
    app.language.value = "en"
    labels = _labels(rc, v.Slider) + _labels(rc, v.Select) + _labels(rc, v.Checkbox)
    for name in CONTROLS:
        assert PARAMS_BY_NAME[name].label_en in labels, name
    assert "Seed" in _labels(rc, v.TextField)
    text = _markdown_texts(rc)
    assert "Seed of this run" in text and "Startwert dieses Laufs" not in text
    rc.find(v.Btn, children=[CARDS[0].title["en"]]).assert_single()
    assert bytes(rc.find(ipywidgets.Image)[0].widget.value) != de_png  # side titles
    app.language.value = "de"
    assert PARAMS_BY_NAME["coordinator_fte"].label_de in _labels(rc, v.Slider)


def test_scenario_card_loads_its_settings(rendered):
    """A card sets its parameters in the model and the controls and asks its question."""
    rc = rendered
    card = CARDS_BY_ID["ohne_koordination"]
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=[card.title["de"]]).widget.click()
    text = _markdown_texts(rc)
    assert card.question["de"] in text
    assert card.explanation["de"] not in text  # shown only after the run
    assert "Koordination (VZÄ) = 0" in text
    assert "0 / " in text
    slider = rc.find(v.Slider, label=PARAMS_BY_NAME["coordinator_fte"].label_de)
    assert slider.widget.v_model == 0.0
    rc.find(v.Btn, children=["Auflösung zeigen"]).widget.click()
    assert card.explanation["de"] in _markdown_texts(rc)


def test_cards_are_complete_and_valid():
    """At least the four seminar cards; overrides are schema parameters; texts bilingual."""
    titles = {c.title["de"] for c in CARDS}
    for t in ("Ohne Koordination", "Dauerstelle oder Projektstelle?",
              "Das Gesundheitsamt als Türöffner", "Wenn die Förderung endet"):
        assert t in titles
    base = load_base("mittelstadt")
    for c in CARDS:
        resolved = base.resolved(c.overrides)
        for k, val in c.overrides.items():
            assert resolved[k] == val
        for lang in ("de", "en"):
            assert c.title[lang] and c.question[lang].endswith("?") and c.explanation[lang]
        assert 0 < c.reveal_week <= resolved["weeks"]


def test_register_cli_defaults_and_bad_input(capsys):
    """The subcommand binds to localhost by default; bad input exits 2 with one message."""
    ap = argparse.ArgumentParser()
    register_cli(ap.add_subparsers(dest="command"))
    args = ap.parse_args(["dashboard"])
    assert (args.host, args.port) == (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 8765)
    assert args.func(ap.parse_args(["dashboard", "--port", "70000"])) == 2
    assert "--port must be between 1 and 65535, got 70000" in capsys.readouterr().err
    assert args.func(ap.parse_args(["dashboard", "--scenario", "nowhere.toml"])) == 2
    assert "scenario file not found: nowhere.toml" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert args.func(ap.parse_args(["dashboard", "--port", str(busy)])) == 2
        assert f"cannot listen on 127.0.0.1:{busy}" in capsys.readouterr().err


def test_bad_card_override_is_named():
    """An override out of bounds names the parameter."""
    base = load_base("kleinstadt")
    with pytest.raises(ScenarioError, match="coordinator_fte"):
        model_params(base, "de", card_overrides={"coordinator_fte": -1.0})


def test_funnel_and_network_data():
    """Funnel stages nest where the rules imply it; edges are acquainted, filled pairs."""
    from kooperationssim.dashboard.components import funnel_counts, network_data

    base = load_base("kleinstadt")
    m = DashboardModel(base.overrides, seed=3, weeks=60)
    for _ in range(60):
        m.step()
    c = funnel_counts(m)
    assert c["burdened"] >= c["noticed"] >= c["in_help"] > 0
    assert c["accepted"] >= c["in_help"]
    d = network_data(m)
    for a, b in zip(d["a"], d["b"], strict=True):
        r = m.rel(int(a), int(b))
        assert r.acquainted and m.profs[a].filled and m.profs[b].filled
    assert ((d["mode"] >= NO_MODE) & (d["mode"] <= 3)).all()
    assert (d["trust"] >= 0).all() and (d["trust"] <= 1).all()


@pytest.mark.slow
def test_card_explanations_match_the_model():
    """Each card's explanation states a direction the model shows (Mittelstadt, seeds 0-7)."""
    from kooperationssim.vector_engine import VectorEngine

    base = load_base("mittelstadt")

    def run(overrides):
        p = base.resolved(overrides)
        res = VectorEngine([p] * 8, seeds=list(range(8))).run()
        keys = ("reach_first_year", "acquainted_share", "mode_share_positive",
                "active_physicians_share")
        summ = {k: float(np.mean([s[k] for s in res.summaries])) for k in keys}
        series = [res.series(r) for r in range(8)]
        return summ, series

    def at(series, col, week):
        return float(np.nanmean([s[col].iloc[week] for s in series]))

    ref, ref_s = run({})
    out = {c.id: run(c.overrides) for c in CARDS}
    s, ser = out["ohne_koordination"]
    assert s["reach_first_year"] < 0.5 * ref["reach_first_year"]
    assert s["acquainted_share"] < 0.2 < ref["acquainted_share"]
    assert s["mode_share_positive"] < ref["mode_share_positive"]
    s, _ = out["dauerstelle_oder_projektstelle"]
    assert abs(s["reach_first_year"] - ref["reach_first_year"]) < 0.03
    s, ser = out["gesundheitsamt_tueroeffner"]
    assert at(ser, "acquainted_share", 51) > at(ref_s, "acquainted_share", 51)
    assert s["reach_first_year"] > ref["reach_first_year"]
    s, ser = out["wenn_die_foerderung_endet"]
    assert at(ser, "coordinator_fte_filled", 519) == 0.0
    assert at(ser, "reach_first_year", 519) < at(ser, "reach_first_year", 207)
    assert at(ser, "acquainted_share", 519) < 0.5 * at(ser, "acquainted_share", 103)
    s, _ = out["lotsendienst"]
    assert s["reach_first_year"] > 2 * ref["reach_first_year"]
    assert s["mode_share_positive"] < ref["mode_share_positive"]
    s, _ = out["rueckmeldung"]
    assert s["reach_first_year"] > ref["reach_first_year"]
    assert s["active_physicians_share"] > ref["active_physicians_share"]
