"""Starting the dashboard: ``serve`` and the ``kooperationssim dashboard`` subcommand.

This module imports neither Solara nor Mesa's visualization, so that the command line
stays quick; the page itself is in ``app.py`` and runs in a ``solara run`` process.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

from ..scenario import ScenarioError
from .controls import SCENARIO_ENV, load_base, scenario_path

__all__ = ["serve", "register_cli", "cmd_dashboard", "DEFAULT_HOST", "DEFAULT_PORT",
           "DashboardError", "server_command"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "kooperationssim.dashboard.app"


class DashboardError(ValueError):
    """Bad input for the dashboard (port, host, scenario, missing package)."""


def _check_port(host: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise DashboardError(f"--port must be between 1 and 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise DashboardError(f"--host {host!r} cannot be resolved: {e.strerror}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        try:
            s.bind(addr)
        except OSError as e:
            raise DashboardError(f"cannot listen on {host}:{port}: {e.strerror} "
                                 "(choose another --port)") from None


def server_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    """The ``solara run`` command line that serves the page."""
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", host, "--port",
            str(port), "--production", "--open" if open_browser else "--no-open",
            "--log-level", "warning"]


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, open_browser: bool = False, *,
          scenario: str | Path | None = None, wait: bool = True) -> subprocess.Popen | int:
    """Serve the teaching dashboard with ``solara run``, bound to ``host`` (localhost).

    Args:
        host: Address to listen on; ``127.0.0.1`` unless told otherwise.
        port: TCP port.
        open_browser: Open the page in the default browser.
        scenario: Scenario file or shipped scenario name the page starts from
            (default: ``scenarios/mittelstadt.toml``).
        wait: Block until the server stops and return its exit code; ``False`` returns
            the running process (tests stop it themselves).

    Raises:
        DashboardError: for a bad port or host, a port in use, or missing packages.
        ScenarioError: for a bad scenario.
    """
    if importlib.util.find_spec("solara") is None or importlib.util.find_spec("altair") is None:
        raise DashboardError("the dashboard needs the packages solara and altair, which are "
                             "dependencies of kooperationssim but are missing here; "
                             "reinstall it or run: pip install solara altair")
    env = dict(os.environ)
    # a classroom page reports nothing to third parties
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    if scenario is not None:
        path = scenario_path(scenario)
        load_base(path)  # fail here, with the message, rather than in the page
        env[SCENARIO_ENV] = str(Path(path).resolve())
    else:
        load_base(None)
    _check_port(host, port)
    proc = subprocess.Popen(server_command(host, port, open_browser), env=env)
    if not wait:
        return proc
    print(f"kooperationssim dashboard: http://{host}:{port}/ (Ctrl+C stops it)", flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Run ``kooperationssim dashboard``; returns the exit code (2 for bad input)."""
    try:
        rc = serve(args.host, args.port, args.open, scenario=args.scenario)
    except (DashboardError, ScenarioError) as e:
        print(f"kooperationssim: error: {e}", file=sys.stderr)
        return 2
    return 0 if rc in (0, -2, 130) else 1


def register_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``dashboard`` subcommand to the command line's subparsers."""
    d = subparsers.add_parser(
        "dashboard", help="serve the interactive teaching dashboard (German/English)",
        description="Serve the teaching dashboard (Mesa SolaraViz) on a local port: the "
                    "network of professionals, the families' pathway, the time series, "
                    "controls from the parameter schema and scenario cards for seminars.")
    d.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"TCP port (default {DEFAULT_PORT})")
    d.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    d.add_argument("--scenario", default=None,
                   help="scenario file or shipped name the page starts from "
                        "(default: mittelstadt)")
    d.add_argument("--open", action="store_true", help="open the page in the default browser")
    d.set_defaults(func=cmd_dashboard)
    return d
