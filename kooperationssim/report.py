"""Self-contained HTML reports of comparisons, sweeps and sensitivity analyses.

One HTML file with everything inside: figures as base64 PNG, styles inline, no scripts
and no external links, so it opens offline and can be mailed as it is.  It holds the
comparison table (means and paired differences against the reference with 95 %
intervals, cost per additional family), the figures and the run manifest.

Sources:

* a results directory of ``kooperationssim sweep`` (design points compared with the
  first point, paired by replicate; the weekly bands when the sweep kept series; the
  figures already in the directory, e.g. ``reach_by_fte.png`` or the bar plots of a
  sensitivity analysis);
* an experiment file, or the name of a shipped experiment (``staffing_funding``, as for
  ``sweep``): its design points run in this process for the file's replicates and seed
  (the same runs a sweep of the file makes) and are compared as above (with
  ``progress=True`` the progress of the runs is shown on stderr, as ``sweep`` shows it);
* a :class:`kooperationssim.compare.Comparison` (from Python, :func:`comparison_html`).

Design points are labelled by their factor values (``coordinator_fte=0.5, ...``), with
as many significant digits as it takes to tell the points apart (at least 4), so every
design point keeps its own rows and bars.  The report is written to a temporary file
beside ``out`` and linked to ``out`` at the end; a file that appears at ``out`` meanwhile
is never replaced.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .io import file_in_the_way, input_hint, make_parents, release_out_dir

__all__ = ["ReportError", "comparison_html", "write_report", "save_comparison", "figure_png"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto;margin:.5em 0}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.75em;max-height:40em}
.note{color:#555;font-size:.9em}
"""

#: Table rows shown first (the rest of the metrics follow).
_MAIN = ("reach_first_year", "burdened_reached_first_year", "eur_per_additional_family",
         "cost_total_eur", "reach_before_crisis", "crises_per_1000_births")


class ReportError(ValueError):
    """Bad report input (unknown source, existing output file)."""


def figure_png(fig) -> str:
    """A matplotlib figure as an ``<img>`` tag with the PNG inline (base64)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return _img(buf.getvalue())


def _img(data: bytes, alt: str = "figure") -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            return "∞" if v == np.inf else ("−∞" if v == -np.inf else "–")
        a = abs(v)
        if float(v).is_integer() and a < 1e6:
            return f"{int(v):,}"
        if a >= 1000:
            return f"{v:,.0f}"
        if a >= 10:
            return f"{v:.1f}"
        return f"{v:.4f}"
    return html.escape(str(v))


def _table_html(table) -> str:
    cols = ["scenario", "metric", "n", "mean", "ci_low", "ci_high", "n_pairs", "diff",
            "diff_ci_low", "diff_ci_high", "variance_reduction"]
    t = table.reindex(columns=cols).copy()
    order = {m: i for i, m in enumerate(_MAIN)}
    t["_o"] = t["metric"].map(lambda m: order.get(m, len(order)))
    t = t.sort_values(["_o", "metric"], kind="stable").drop(columns="_o")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for _, r in t.iterrows():
        body.append("<tr>" + "".join(f"<td>{_fmt(r[c])}</td>" for c in cols) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _df_html(df) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def comparison_html(table, *, title: str, manifest: dict[str, Any], bands=None,
                    extra_images: list[tuple[str, bytes]] | None = None,
                    extra_html: str = "") -> str:
    """The HTML text of a report of a comparison table (see :mod:`kooperationssim.compare`).

    Args:
        table: The tidy comparison table (``None``: no comparison, e.g. a sensitivity
            analysis shown through ``extra_html`` and ``extra_images``).
        title: Heading of the report.
        manifest: Run manifest (shown as JSON).
        bands: Weekly bands (optional; plotted for ``reach_first_year`` and its
            difference to the reference).
        extra_images: ``(caption, PNG bytes)`` shown after the comparison figures.
        extra_html: More HTML inserted before the manifest.
    """
    from .compare import COST_METRIC, plot_differences, plot_series

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    if table is None:  # a sensitivity analysis: its indices instead of a comparison
        parts.append(extra_html)
        parts.append("<h2>Figures</h2>")
        for caption, data in extra_images or []:
            parts.append(f"<p class='note'>{html.escape(caption)}</p>" + _img(data, caption))
        parts.append(_manifest_html(manifest))
        return "\n".join(parts)
    ref = str(table["reference"].iloc[0]) if len(table) else ""
    n = int(table["n"].max()) if len(table) else 0
    parts.append(
        f"<p class='note'>kooperationssim {html.escape(__version__)}. Reference: "
        f"<b>{html.escape(ref)}</b>. Up to {n} replicates per scenario; replicate <i>r</i> "
        "of every scenario uses the same seed (common random numbers), so differences are "
        "paired by replicate. Intervals are 95 % (Student's t over replicates; the cost per "
        "additional family is a ratio of mean differences with a paired bootstrap "
        "percentile interval, ∞ meaning that no upper bound exists because the data do not "
        "rule out zero additional families).</p>")
    parts.append("<h2>Comparison</h2>")
    parts.append(_table_html(table))
    parts.append("<h2>Figures</h2>")
    n_sc = table["scenario"].nunique()
    if n_sc <= 60:
        for metric in ("reach_first_year", "burdened_reached_first_year", COST_METRIC):
            if (table.metric == metric).any():
                parts.append(figure_png(plot_differences(table, metric)))
    if bands is not None and len(bands) and n_sc <= 12:
        for s in dict.fromkeys(bands["series"]):
            if s in ("reach_first_year", "coordinator_fte_filled", "trust_mean"):
                parts.append(figure_png(plot_series(bands, s)))
        if "reach_first_year" in set(bands["series"]):
            parts.append(figure_png(plot_series(bands, "reach_first_year", diff=True)))
    for caption, data in extra_images or []:
        parts.append(f"<p class='note'>{html.escape(caption)}</p>" + _img(data, caption))
    parts.append(extra_html)
    parts.append(_manifest_html(manifest))
    return "\n".join(parts)


def _manifest_html(manifest: dict[str, Any]) -> str:
    return ("<h2>Run manifest</h2><pre>"
            + html.escape(json.dumps(manifest, indent=2, ensure_ascii=False, default=str),
                          quote=False)
            + "</pre></body></html>")


def _point_labels(runs, factors: list[str]) -> dict[int, str]:
    """Design point id -> its unique label, for the points of a sweep's runs."""
    ids = sorted(int(p) for p in runs["point"].unique())
    if factors:
        firsts = runs.groupby("point")[factors].first()
        points = [{f: firsts.loc[p, f] for f in factors} for p in ids]
    else:
        points = [{} for _ in ids]
    return dict(zip(ids, _design_labels(points, factors, ids), strict=True))


