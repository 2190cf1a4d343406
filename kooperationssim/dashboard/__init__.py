"""The teaching dashboard: an interactive, bilingual seminar page on Mesa's SolaraViz.

``serve`` and ``register_cli`` (the ``kooperationssim dashboard`` subcommand) are
importable without the visualization packages; the page itself is
``kooperationssim.dashboard.app.page``.
"""

from .server import DEFAULT_HOST, DEFAULT_PORT, DashboardError, register_cli, serve

__all__ = ["serve", "register_cli", "DEFAULT_HOST", "DEFAULT_PORT", "DashboardError"]
