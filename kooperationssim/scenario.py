"""Scenarios: TOML files of parameter overrides, validated strictly.

A scenario file looks like this::

    name = "Mittelstadt"
    description = "A town of about 1,200 births per year."

    [parameters]
    births_per_year = 1200      # source of the value
    coordinator_fte = 1.5

    [[funding_streams]]         # only with funding_regime = "custom"
    name = "Bundesstiftung"
    source = "bundesstiftung"
    eur_per_year = 90000
    start_year = 0
    end_year = 3
    pays_for = ["coordinator"]

Every problem raises :class:`ScenarioError` with one message that names the key or
value at fault.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .funding import FundingStream, n_districts, planned_positions
from .io import find_input_file, read_toml, shipped_dir
from .params import FUNDING_USES, PARAMS, PARAMS_BY_NAME, STREAM_FIELDS, suggest

__all__ = [
    "ScenarioError",
    "Scenario",
    "resolve",
    "load_scenario",
    "scenario_path",
    "parse_assignment",
    "scenario_files",
    "SCENARIO_DIR",
]

#: Directory of the shipped scenarios: ``scenarios/`` of the repository when running from
#: a checkout, else the copy installed with the package (``kooperationssim/_scenarios``).
SCENARIO_DIR = shipped_dir("scenarios")

_TOP_KEYS = ("name", "description", "parameters", "funding_streams")


class ScenarioError(ValueError):
    """Bad input: one clear message naming the key or value at fault."""


@dataclass
class Scenario:
    """A validated scenario.

    Attributes:
        name: Short name.
        description: One paragraph of text.
        overrides: The parameter values the scenario sets (after validation).
        params: Every parameter, defaults filled in.
        path: File the scenario came from, if any.
    """

    name: str
    description: str
    overrides: dict[str, Any]
    params: dict[str, Any]
    path: Path | None = None
    funding_streams: list[FundingStream] = field(default_factory=list)


def _check_stream(i: int, raw: Any, where: str) -> FundingStream:
    label = f"{where}funding_streams[{i}]"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{label} must be a table, got {type(raw).__name__}")
    fields = {f.name: f for f in STREAM_FIELDS}
    for k in raw:
        if k not in fields:
            raise ScenarioError(
                f"unknown key '{k}' in {label}{suggest(k, list(fields))}; "
                f"valid keys: {', '.join(fields)}"
            )
    for req in ("eur_per_year", "pays_for"):
        if req not in raw:
            raise ScenarioError(f"{label} needs '{req}'")
    vals: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in raw:
            vals[name] = spec.default
            continue
        v = raw[name]
        if name == "pays_for":
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not v:
                raise ScenarioError(
                    f"{label}.pays_for must be a non-empty list of: {', '.join(FUNDING_USES)}"
                )
            for u in v:
                if u not in FUNDING_USES:
                    raise ScenarioError(
                        f"{label}.pays_for has unknown use {u!r}{suggest(str(u), FUNDING_USES)}; "
                        f"valid uses: {', '.join(FUNDING_USES)}"
                    )
            vals[name] = tuple(dict.fromkeys(v))
            continue
        try:
            vals[name] = spec.check(v)
        except ValueError as e:
            raise ScenarioError(str(e).replace("parameter '", f"{label} key '")) from None
    end = vals["end_year"] if "end_year" in raw else None
    if end is not None and end < vals["start_year"]:
        raise ScenarioError(
            f"{label} ends before it starts: end_year = {end} < start_year = {vals['start_year']}"
        )
    return FundingStream(
        name=vals["name"] or f"stream {i}",
        source=vals["source"],
        eur_per_year=vals["eur_per_year"],
        start_year=vals["start_year"],
        end_year=end,
        cofunding_share=vals["cofunding_share"],
        pays_for=vals["pays_for"],
    )


def _check_value(name: str, value: Any) -> Any:
    if name not in PARAMS_BY_NAME:
        valid = [p.name for p in PARAMS]
        raise ScenarioError(
            f"unknown parameter '{name}'{suggest(name, valid)}; "
            f"run 'kooperationssim params' for the {len(valid)} valid names"
        )
    try:
        return PARAMS_BY_NAME[name].check(value)
    except ValueError as e:
        raise ScenarioError(str(e)) from None


def check_combinations(p: dict[str, Any], streams: list[FundingStream]) -> None:
    """Reject parameter combinations that cannot describe a municipality.

    Raises:
        ScenarioError: naming the parameters and saying why they do not fit together.
    """
    if p["burden_share_medium"] + p["burden_share_multiple"] > 1.0 + 1e-12:
        raise ScenarioError(
            "burden_share_medium + burden_share_multiple = "
            f"{p['burden_share_medium'] + p['burden_share_multiple']:g} exceeds 1"
        )
    if p["screening_sensitivity"] + p["screening_specificity"] < 1.0 - 1e-12:
        raise ScenarioError(
            "screening_sensitivity + screening_specificity < 1: the screening would be worse "
            "than chance"
        )
    d = n_districts(p)
    for key, what in (
        ("n_pediatric_practices", "pediatric practice"),
        ("n_gynecology_practices", "gynecology practice"),
        ("n_fh_providers", "early-help provider"),
        ("n_asd_workers", "ASD social worker"),
    ):
        if p[key] < d:
            raise ScenarioError(
                f"{key} = {p[key]} is smaller than the number of districts ({d} = "
                f"births_per_year / births_per_district, rounded); each district needs at "
                f"least one {what}"
            )
    if p["n_midwives"] > 0 and p["n_midwives"] < d:
        raise ScenarioError(
            f"n_midwives = {p['n_midwives']} is smaller than the number of districts ({d}); "
            "give each district a midwife or set n_midwives = 0"
        )
    if p["n_midwives"] == 0 and p["midwife_share"] > 0:
        raise ScenarioError(
            f"midwife_share = {p['midwife_share']:g} but n_midwives = 0: no midwife could "
            "care for these families"
        )
    if p["n_maternity_clinics"] == 0 and p["clinic_birth_share"] > 0:
        raise ScenarioError(
            f"clinic_birth_share = {p['clinic_birth_share']:g} but n_maternity_clinics = 0"
        )
    if p["lotsendienst_coverage"] > 0 and p["n_maternity_clinics"] == 0:
        raise ScenarioError("lotsendienst_coverage > 0 needs at least one maternity clinic")
    if p["ja_ga_cooperation"] and not p["health_office_liaison"]:
        raise ScenarioError(
            "ja_ga_cooperation = true needs health_office_liaison = true (the Gesundheitsamt "
            "must take part to cooperate with the Jugendamt)"
        )
    if p["clearing_desk"] and not p["health_office_liaison"]:
        raise ScenarioError(
            "clearing_desk = true needs health_office_liaison = true (the clearing desk is run "
            "jointly by Gesundheitsamt and Jugendamt)"
        )
    if p["coordinator_other_duties_share"] + p["coordinator_case_share"] > 1.0 + 1e-12:
        raise ScenarioError(
            "coordinator_other_duties_share + coordinator_case_share exceeds 1: no coordinator "
            "time "
            "would be left"
        )
    if p["mode_base_negative"] <= 0:
        raise ScenarioError(
            "mode_base_negative must be > 0: negative coordination is the fallback when no "
            "other mode fits the time available"
        )
    regime = p["funding_regime"]
    if regime != "custom":
        if streams:
            raise ScenarioError(
                f"funding_streams are given but funding_regime = {regime!r}; "
                "set funding_regime = \"custom\" to use your own streams"
            )
        if p["funding_amount_factor"] == 0 and p["coordinator_fte"] > 0:
            raise ScenarioError(
                f"coordinator_fte = {p['coordinator_fte']:g} but funding_amount_factor = 0: "
                "no money pays for the coordinator positions"
            )
        return
    if not streams:
        raise ScenarioError(
            'funding_regime = "custom" needs at least one [[funding_streams]] table'
        )
    pays = {u: [s for s in streams if u in s.pays_for and s.eur_per_year > 0] for u in FUNDING_USES}
    needs = {
        "coordinator": ("coordinator_fte", p["coordinator_fte"] > 0),
        "lotsendienst": ("lotsendienst_coverage", p["lotsendienst_coverage"] > 0),
        "compensation": ("physician_compensation", p["physician_compensation"]),
        "mfa_training": ("mfa_training_coverage", p["mfa_training_coverage"] > 0),
    }
    for use, (key, wanted) in needs.items():
        if wanted and not pays[use]:
            raise ScenarioError(
                f"{key} = {p[key]!r} but no funding stream pays for {use} "
                f"(add '{use}' to a stream's pays_for)"
            )
        if not wanted and pays[use]:
            names = ", ".join(repr(s.name) for s in pays[use])
            raise ScenarioError(
                f"funding stream {names} pays for {use} but {key} = {p[key]!r}: "
                "money without a position or measure to pay"
            )
    if p["coordinator_fte"] > 0 and not planned_positions(p["coordinator_fte"]):
        raise ScenarioError("coordinator_fte is too small to form a position")


def resolve(
    overrides: dict[str, Any] | None = None,
    funding_streams: list[Any] | None = None,
    *,
    where: str = "",
) -> dict[str, Any]:
    """Validate overrides and return the complete parameter dict.

    Args:
        overrides: Parameter values that differ from the defaults.
        funding_streams: Custom funding streams (tables or :class:`FundingStream`).
        where: Prefix for messages (e.g. a file name).

    Returns:
        Every parameter with defaults filled in, plus ``funding_streams`` (a list of
        :class:`FundingStream`).

    Raises:
        ScenarioError: on any unknown key, wrong type, out-of-range value or impossible
            combination.
    """
    overrides = dict(overrides or {})
    params = {p.name: p.default for p in PARAMS}
    for k, v in overrides.items():
        try:
            params[k] = _check_value(k, v)
        except ScenarioError as e:
            raise ScenarioError(f"{where}{e}") from None
    streams: list[FundingStream] = []
    for i, s in enumerate(funding_streams or []):
        streams.append(s if isinstance(s, FundingStream) else _check_stream(i, s, where))
    try:
        check_combinations(params, streams)
    except ScenarioError as e:
        raise ScenarioError(f"{where}{e}") from None
    params["funding_streams"] = streams
    return params


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse one ``KEY=VALUE`` assignment from the command line.

    The value is read as a TOML value (``1.5``, ``true``, ``"jugendamt"``); a bare word
    is accepted as a string for text parameters.
    """
    if "=" not in text:
        raise ScenarioError(f"--set expects KEY=VALUE, got {text!r}")
    key, raw = (s.strip() for s in text.split("=", 1))
    if not key:
        raise ScenarioError(f"--set expects KEY=VALUE, got {text!r}")
    if key not in PARAMS_BY_NAME:
        try:
            _check_value(key, None)  # raises with suggestions
        except ScenarioError as e:
            raise ScenarioError(f"--set {key}: {e}") from None
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if PARAMS_BY_NAME[key].type is str:
            value = raw
        else:
            raise ScenarioError(
                f"--set {key}: cannot read {raw!r} as a {PARAMS_BY_NAME[key].type_name}"
            ) from None
    try:
        _check_value(key, value)
    except ScenarioError as e:
        raise ScenarioError(f"--set {key}: {e}") from None
    return key, value