def _design_labels(points: list[dict[str, Any]], factors: list[str],
                   ids: list[int] | None = None) -> list[str]:
    """One label per design point (``f=v, g=w``), different for different points.

    Floats get the fewest significant digits (at least 4) that tell every value of their
    factor apart, so values equal to 4 digits (0.12345, 0.12346) keep separate labels.
    Points with equal values, and points without factors, are told apart by their id
    (``ids``, default: the position in ``points``).
    """
    ids = list(range(len(points))) if ids is None else ids
    digits = {f: _digits([pt[f] for pt in points]) for f in factors}
    labels = [", ".join(f"{f}={_short(pt[f], digits[f])}" for f in factors)
              for pt in points]
    seen: set[str] = set()
    out = []
    for i, lab in zip(ids, labels, strict=True):
        if not lab:
            lab = f"point {i}"
        elif lab in seen:
            lab = f"{lab} (point {i})"
        seen.add(lab)
        out.append(lab)
    return out


def _digits(values: list[Any]) -> int:
    """Significant digits (4 to 17) that keep the distinct floats of ``values`` apart."""
    floats = {float(v) for v in values if isinstance(v, float | np.floating)}
    for d in range(4, 17):
        if len({f"{v:.{d}g}" for v in floats}) == len(floats):
            return d
    return 17


def _short(v: Any, digits: int = 4) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.{digits}g}"
    return str(v)


def _from_results(src: Path) -> str:
    from .compare import comparison_from_runs, series_bands
    from .sweep import read_manifest, read_runs, read_series

    man = read_manifest(src)
    name = man["experiment"].get("name", src.name)
    images = [(png.name, png.read_bytes()) for png in sorted(src.glob("*.png"))]
    sj = src / "sensitivity.json"
    if sj.is_file():
        import pandas as pd

        s = json.loads(sj.read_text(encoding="utf-8"))
        extra = (f"<h2>Sensitivity ({html.escape(s['method'])}, {s['points']} points x "
                 f"{s['replicates']} replicates, {s['weeks']} weeks)</h2>"
                 "<p class='note'>Indices on replicate means; *_conf columns are "
                 "half-widths of 95 % bootstrap intervals.</p>"
                 + _df_html(pd.DataFrame(s["indices"]))
                 + "<p class='note'>Seed noise (variance between replicates) beside the "
                 "indices:</p>" + _df_html(pd.DataFrame(s["seed_noise"])))
        return comparison_html(None, title=f"kooperationssim report: {name}", manifest=man,
                               extra_images=images, extra_html=extra)
    runs = read_runs(src)
    factors = [f["name"] for f in man["experiment"]["factors"]]
    labels = _point_labels(runs, factors)  # one unique label per design point id
    runs = runs.sort_values(["point", "replicate"], kind="stable").copy()
    runs["scenario"] = runs["point"].map(labels)
    table = comparison_from_runs(runs, reference=labels[min(labels)],
                                 seed=int(man["experiment"].get("seed", 0)))
    bands = None
    if (src / "series.parquet").is_dir():
        ser = read_series(src)
        names = [s for s in ("reach_first_year", "coordinator_fte_filled", "trust_mean")
                 if s in ser.columns]
        arrays, reps = {}, {}
        for p, d in ser.groupby("point", sort=True):  # by id; labels are unique
            if int(p) not in labels:
                continue
            piv = {s: d.pivot(index="replicate", columns="week", values=s) for s in names}
            arrays[labels[int(p)]] = {s: v.to_numpy() for s, v in piv.items()}
            reps[labels[int(p)]] = piv[names[0]].index.to_numpy()
        bands = series_bands(arrays, names, reps, labels[min(labels)])
    return comparison_html(table, title=f"kooperationssim report: {name}", manifest=man,
                           bands=bands, extra_images=images)


