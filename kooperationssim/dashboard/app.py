"""The teaching dashboard: a Mesa SolaraViz page on the Mesa engine.

Mesa's :func:`~mesa.visualization.SolaraViz` provides the frame of the page: the
controls generated from the parameter schema (``controls.py``), the seed field and the
*Reset*, *Step* and play buttons.  This module adds what a seminar needs around it: a
language switch (Deutsch / English), the scenario cards (``cards.py``), the network of
professionals, the families' pathway, the time series and the seed of the current run.

Serve it with ``kooperationssim dashboard`` (``server.py``), or ``solara run
kooperationssim.dashboard.app``.  ``Page`` (alias ``page``) is the page object; tests
render it with ``solara.render`` without a browser.
"""

from __future__ import annotations

import os
import sys

_TELEMETRY_ENV = "SOLARA_TELEMETRY_MIXPANEL_ENABLE"


def _telemetry_off() -> None:
    """A classroom page reports nothing to third parties: switch Solara's telemetry off.

    Done here, before Solara is imported, so that ``solara run
    kooperationssim.dashboard.app`` is covered as well as ``kooperationssim dashboard``.
    A value the user set (Solara reads the variable case-insensitively) is kept.  Under
    ``solara run`` Solara's settings are read before this module is imported, so the
    setting object is switched off too.
    """
    if any(k.upper() == _TELEMETRY_ENV for k in os.environ):
        return
    os.environ[_TELEMETRY_ENV] = "False"
    settings = sys.modules.get("solara.server.settings")
    if settings is not None and hasattr(settings, "telemetry"):
        settings.telemetry.mixpanel_enable = False


_telemetry_off()

import secrets  # noqa: E402
from typing import Any  # noqa: E402

import solara  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402
from solara.alias import rw  # noqa: E402

from . import i18n  # noqa: E402
from .cards import CARDS, CARDS_BY_ID  # noqa: E402
from .components import (  # noqa: E402
    MODE_COLORS,
    SERIES_COLORS,
    FunnelPlot,
    NetworkPlot,
    SeriesPlot,
    figure_png,
    legend_entries,
)
from .controls import CONTROLS, BaseScenario, load_base, model_params  # noqa: E402
from .model import DashboardModel  # noqa: E402

__all__ = ["Page", "page", "language", "make_model", "page_model_class", "page_defaults",
           "new_classroom_seed"]

#: Language of the page (one per browser session).
language = solara.reactive("de")


def new_classroom_seed() -> int:
    """A fresh seed short enough to read out in class and type in again."""
    return secrets.randbelow(1_000_000)


def page_model_class() -> type[DashboardModel]:
    """A model class of its own for one page (one browser session).

    Mesa's *Reset* re-creates the model as ``type(model)(**changed_parameters)``, where
    only the controls changed since the controls were built are certain to be passed.
    The class therefore carries the page's current settings (scenario, card, control
    values, seed) in ``page_defaults``, and the passed parameters take precedence.
    """

    class PageModel(DashboardModel):
        page_defaults: dict[str, Any] = {}

        def __init__(self, **kwargs: Any):
            super().__init__(**{**type(self).page_defaults, **kwargs})

    return PageModel