def scenario_path(name_or_path: str | Path) -> Path:
    """The file of a scenario: ``name_or_path`` itself, or ``SCENARIO_DIR/NAME.toml``.

    A bare name (no directory, no suffix, e.g. ``mittelstadt``) that is not a file in
    the working directory names a shipped scenario.
    """
    return find_input_file(name_or_path, SCENARIO_DIR)


def load_scenario(
    path: str | Path, extra: dict[str, Any] | None = None
) -> Scenario:
    """Read and validate a scenario TOML file.

    Args:
        path: The file, or the name of a shipped scenario (``mittelstadt``).
        extra: Further overrides applied on top of the file's (e.g. from ``--set``).

    Raises:
        ScenarioError: for a missing or malformed file and any invalid content.
    """
    path = scenario_path(path)
    data = read_toml(path, "scenario", ScenarioError, SCENARIO_DIR)
    return scenario_from_dict(data, path=path, extra=extra)


def scenario_from_dict(
    data: dict[str, Any], *, path: Path | None = None, extra: dict[str, Any] | None = None
) -> Scenario:
    """Validate the parsed content of a scenario file.

    A bad value in ``extra`` is named as ``override KEY``, not blamed on the file (the
    command line checks ``--set`` and ``--weeks`` before and names them); an impossible
    combination names the file and the keys of ``extra``.
    """
    where = f"{path}: " if path else ""
    for k in data:
        if k not in _TOP_KEYS:
            hint = ""
            if k in PARAMS_BY_NAME:
                hint = " (parameters belong in the [parameters] table)"
            else:
                hint = suggest(k, _TOP_KEYS)
            raise ScenarioError(
                f"{where}unknown top-level key '{k}'{hint}; valid: {', '.join(_TOP_KEYS)}"
            )
    name = data.get("name", path.stem if path else "scenario")
    if not isinstance(name, str):
        raise ScenarioError(f"{where}'name' must be a string")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(f"{where}'description' must be a string")
    overrides = data.get("parameters", {})
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{where}'parameters' must be a table ([parameters])")
    for k, v in overrides.items():
        if isinstance(v, dict):
            raise ScenarioError(
                f"{where}[parameters.{k}] is a table; parameters are plain key = value pairs"
            )
    streams_raw = data.get("funding_streams", [])
    if not isinstance(streams_raw, list):
        raise ScenarioError(f"{where}'funding_streams' must be an array of tables")
    merged = dict(overrides)
    merged.update(extra or {})
    # the file's own values and streams first: a bad one is blamed on the file alone
    for k, v in overrides.items():
        try:
            _check_value(k, v)
        except ScenarioError as e:
            raise ScenarioError(f"{where}{e}") from None
    streams_raw = [_check_stream(i, st, where) for i, st in enumerate(streams_raw)]
    for k, v in (extra or {}).items():
        try:
            _check_value(k, v)
        except ScenarioError as e:
            raise ScenarioError(f"override {k}: {e}") from None
    if extra:
        keys = ", ".join(extra)
        where = f"{path} with the overrides {keys}: " if path else f"overrides {keys}: "
    params = resolve(merged, streams_raw, where=where)
    return Scenario(
        name=name,
        description=description,
        overrides={k: params[k] for k in merged},
        params=params,
        path=path,
        funding_streams=params["funding_streams"],
    )


def scenario_files() -> list[Path]:
    """The scenario files shipped in ``scenarios/``."""
    return sorted(SCENARIO_DIR.glob("*.toml"))
