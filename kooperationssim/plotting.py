"""Figures of one run: reach, coordination modes, trust and staffing over time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from .outputs import OUTPUTS

__all__ = ["run_figure", "save_png_svg", "MODE_COLOURS"]

#: One colour per coordination mode, used in every figure and the dashboard (from
#: avoiding each other, red, to planning together, green).
MODE_COLOURS = {
    "negative": "#d62728",
    "intervention": "#ff7f0e",
    "exchange": "#1f77b4",
    "positive": "#2ca02c",
}
_LABEL = {o.name: (o.label_en, o.label_de) for o in OUTPUTS}


def _label(name: str, lang: str) -> str:
    en, de = _LABEL.get(name, (name, name))
    return de if lang == "de" else en


def run_figure(series: pd.DataFrame, path: Path, title: str = "", lang: str = "en") -> None:
    """Draw the four-panel figure of a run and save it to ``path`` (PNG or SVG)."""
    years = series["week"] / 52.0
    # a bare Figure (no pyplot): importing this module selects no backend
    fig = Figure(figsize=(11, 7.5), constrained_layout=True)
    axes = fig.subplots(2, 2, sharex=True)
    ax = axes[0, 0]
    for k in ("reach_first_year", "reach_before_crisis"):
        ax.plot(years, series[k], label=_label(k, lang))
    ax.set_ylim(0, 1)
    ax.set_title("Erreichung belasteter Familien" if lang == "de"
                 else "Reach of burdened families (trailing 52 weeks)")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[0, 1]
    for m, c in MODE_COLOURS.items():
        k = f"mode_share_{m}"
        ax.plot(years, series[k], color=c, label=_label(k, lang))
    ax.set_ylim(0, 1)
    ax.set_title("Koordinationsformen (gleitend 52 Wochen)" if lang == "de"
                 else "Coordination modes (trailing 52 weeks)")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[1, 0]
    for k in ("trust_mean", "understanding_mean", "acquainted_share", "active_physicians_share"):
        ax.plot(years, series[k], label=_label(k, lang))
    ax.set_ylim(0, 1)
    ax.set_title("Vertrauen und Kontakte" if lang == "de" else "Trust and acquaintance")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[1, 1]
    ax.step(years, series["coordinator_fte_funded"], where="post",
            label="Koordination finanziert (VZÄ)" if lang == "de" else "coordinator FTE funded")
    ax.step(years, series["coordinator_fte_filled"], where="post",
            label="Koordination besetzt (VZÄ)" if lang == "de" else "coordinator FTE filled")
    ax2 = ax.twinx()
    ax2.plot(years, series["families_in_help"], color="#8c564b", alpha=0.7,
             label="Familien in Frühen Hilfen" if lang == "de" else "families in early help")
    ax2.set_ylabel("Familien" if lang == "de" else "families")
    ax.set_ylabel("VZÄ" if lang == "de" else "FTE")
    ax.set_title("Personal und Fälle" if lang == "de" else "Staffing and cases")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    for a in axes[1]:
        a.set_xlabel("Jahr" if lang == "de" else "year")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=110)


def save_png_svg(fig, path: Path, dpi: int = 130) -> list[Path]:
    """Save ``fig`` as ``path`` with the suffixes .png and .svg, close it, return the paths."""
    written = []
    for ext in ("png", "svg"):
        p = Path(path).with_suffix(f".{ext}")
        fig.savefig(p, dpi=dpi)
        written.append(p)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return written
