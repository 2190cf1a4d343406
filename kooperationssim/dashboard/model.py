"""The model as the dashboard runs it: the Mesa engine plus a record of the last mode.

:class:`DashboardModel` is :class:`~kooperationssim.mesa_engine.KooperationsModel` with
two additions that do not touch the model's behaviour:

* it is built from keyword arguments only (the scenario's overrides as ``base``, the
  controls by parameter name, the seed as text), because Mesa's SolaraViz re-creates
  the model as ``type(model)(**model_parameters)`` when *Reset* is pressed;
* it records, per relationship, the coordination mode of the last interaction, so that
  the network view can colour the edges.  The relationships of the engine keep no such
  record; the dashboard swaps their class for a subclass whose ``interact`` notes the
  mode in an array and then does exactly what the engine's ``interact`` does.  The runs
  are therefore identical to the engine's runs with the same seed and parameters (this
  is tested).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..draws import check_seed
from ..mesa_engine import KooperationsModel
from ..mesa_engine.agents import Relationship

__all__ = ["DashboardModel", "parse_seed", "NO_MODE"]

#: Entry of ``DashboardModel.last_mode`` for a relationship without a recorded interaction.
NO_MODE = -1


def parse_seed(text: Any) -> int | None:
    """Read the seed typed into the page: a non-negative integer, or blank for a fresh one.

    Raises:
        ValueError: naming the value if it is not a non-negative whole number.
    """
    if text is None:
        return None
    if isinstance(text, str):
        s = text.strip().replace("_", "")
        if not s:
            return None
        if not s.isdigit():
            raise ValueError(f"seed must be a non-negative whole number, got {text!r}")
        return int(s)
    return check_seed(text, "seed")


def _traced_relationship_class(last_mode: np.ndarray) -> type[Relationship]:
    """A Relationship subclass (no new slots) that notes each interaction's mode."""

    class TracedRelationship(Relationship):
        __slots__ = ()

        def interact(self, mode, table, p, intensity, trust_level=None):  # noqa: D102
            last_mode[self.index] = mode
            Relationship.interact(self, mode, table, p, intensity, trust_level)

        def reset(self) -> None:  # noqa: D102
            last_mode[self.index] = NO_MODE
            Relationship.reset(self)

    return TracedRelationship


class DashboardModel(KooperationsModel):
    """The Mesa engine's model, built from keyword arguments, with the last mode recorded.

    Args:
        base: Parameter overrides of the scenario (and of a scenario card).
        seed: The seed, as a number or as typed text; blank draws a fresh seed (shown on
            the page as ``model.seed``).
        funding_streams: Custom funding streams of the scenario, if any.
        scenario: Ignored (Mesa's own scenario object, which SolaraViz passes on Reset).
        **controls: Values of the page's controls, by parameter name; they take
            precedence over ``base``.

    Attributes:
        last_mode: For each relationship (by index), the coordination mode of its last
            interaction (0-3 in ``params.MODES`` order) or ``NO_MODE``.
    """

    def __init__(self, base: dict[str, Any] | None = None, *, seed: Any = None,
                 funding_streams: list | None = None, scenario: Any = None, **controls: Any):
        # ``scenario``: Mesa's SolaraViz passes a fresh ``mesa`` Scenario object on Reset;
        # the parameters of this model come from the schema, so it is not used.
        params = dict(base or {})
        params.update(controls)
        super().__init__(params, rng=parse_seed(seed), funding_streams=funding_streams)
        self.last_mode = np.full(len(self.rels), NO_MODE, dtype=np.int8)
        cls = _traced_relationship_class(self.last_mode)
        for r in self.rels:
            r.__class__ = cls
