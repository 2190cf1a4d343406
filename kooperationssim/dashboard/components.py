"""Figures of the teaching dashboard: the network, the families' pathway, the time series.

The figure builders are plain functions of the model and the language, so that the
benchmark (``benchmarks/dashboard_step.py``) and the tests can call them without a
browser; the Solara components in ``app.py`` only wrap them.  Matplotlib figures are
built with :class:`matplotlib.figure.Figure` (no pyplot state) and sent as PNG.
"""

from __future__ import annotations

import io
import math
import weakref
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..layout import KIND_NAMES
from ..params import MODES
from ..plotting import MODE_COLOURS
from . import i18n
from .model import NO_MODE

if TYPE_CHECKING:  # pragma: no cover
    from .model import DashboardModel

__all__ = ["MODE_COLORS", "NO_MODE_COLOR", "KIND_STYLE", "SERIES_KEYS", "SERIES_COLORS", "PLOTS",
           "NetworkPlot", "FunnelPlot", "SeriesPlot", "node_positions", "network_data",
           "network_figure", "legend_entries", "funnel_counts", "funnel_figure",
           "series_figure", "figure_png"]

#: Colour of each coordination mode, in ``params.MODES`` order (red to green: from
#: avoiding each other to planning together).
MODE_COLORS = tuple(MODE_COLOURS[m] for m in MODES)
NO_MODE_COLOR = "#c7c7c7"
#: Colour and marker of each kind of professional slot.
KIND_STYLE = {
    "gynecology": ("#9467bd", "o"),
    "clinic": ("#8c564b", "s"),
    "midwife": ("#e377c2", "o"),
    "pediatric": ("#17becf", "o"),
    "coordinator": ("#000000", "*"),
    "health_office": ("#7f7f7f", "D"),
    "asd": ("#bcbd22", "^"),
    "fh_provider": ("#ff9896", "^"),
}
_HEALTH = ("gynecology", "clinic", "midwife", "pediatric")
_YOUTH = ("asd", "fh_provider")
_CENTRE = ("coordinator", "health_office")
#: Output names of the time series (the model's DataCollector collects them each week).
SERIES_KEYS = ("reach_first_year", "trust_mean") + tuple(f"mode_share_{m}" for m in MODES)
#: Colours of the two top series.
SERIES_COLORS = {"reach_first_year": "#2ca02c", "trust_mean": "#1f77b4"}
_DPI = 80

_positions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _arc(n: int, a0: float, a1: float) -> list[tuple[float, float]]:
    if n == 1:
        angles = [(a0 + a1) / 2.0]
    else:
        angles = [a0 + (a1 - a0) * i / (n - 1) for i in range(n)]
    return [(math.cos(math.radians(a)), math.sin(math.radians(a))) for a in angles]


def node_positions(model: DashboardModel) -> np.ndarray:
    """Fixed positions of the professional slots, computed once per model.

    Health professionals sit on the left arc, youth welfare on the right arc (both sorted
    by kind and district), coordinators and the health office in the middle, so that
    every line across the middle is a tie across the divide between the two systems.
    """
    pos = _positions.get(model)
    if pos is not None:
        return pos
    profs = model.profs
    pos = np.zeros((len(profs), 2))

    def order(kinds: tuple[str, ...]) -> list[int]:
        rank = {k: i for i, k in enumerate(kinds)}
        sel = [a for a in profs if a.kind_name in rank]
        sel.sort(key=lambda a: (rank[a.kind_name], a.district, a.pid))
        return [a.pid for a in sel]

    for pids, (a0, a1) in ((order(_HEALTH), (105.0, 255.0)), (order(_YOUTH), (60.0, -60.0))):
        for pid, xy in zip(pids, _arc(len(pids), a0, a1), strict=True):
            pos[pid] = xy
    centre = order(_CENTRE)
    for i, pid in enumerate(centre):
        y = 0.0 if len(centre) == 1 else 0.45 - 0.9 * i / (len(centre) - 1)
        pos[pid] = (0.0, y)
    _positions[model] = pos
    return pos