def _from_experiment(ex, progress: Callable[[int, int, float], None] | None = None) -> str:
    from .compare import CompareError, run_comparison

    factors = [f.name for f in ex.factors]
    labels = _design_labels(list(ex.points), factors)  # unique: one scenario per point
    specs = {label: {k: v for k, v in ex.point_run_params(i).items() if k != "weeks"}
             for i, label in enumerate(labels)}
    cb = None
    if progress is not None:
        t0 = time.perf_counter()

        def cb(done: int, total: int) -> None:
            el = time.perf_counter() - t0
            progress(done, total, done / el if el > 0 else 0.0)

        cb(0, ex.n_runs)
    try:
        cmp = run_comparison(specs, replicates=ex.replicates, rng=ex.seed, weeks=ex.weeks,
                             target_ci=ex.target_ci, max_replicates=ex.max_replicates,
                             progress=cb)
    except CompareError as e:
        raise ReportError(f"{ex.path or ex.name}: {e}") from None
    man = dict(cmp.manifest)
    man["experiment"] = ex.to_json()
    man["spec_hash"] = ex.spec_hash()
    return comparison_html(cmp.table, title=f"kooperationssim report: {ex.name}",
                           manifest=man, bands=cmp.series)


def save_comparison(cmp, out: str | Path, title: str = "kooperationssim comparison") -> Path:
    """Write the HTML report of a :class:`kooperationssim.compare.Comparison` (notebooks).

    Raises:
        ReportError: for an ``out`` that already exists, is not ``*.html`` or cannot be
            written.
    """
    out = Path(out)
    _check_out(out)
    with _prepared(out) as tmp:
        text = comparison_html(cmp.table, title=title, manifest=cmp.manifest,
                               bands=cmp.series)
        _write(out, tmp, text)
    return out


def _check_out(out: Path) -> None:
    if out.exists():
        raise ReportError(f"--out {out} already exists; choose another file (nothing was "
                          "written)")
    if out.suffix.lower() not in (".html", ".htm"):
        raise ReportError(f"--out {out}: the report is an HTML file; name it *.html")
    anc = file_in_the_way(out)
    if anc is not None:
        raise ReportError(f"--out {out}: {anc} exists and is not a directory "
                          "(nothing was written)")


@contextmanager
def _prepared(out: Path):
    """Create the folder of ``out`` and a temporary file beside it, before any work.

    Yields the temporary file's path, a name of its own (``.NAME.RANDOM.tmp``), so two
    reports to the same ``out`` never share a temporary file.  When the work fails, the
    temporary file and the folders created here are removed again, so a refused or
    failed report leaves nothing behind.

    Raises:
        ReportError: for a location that cannot be created or written.
    """
    created: list[Path] = []
    try:
        created = make_parents(out)
        tmp = _new_tmp(out)
    except OSError as e:  # no temporary file was made
        _cleanup(None, created)
        raise ReportError(f"--out {out} cannot be written ({e.strerror or e}); choose "
                          "another file (nothing was written)") from None
    try:
        yield tmp
    except BaseException:
        _cleanup(tmp, created)
        raise


def _new_tmp(out: Path) -> Path:
    """Create a new, empty temporary file beside ``out`` and return its path.

    The name is new (the file is created exclusively) and the file gets the usual
    permissions of a new file (unlike :func:`tempfile.mkstemp`, which makes it private).
    """
    for _ in range(100):
        tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
        try:
            with open(tmp, "x", encoding="utf-8"):
                pass
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {out}")


def _cleanup(tmp: Path | None, created: list[Path]) -> None:
    if tmp is not None:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
    release_out_dir(created)