def page_defaults(base: BaseScenario, card_overrides: dict[str, Any] | None, seed: Any,
                  values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Keyword arguments of the page's model: scenario, a card, control values, seed."""
    out: dict[str, Any] = {"base": {**base.overrides, **(card_overrides or {})}, "seed": seed,
                           "funding_streams": list(base.funding_streams) or None}
    out.update(values or {})
    return out


def make_model(base: BaseScenario, card_overrides: dict[str, Any] | None, seed: Any,
               values: dict[str, Any] | None = None,
               cls: type[DashboardModel] | None = None) -> DashboardModel:
    """The page's model: the scenario, a card's overrides, control values and the seed.

    With ``cls`` (from :func:`page_model_class`) the settings also become the defaults
    that Mesa's *Reset* starts from.
    """
    kwargs = page_defaults(base, card_overrides, seed, values)
    if cls is None:
        return DashboardModel(**kwargs)
    cls.page_defaults = kwargs
    return cls()


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@solara.component
def PlotImage(model: DashboardModel, plot_cls: type, lang: str, css: str, week: int):
    """One figure of the page, redrawn when the model steps (PNG)."""
    plot = solara.use_memo(lambda: plot_cls(model, lang), [model, lang])
    png = solara.use_memo(lambda: figure_png(plot.update()), [model, lang, week])
    with solara.Column(classes=[css], style={"gap": "0"}):
        rw.Image(value=png, format="png", layout={"max_width": "100%"})


def _swatch(color: str, kind: str) -> str:
    if kind == "line":
        return (f'<span style="display:inline-block;width:22px;height:4px;background:{color};'
                'vertical-align:middle;margin-right:6px"></span>')
    if kind == "vacant":
        return (f'<span style="display:inline-block;width:10px;height:10px;border:2px solid '
                f'{color};border-radius:50%;margin-right:6px"></span>')
    return (f'<span style="display:inline-block;width:11px;height:11px;background:{color};'
            'border-radius:50%;margin-right:6px"></span>')


@solara.component
def NetworkLegend(lang: str):
    """Kinds of professionals and the four coordination modes in plain words."""
    entries = legend_entries(lang)
    kinds = " ".join(f'<span style="white-space:nowrap;margin-right:10px">{_swatch(c, m)}{t}'
                     "</span>" for c, m, t in entries["kinds"])
    modes = "".join(f"<li style='list-style:none'>{_swatch(c, m)}{t}</li>"
                    for c, m, t in entries["modes"])
    solara.HTML(tag="div", classes=["ks-legend"], unsafe_innerHTML=(
        f"<div style='font-size:0.85em'>{kinds}</div>"
        f"<div style='font-size:0.85em;margin-top:6px'><b>{i18n.t('modes_title', lang)}"
        f"</b><ul style='padding-left:0;margin:2px 0'>{modes}</ul>"
        f"<i>{i18n.t('network_caption', lang)}</i></div>"))


@solara.component
def SeriesLegend(lang: str):
    """Legend of the time series (names from the output declarations)."""
    top = " ".join(f"{_swatch(c, 'line')}{i18n.output_label(k, lang)}"
                   for k, c in SERIES_COLORS.items())
    modes = " ".join(f"{_swatch(c, 'line')}{i18n.MODE_TEXT[lang][i][0]}"
                     for i, c in enumerate(MODE_COLORS))
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<div style='font-size:0.85em'>{top}</div><div style='font-size:0.85em'>"
        f"<b>{i18n.t('mode_shares', lang)}:</b> {modes}</div>"))


@solara.component
def RunInfo(model: DashboardModel, lang: str, scenario: str, week: int):
    """Scenario, week and the seed of the run, so that it can be replayed exactly."""
    year = model.week // 52 + 1
    with solara.Column(classes=["ks-runinfo"], style={"gap": "2px"}):
        solara.Markdown(
            f"**{i18n.t('scenario', lang)}:** {scenario} · **{i18n.t('week', lang)}** "
            f"{model.week} / {model.weeks} ({i18n.t('year', lang)} {year}) · "
            f"**{i18n.t('seed_now', lang)}:** `{model.seed}`")
        settings = " · ".join(f"{i18n.param_label(k, lang)} = {_fmt(model.p[k])}"
                              for k in CONTROLS)
        solara.Text(f"{i18n.t('settings_now', lang)}: {settings}",
                    style={"font-size": "0.8em"}, classes=["ks-settings"])
        solara.Text(i18n.t("seed_help", lang), style={"font-size": "0.8em", "color": "#555"})


@solara.component
def CardPanel(model: DashboardModel, lang: str, card_id: str | None, revealed: bool,
              on_load, on_clear, on_reveal, scenario: str, week: int):
    """The scenario cards: load one, predict, run, read the explanation."""
    with solara.Card(i18n.t("cards_title", lang), classes=["ks-cards"]):
        with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
            for c in CARDS:
                solara.Button(c.title[lang], on_click=lambda c=c: on_load(c.id),
                              outlined=c.id != card_id, color="primary", small=True,
                              classes=[f"ks-card-{c.id}"])
        if card_id is None:
            solara.Text(i18n.t("card_none", lang, scenario=scenario))
            return
        card = CARDS_BY_ID[card_id]
        solara.Markdown(f"### {card.title[lang]}")
        settings = ", ".join(f"{i18n.param_label(k, lang)} = {_fmt(v)}"
                             for k, v in card.overrides.items())
        solara.Markdown(f"*{i18n.t('card_settings', lang)}:* {settings}")
        solara.Markdown(f"**{i18n.t('card_question', lang)}:** {card.question[lang]}")
        if revealed or week >= card.reveal_week:
            solara.Success(f"{i18n.t('card_explanation', lang)}: {card.explanation[lang]}",
                           classes=["ks-explanation"])
        else:
            with solara.Row():
                solara.Text(i18n.t("card_hidden", lang, week=card.reveal_week),
                            style={"font-size": "0.85em"})
                solara.Button(i18n.t("card_reveal", lang), on_click=on_reveal, small=True,
                              text=True)
        solara.Button(i18n.t("card_clear", lang), on_click=on_clear, small=True, text=True)