def network_data(model: DashboardModel) -> dict[str, np.ndarray]:
    """Edges (acquainted pairs, both slots filled) with trust and last mode, and the nodes."""
    profs = model.profs
    filled = np.array([a.filled for a in profs], dtype=bool)
    a_idx, b_idx, trust, mode = [], [], [], []
    for r in model.rels:
        if r.acquainted and filled[r.a] and filled[r.b]:
            a_idx.append(r.a)
            b_idx.append(r.b)
            trust.append(r.trust)
            mode.append(r.last_mode)
    return {"a": np.array(a_idx, dtype=np.int64), "b": np.array(b_idx, dtype=np.int64),
            "trust": np.array(trust, dtype=float), "mode": np.array(mode, dtype=np.int64),
            "filled": filled, "kind": np.array([a.kind for a in profs], dtype=np.int64)}


class NetworkPlot:
    """The network of professionals: nodes by kind and side, edges by trust and mode.

    The figure is built once per model and language; :meth:`update` moves the data of
    the current week into it.  Title and legends are not part of the figure: the page
    shows them as text (:func:`legend_entries`), which keeps each step's drawing fast.
    """

    def __init__(self, model: DashboardModel, lang: str):
        self.model = model
        self.pos = node_positions(model)
        kind = np.array([a.kind for a in model.profs], dtype=np.int64)
        self.fig = fig = Figure(figsize=(5.6, 5.2), dpi=_DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_axis_off()
        self.edges = LineCollection([], alpha=0.75, zorder=1)
        ax.add_collection(self.edges)
        self.nodes = []
        for name, (color, marker) in KIND_STYLE.items():
            code = next((k for k, v in KIND_NAMES.items() if v == name), None)
            sel = np.flatnonzero(kind == code)
            if not len(sel):
                continue
            size = 160 if name in _CENTRE else 55
            full = ax.scatter([], [], s=size, c=color, marker=marker, zorder=3,
                              edgecolors="white", linewidths=0.6)
            vac = ax.scatter([], [], s=size, facecolors="white", marker=marker,
                             edgecolors=color, linewidths=1.2, zorder=3)
            self.nodes.append((sel, full, vac))
        ax.text(-0.7, 1.12, i18n.t("health_side", lang), ha="center", fontsize=10)
        ax.text(0.7, 1.12, i18n.t("youth_side", lang), ha="center", fontsize=10)
        ax.set_xlim(-1.2, 1.2)
        ax.set_ylim(-1.08, 1.2)
        ax.set_aspect("equal")

    def update(self) -> Figure:
        """Draw the model's current week into the figure and return it."""
        d = network_data(self.model)
        pos = self.pos
        if len(d["a"]):
            self.edges.set_segments(np.stack([pos[d["a"]], pos[d["b"]]], axis=1))
            self.edges.set_color([MODE_COLORS[m] if m != NO_MODE else NO_MODE_COLOR
                                  for m in d["mode"]])
            self.edges.set_linewidths(0.3 + 3.2 * d["trust"])
        else:
            self.edges.set_segments([])
        empty = np.zeros((0, 2))
        for sel, full, vac in self.nodes:
            f = d["filled"][sel]
            full.set_offsets(pos[sel[f]] if f.any() else empty)
            vac.set_offsets(pos[sel[~f]] if (~f).any() else empty)
        return self.fig


def network_figure(model: DashboardModel, lang: str) -> Figure:
    """The network figure of the model's current week (a fresh :class:`NetworkPlot`)."""
    return NetworkPlot(model, lang).update()


def legend_entries(lang: str) -> dict[str, list[tuple[str, str, str]]]:
    """Legend of the network: ``(colour, marker or "line", text)`` for kinds and modes."""
    kinds = [(c, m, i18n.KIND_TEXT[lang][k]) for k, (c, m) in KIND_STYLE.items()]
    kinds.append(("#555555", "vacant", i18n.t("vacant", lang)))
    modes = [(c, "line", f"{i18n.MODE_TEXT[lang][i][0]}: {i18n.MODE_TEXT[lang][i][1]}")
             for i, c in enumerate(MODE_COLORS)]
    modes.append((NO_MODE_COLOR, "line", i18n.t("no_mode", lang)))
    return {"kinds": kinds, "modes": modes}


def funnel_counts(model: DashboardModel) -> dict[str, int]:
    """Burdened families now in the model and how many of them ever reached each stage."""
    c = dict.fromkeys(i18n.STAGES, 0)
    for f in model.families.values():
        if f.burden <= 0:
            continue
        c["burdened"] += 1
        c["noticed"] += f.noticed_bits != 0
        c["referred"] += f.route >= 0
        c["accepted"] += f.accepted_week >= 0
        c["in_help"] += f.first_help >= 0
        c["crisis"] += f.crisis_week >= 0
    return c


class FunnelPlot:
    """The families' pathway as a funnel (noticed, referred, accepted, in early help; crises)."""

    def __init__(self, model: DashboardModel, lang: str):
        self.model = model
        self.fig = fig = Figure(figsize=(6.0, 3.0), dpi=_DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.22, 0.02, 0.76, 0.96))
        y = np.arange(len(i18n.STAGES))[::-1]
        colors = ["#9e9e9e", "#6baed6", "#4292c6", "#2171b5", "#2ca02c", "#d62728"]
        self.bars = ax.barh(y, np.zeros(len(y)), color=colors, height=0.75)
        self.labels = [ax.text(0.0, yi, "", va="center", fontsize=9) for yi in y]
        ax.set_yticks(y, [i18n.t(s, lang) for s in i18n.STAGES])
        ax.set_xticks([])
        for s in ("top", "right", "bottom"):
            ax.spines[s].set_visible(False)
        self.ax = ax

    def update(self) -> Figure:
        """Draw the model's current counts into the figure and return it."""
        c = funnel_counts(self.model)
        vals = [c[s] for s in i18n.STAGES]
        top = max(vals[0], 1)
        for bar, label, v in zip(self.bars, self.labels, vals, strict=True):
            bar.set_x((top - v) / 2.0)
            bar.set_width(v)
            share = f" ({100.0 * v / vals[0]:.0f} %)" if vals[0] else ""
            label.set_text(f"{v}{share}")
            # inside a wide bar, to its right otherwise
            inside = v > 0.55 * top
            label.set_x(top / 2.0 if inside else (top + v) / 2.0 + 0.01 * top)
            label.set_horizontalalignment("center" if inside else "left")
        self.ax.set_xlim(0, top)
        return self.fig


