"""Controls of the page, generated from the parameter schema.

Every control is a parameter of :data:`kooperationssim.params.PARAMS`: its kind follows
the parameter's type (checkbox for booleans, selection for choices, slider for numbers),
its range follows the bounds, its label is the schema's German or English label, and its
value is the scenario's resolved value, so no default is written a second time here.
What this module adds is presentation only: which parameters a seminar needs, and the
step of a slider.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..params import PARAMS_BY_NAME, Param
from ..scenario import ScenarioError, load_scenario, resolve
from ..scenario import scenario_path as _scenario_path
from . import i18n

__all__ = ["CONTROLS", "SCENARIO_ENV", "BaseScenario", "load_base", "model_params",
           "control_values"]

#: The parameters a seminar changes, in the order of the sidebar.
CONTROLS = (
    "coordinator_fte",
    "coordinator_host",
    "funding_regime",
    "funding_project_years",
    "network_meeting_interval_weeks",
    "quality_circle_interval_weeks",
    "round_table_interval_weeks",
    "physician_compensation",
    "ja_ga_cooperation",
    "door_opening_probability",
    "mfa_training_coverage",
    "lotsendienst_coverage",
    "feedback_allowed_share",
    "cooperation_agreement",
    "turnover_rate_coordinator",
    "turnover_rate_youth_welfare",
)

#: Slider steps where one hundredth of the range would be awkward.
_STEPS = {"coordinator_fte": 0.25}
#: Meeting intervals offered (weeks; 0 switches a format off).  Intervals are
#: ``zero_or_min`` parameters, so a slider would offer invalid values between 0 and the
#: minimum; the scenario's own value is always added to the list.
_INTERVALS = (0, 4, 6, 8, 13, 26, 52)

#: Environment variable naming the scenario the served page starts from.
SCENARIO_ENV = "KOOPERATIONSSIM_DASHBOARD_SCENARIO"
DEFAULT_SCENARIO = "mittelstadt"


@dataclass(frozen=True)
class BaseScenario:
    """The scenario the page starts from: its name, overrides and funding streams."""

    name: str
    overrides: dict[str, Any]
    funding_streams: list = field(default_factory=list)

    def resolved(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Every parameter of the scenario with ``extra`` overrides applied (validated)."""
        return resolve({**self.overrides, **(extra or {})}, self.funding_streams or None)


def scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file from a path or from the name of a shipped scenario."""
    return _scenario_path(name_or_path)


def load_base(name_or_path: str | Path | None = None) -> BaseScenario:
    """Load the page's scenario (default: ``$KOOPERATIONSSIM_DASHBOARD_SCENARIO`` or mittelstadt).

    Raises:
        ScenarioError: for a missing or invalid scenario file.
    """
    if name_or_path is None:
        name_or_path = os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO
    sc = load_scenario(scenario_path(name_or_path))
    return BaseScenario(sc.name, dict(sc.overrides), list(sc.funding_streams))


def _step(p: Param) -> float:
    if p.name in _STEPS:
        return _STEPS[p.name]
    span = float(p.max) - float(p.min)
    return 0.01 if span <= 1.0 else round(span / 100.0, 6)


def _control(p: Param, value: Any, lang: str, custom_allowed: bool) -> dict[str, Any]:
    label = i18n.param_label(p.name, lang)
    if p.type is bool:
        return {"type": "Checkbox", "label": label, "value": bool(value)}
    if p.choices is not None:
        values = [c for c in p.choices if c != "custom" or custom_allowed]
        return {"type": "Select", "label": label, "value": value, "values": values}
    if p.zero_or_min:
        values = sorted({v for v in _INTERVALS if v == 0 or p.min <= v <= p.max} | {value})
        return {"type": "Select", "label": label, "value": value, "values": values}
    if p.type is int:
        return {"type": "SliderInt", "label": label, "value": int(value), "min": int(p.min),
                "max": int(p.max), "step": 1}
    return {"type": "SliderFloat", "label": label, "value": float(value), "min": float(p.min),
            "max": float(p.max), "step": _step(p)}


def control_values(base: BaseScenario, card_overrides: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """The value of every control for the scenario with a card's overrides."""
    resolved = base.resolved(card_overrides)
    return {name: resolved[name] for name in CONTROLS}


def model_params(base: BaseScenario, lang: str, *, card_overrides: dict[str, Any] | None = None,
                 seed: int | str = "", values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``model_params`` of Mesa's SolaraViz for :class:`DashboardModel`.

    Args:
        base: The scenario of the page.
        lang: ``"de"`` or ``"en"``: the language of the labels.
        card_overrides: Overrides of a scenario card (any parameters of the schema).
        seed: The seed shown in the seed field.
        values: Values the controls show (default: those of the scenario with the card).

    Returns:
        Fixed entries (``base``: the scenario's overrides with the card's; the funding
        streams) and one control per name in :data:`CONTROLS`, plus the seed field.
    """
    if values is None:
        try:
            values = control_values(base, card_overrides)
        except ScenarioError as e:
            raise ScenarioError(f"scenario card: {e}") from None
    custom = base.overrides.get("funding_regime") == "custom"
    out: dict[str, Any] = {
        "base": {**base.overrides, **(card_overrides or {})},
        "funding_streams": list(base.funding_streams),
        "seed": {"type": "InputText", "label": i18n.t("seed", lang), "value": str(seed)},
    }
    for name in CONTROLS:
        out[name] = _control(PARAMS_BY_NAME[name], values[name], lang, custom)
    return out
