"""The model as the dashboard runs it: the Mesa engine plus a record of the last mode.

:class:`DashboardModel` is :class:`~kooperationssim.mesa_engine.KooperationsModel` with
two additions that do not touch the model's behaviour:

* it is built from keyword arguments only (the scenario's overrides as ``base``, the
  controls by parameter name, the seed as text), because Mesa's SolaraViz re-creates
  the model as ``type(model)(**model_parameters)`` when *Reset* is pressed;
* it gives, per relationship, the coordination mode of the last interaction
  (``Relationship.last_mode``, which the engine records and its rules never read), so that
  the network view can colour the edges.  The runs are identical to the engine's runs with
  the same seed and parameters (this is tested).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..draws import check_seed
from ..mesa_engine import KooperationsModel

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

    @property
    def last_mode(self) -> np.ndarray:
        """The coordination mode of each relationship's last interaction, or ``NO_MODE``."""
        return np.fromiter((r.last_mode for r in self.rels), dtype=np.int8,
                           count=len(self.rels))