def funnel_figure(model: DashboardModel, lang: str) -> Figure:
    """The funnel figure of the model's current week (a fresh :class:`FunnelPlot`)."""
    return FunnelPlot(model, lang).update()


class SeriesPlot:
    """Weekly series: reach before the first birthday and mean trust (top), mode shares.

    The colours are those of :data:`SERIES_COLORS` and :data:`MODE_COLORS`; the page
    prints the legend as text next to the figure.
    """

    def __init__(self, model: DashboardModel, lang: str):
        self.model = model
        self.fig = fig = Figure(figsize=(6.0, 4.2), dpi=_DPI)
        FigureCanvasAgg(fig)
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        fig.subplots_adjust(left=0.08, right=0.98, top=0.97, bottom=0.11, hspace=0.12)
        self.lines = {key: ax1.plot([], [], color=color, linewidth=1.5)[0]
                      for key, color in SERIES_COLORS.items()}
        for i, m in enumerate(MODES):
            self.lines[f"mode_share_{m}"] = ax2.plot([], [], color=MODE_COLORS[i],
                                                     linewidth=1.2)[0]
        for ax in (ax1, ax2):
            ax.set_ylim(0, 1)
            ax.set_yticks([0, 0.5, 1])
            ax.grid(alpha=0.3)
        ax2.set_xlabel(i18n.t("week", lang))
        self.ax = ax2

    def update(self) -> Figure:
        """Draw the series up to the model's current week and return the figure."""
        mv = self.model.datacollector.model_vars
        n = len(mv.get("trust_mean", ()))
        weeks = np.arange(n)
        for key, line in self.lines.items():
            line.set_data(weeks, np.asarray(mv.get(key, []), dtype=float))
        self.ax.set_xlim(0, max(n, 52))
        return self.fig


def series_figure(model: DashboardModel, lang: str) -> Figure:
    """The series figure of the model's current week (a fresh :class:`SeriesPlot`)."""
    return SeriesPlot(model, lang).update()


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes, as the page sends it."""
    buf = io.BytesIO()
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.print_png(buf, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


#: The figures of the page, in the order of the benchmark.
PLOTS = (NetworkPlot, FunnelPlot, SeriesPlot)
