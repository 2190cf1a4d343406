"""kooperationssim: cooperation between health system and youth welfare in prevention chains.

Agent-based model of municipal prevention chains (Frühe Hilfen) with a Mesa engine.
The parameter schema (:mod:`kooperationssim.params`) declares every parameter once.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kooperationssim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from .mesa_engine import KooperationsModel
from .params import PARAMS, PARAMS_BY_NAME
from .scenario import ScenarioError, load_scenario, resolve

__all__ = [
    "KooperationsModel",
    "PARAMS",
    "PARAMS_BY_NAME",
    "ScenarioError",
    "load_scenario",
    "resolve",
    "__version__",
]