def _appeared(out: Path) -> ReportError:
    return ReportError(f"--out {out} appeared while the report was made (another "
                       "process?); it was left as it is and the report was not written")


def _write(out: Path, tmp: Path, text: str) -> None:
    """Write ``text`` to ``tmp``, then put it at ``out`` without replacing anything.

    ``out`` becomes a hard link to the finished temporary file (which is then removed),
    so it appears complete or not at all; where the file system has no hard links, the
    text is written to ``out`` created exclusively.  Either way a file that appeared at
    ``out`` meanwhile is kept, and :class:`ReportError` is raised.
    """
    tmp.write_text(text, encoding="utf-8")
    try:
        os.link(tmp, out)
    except FileExistsError:
        raise _appeared(out) from None
    except OSError:  # no hard links here (e.g. FAT, some network shares)
        _write_exclusive(out, text)
    try:
        tmp.unlink()
    except OSError:
        pass


def _write_exclusive(out: Path, text: str) -> None:
    """Create ``out`` (failing if it exists) and write ``text``; no partial file stays."""
    try:
        f = open(out, "x", encoding="utf-8")
    except FileExistsError:
        raise _appeared(out) from None
    except OSError as e:
        raise ReportError(f"--out {out} cannot be written ({e.strerror or e}); nothing "
                          "was written") from None
    try:
        with f:
            f.write(text)
    except BaseException as e:
        try:
            out.unlink()
        except OSError:
            pass
        if isinstance(e, OSError):
            raise ReportError(f"--out {out} cannot be written ({e.strerror or e}); "
                              "nothing was written") from None
        raise


def _progress_callback(progress: Any, desc: str):
    """``(callback, close)`` for ``progress``.

    ``progress`` is a callable, or ``True`` for a progress bar on a terminal and plain
    lines otherwise (both on stderr, as ``sweep`` shows them).
    """
    from .sweep import bar_progress, plain_progress

    if progress is None or progress is False:
        return None, None
    if callable(progress):
        return progress, None
    if sys.stderr.isatty():
        return bar_progress(desc)
    return plain_progress(), None


def write_report(source: str | Path, out: str | Path, *, progress: Any = None) -> Path:
    """Write the HTML report of ``source`` (results directory or experiment) to ``out``.

    The source is checked, and the folder of ``out`` created, before anything runs.

    Args:
        source: A results directory of a sweep, or an experiment file (``*.toml``) or the
            name of a shipped experiment (``staffing_funding``, as for ``sweep``), whose
            design points then run in this process.
        out: The report file (``*.html``; must not exist).
        progress: For an experiment file: ``True`` shows the progress of the runs on
            stderr (a bar on a terminal, plain lines otherwise, as ``sweep`` does); a
            callable is called as ``progress(done, total, runs_per_second)``; ``None``
            (default) shows nothing.

    Raises:
        ReportError: for a source that is none of these, or an ``out`` that already
            exists, cannot be written or appears while the report is made.
        ExperimentError: for an invalid experiment file.
        SweepError: for a results directory with a damaged manifest.
    """
    src, out = Path(source), Path(out)
    _check_out(out)
    if src.is_dir():
        if not (src / "manifest.json").is_file():
            raise ReportError(f"{src} is not a results directory (no manifest.json)")
        with _prepared(out) as tmp:
            _write(out, tmp, _from_results(src))
        return out
    from .experiment import EXPERIMENT_DIR, experiment_path

    named, src = src, experiment_path(src)  # a bare name: the shipped experiment
    if src.is_file() and src.suffix == ".toml":
        from .experiment import TARGET_METRIC, load_experiment

        ex = load_experiment(src)
        if ex.adaptive and ex.weeks <= 52:
            raise ReportError(
                f"{src}: target_ci needs weeks > 52, got weeks = {ex.weeks}: the stopping "
                f"rule uses {TARGET_METRIC}, which has no value before week 53")
        with _prepared(out) as tmp:
            cb, close = _progress_callback(progress, ex.name)
            if progress is True:
                print(f"kooperationssim {__version__} - report '{ex.name}': "
                      f"{len(ex.points)} design points x {ex.replicates} replicates = "
                      f"{ex.n_runs} runs of {ex.weeks} weeks, in this process, into {out}",
                      file=sys.stderr, flush=True)
            try:
                text = _from_experiment(ex, cb)
            finally:
                if close is not None:
                    close()
            _write(out, tmp, text)
        return out
    if not src.exists():
        raise ReportError(f"source not found: {named} (give an experiment file, the name "
                          "of a shipped experiment or a results directory)"
                          f"{input_hint(named, EXPERIMENT_DIR)}")
    raise ReportError(f"{src}: give an experiment file (*.toml) or a results directory")