@solara.component
def Page():
    """The teaching dashboard."""
    lang = language.value
    base = solara.use_memo(load_base, [])
    seed0 = solara.use_memo(new_classroom_seed, [])
    model_cls = solara.use_memo(page_model_class, [])
    initial = solara.use_memo(lambda: make_model(base, None, seed0, cls=model_cls), [])
    model = solara.use_reactive(initial)
    card_id = solara.use_reactive(None)
    revealed = solara.use_reactive(False)
    generation = solara.use_reactive(0)
    shown_seed = solara.use_reactive(seed0)

    def current_values() -> dict[str, Any]:
        return {k: model.value.p[k] for k in CONTROLS}

    def restart(card: str | None, seed: int, values: dict[str, Any] | None) -> None:
        overrides = CARDS_BY_ID[card].overrides if card else None
        model.value = make_model(base, overrides, seed, values, cls=model_cls)
        card_id.value = card
        revealed.value = False
        shown_seed.value = seed
        generation.value += 1  # the controls show the new settings

    def load_card(cid: str) -> None:
        # the same seed as the run before: the difference is the card's setting
        restart(cid, model.value.seed, None)

    def clear_card() -> None:
        restart(None, model.value.seed, None)

    def new_seed() -> None:
        restart(card_id.value, new_classroom_seed(), current_values())

    overrides = CARDS_BY_ID[card_id.value].overrides if card_id.value else None
    params = model_params(base, lang, card_overrides=overrides, seed=shown_seed.value,
                          values=current_values())

    with solara.AppBar():
        solara.ToggleButtonsSingle(value=language, values=["de", "en"],
                                   classes=["ks-language"])
    SolaraViz(model, components=[], model_params=params, name=i18n.t("title", lang)
              ).key(f"viz-{generation.value}")
    MainView(model.value, lang, base.name, card_id.value, revealed.value, load_card,
             clear_card, lambda: revealed.set(True), new_seed)


@solara.component
def MainView(m: DashboardModel, lang: str, scenario: str, card_id: str | None, revealed: bool,
             on_load, on_clear, on_reveal, on_new_seed):
    """The part of the page that follows the model week by week.

    Only this component listens to Mesa's update counter, so that a step re-renders the
    page once (the components below get the week as an argument).
    """
    update_counter.get()
    week = m.week
    with solara.Column(style={"padding": "8px"}, classes=["ks-main"]):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            RunInfo(m, lang, scenario, week)
            solara.Button(i18n.t("new_seed", lang), on_click=on_new_seed, small=True,
                          outlined=True, classes=["ks-new-seed"])
        CardPanel(m, lang, card_id, revealed, on_load, on_clear, on_reveal, scenario, week)
        with solara.ColumnsResponsive(default=[12], large=[6, 6]):
            with solara.Card(i18n.t("network_title", lang), classes=["ks-network-card"]):
                PlotImage(m, NetworkPlot, lang, "ks-network", week)
                NetworkLegend(lang)
            with solara.Column():
                with solara.Card(i18n.t("funnel_title", lang), classes=["ks-funnel-card"]):
                    solara.Text(i18n.t("funnel_caption", lang), style={"font-size": "0.8em"})
                    PlotImage(m, FunnelPlot, lang, "ks-funnel", week)
                with solara.Card(i18n.t("series_title", lang), classes=["ks-series-card"]):
                    SeriesLegend(lang)
                    if week < 53:
                        solara.Text(f"{i18n.output_label('reach_first_year', lang)}: "
                                    f"{i18n.t('not_yet', lang)}.",
                                    style={"font-size": "0.8em", "color": "#555"})
                    PlotImage(m, SeriesPlot, lang, "ks-series", week)


page = Page
