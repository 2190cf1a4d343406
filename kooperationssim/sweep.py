"""Sweeps: every design point x replicate of an experiment, in chunks, into a results store.

The results directory holds

* ``runs.parquet/`` — a Parquet dataset, one file per finished chunk, one row per run:
  design point, replicate, seed, every factor, every summary output;
* ``series.parquet/`` — the weekly series of every run (only with ``series = true``);
* ``manifest.json`` — package version, git commit (and whether the working tree had
  changes) of every session, hash of the experiment, seeds, library versions, platform,
  wall time, workers, failures.

A chunk's files are written under a hidden temporary name and renamed when complete
(the series file first, the runs file last), so a chunk is either complete or absent;
readers skip hidden files.  Which runs are done is read from the runs files themselves,
so ``--resume`` after any crash (even SIGKILL) reruns exactly the runs that are missing.
Chunks are named after the runs they hold; the results do not depend on the chunk
size, the number of workers or the order in which chunks finish.

Chunks run in this process (one worker), on a local ``dask.distributed`` cluster of
worker processes (``workers > 1``) or on an existing cluster (``scheduler``).  A chunk
that raises is recorded in the manifest with its traceback and the sweep goes on;
``retry_failed`` reruns only those runs (``resume`` alone leaves them alone).

Before anything is written the sweep checks its input: the results directory (that it
can be created, or written when it exists), whether anything is left to run, the memory
one chunk needs (the engine's estimate; each worker holds one chunk, and an automatic
chunk size is lowered to what fits), and the cluster, which is started or connected to
before the directory is created.  Resuming results made from another git commit, from a
working tree with changes, or by a version that did not record the commit of each
session, prints a warning that the results may mix code versions.

One sweep at a time writes to a results directory: it holds an exclusive lock
(``flock`` on the hidden file ``.sweep.lock``) from its checks to its end, and a second
sweep (or ``--resume``) into the same directory is refused meanwhile.  The kernel
releases the lock when the process ends in any way, so a crashed sweep leaves no stale
lock.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .experiment import DEFAULT_MAX_ROUNDS, Experiment
from .io import dump_json, file_in_the_way
from .params import FUNDING_SOURCES, FUNDING_USES, PARAMS_BY_NAME

__all__ = [
    "SweepError",
    "Chunk",
    "failed_chunks_message",
    "run_memory_bytes",
    "plan_chunks",
    "run_chunk",
    "sweep",
    "read_runs",
    "read_series",
    "read_manifest",
    "SweepReport",
    "AdaptiveState",
    "adaptive_state",
]

RUNS_DIR = "runs.parquet"
SERIES_DIR = "series.parquet"
MANIFEST = "manifest.json"
#: Lock file of a results directory, locked (``flock``) by the sweep that writes to it.
LOCK_FILE = ".sweep.lock"
#: Runs per chunk for a town of 1,200 births a year when the chunk size is chosen
#: automatically (at most about 1.3 GB per worker; less where design points of a replicate
#: share their families); larger towns get proportionally fewer.  Larger batches spread
#: the engine's fixed cost per week over more runs.
AUTO_CHUNK_RUNS_AT_1200_BIRTHS = 256
MAX_AUTO_CHUNK = 256


class SweepError(ValueError):
    """A sweep cannot start or continue (bad directory, bad options)."""


@dataclass(frozen=True)
class Chunk:
    """Runs of one batch: ``(design point, replicate)`` pairs of one structure."""

    runs: tuple[tuple[int, int], ...]

    @property
    def name(self) -> str:
        """Stable name derived from the runs it holds."""
        h = hashlib.sha1(json.dumps(self.runs).encode()).hexdigest()[:16]
        p0, r0 = self.runs[0]
        return f"chunk-p{p0:05d}-r{r0:05d}-{h}"


# ---------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------


def _structure_groups(ex: Experiment) -> list[list[int]]:
    """Design points grouped by the structure the engine batches on (order of first use)."""
    from .scenario import resolve
    from .vector_engine import structure_key

    groups: dict[tuple, list[int]] = {}
    for i in range(len(ex.points)):
        key = structure_key(resolve(ex.point_params(i), ex.funding_streams))
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def auto_chunk_size(ex: Experiment, workers: int = 1) -> int:
    """Runs per chunk: at most about 1.3 GB per worker, and at least four chunks per worker.

    The engine's time per run falls with the batch size; its memory grows with the
    number of families, i.e. with births per year (the largest of the design).
    """
    from .scenario import resolve

    births = max(resolve(ex.point_params(i), ex.funding_streams)["births_per_year"]
                 for i in range(len(ex.points)))
    size = int(AUTO_CHUNK_RUNS_AT_1200_BIRTHS * 1200.0 / max(births, 1.0))
    size = max(4, min(MAX_AUTO_CHUNK, size))
    return max(1, min(size, math.ceil(ex.n_runs / (4 * workers))))


def plan_chunks(ex: Experiment, todo: Iterable[tuple[int, int]], chunk_size: int) -> list[Chunk]:
    """Split the runs ``todo`` into chunks of at most ``chunk_size`` runs of one structure.

    Runs are ordered by replicate, then design point, within each structure group: a
    replicate has the same seed at every design point (common random numbers), and runs
    of one seed in one batch share the drawing and preparing of their families where the
    design points do not change them (:meth:`VectorEngine._family_groups`).
    """
    todo = set(todo)
    chunks: list[Chunk] = []
    for pts in _structure_groups(ex):
        group = set(pts)
        runs = sorted(((p, r) for p, r in todo if p in group), key=lambda x: (x[1], x[0]))
        for i in range(0, len(runs), chunk_size):
            chunks.append(Chunk(tuple(runs[i:i + chunk_size])))
    return chunks


#: Margin on the engine's memory estimate of a run (the size of the family ring buffer
#: varies a little with the seeds, and a chunk takes the largest of its runs).
MEMORY_MARGIN = 1.1
#: Share of the available memory the engine allows for one batch (as the engine does).
MEMORY_SHARE = 0.8
#: Replicates whose seeds the memory estimate looks at.
_PROBE_REPLICATES = 3


def run_memory_bytes(ex: Experiment) -> float:
    """Engine state of one run (bytes), the largest over the design, with a margin.

    The engine's own estimate (see :class:`kooperationssim.vector_engine.VectorEngine`,
    which refuses a batch "too large for memory"), for the design point with the most
    births of every structure group; nothing is allocated and nothing runs.
    """
    from . import vector_engine as ve
    from .scenario import resolve

    class _Probe(ve.VectorEngine):
        def _init_state(self) -> None:  # sizes only: no state is allocated
            return None

    seeds = [ex.seed_of(r) for r in range(min(ex.replicate_limit, _PROBE_REPLICATES))]
    worst = 0.0
    for pts in _structure_groups(ex):
        p = max(pts, key=lambda i: resolve(ex.point_params(i),
                                           ex.funding_streams)["births_per_year"])
        params = ex.point_run_params(p)
        eng = _Probe([params] * len(seeds), seeds, max_memory_gb=float("inf"))
        # the engine's estimate for R runs is R * (cap * FAMILY_BYTES + n_pairs * 192)
        per = eng.cap * ve.FAMILY_BYTES + eng.lay.n_pairs * 64 * 3
        worst = max(worst, float(per))
    return worst * MEMORY_MARGIN


def available_memory_gb() -> float:
    """Memory available to new work on this machine (GB), as the engine reads it."""
    from . import vector_engine as ve

    return float(ve._available_gb())


def _fit_chunk_size(chunk_size: int, auto: bool, per_run: float, limit_gb: float,
                    where: str) -> int:
    """``chunk_size`` if a chunk fits into ``limit_gb``; the automatic size is lowered.

    Raises:
        SweepError: for a chunk size given by the user that does not fit, or a single run
            that does not fit.
    """
    fits = int(limit_gb * 1e9 // per_run) if per_run > 0 else chunk_size
    if fits < 1:
        raise SweepError(
            f"not enough memory for a single run: one run needs about {per_run / 1e9:.2f} "
            f"GB of engine state, but about {limit_gb:.2f} GB are available {where}")
    if chunk_size <= fits:
        return chunk_size
    if auto:
        return fits
    raise SweepError(
        f"--chunk-size {chunk_size} is too large for memory: a chunk of {chunk_size} runs "
        f"needs about {chunk_size * per_run / 1e9:.1f} GB of engine state "
        f"({per_run / 1e6:.1f} MB per run), but about {limit_gb:.1f} GB are available "
        f"{where}; use --chunk-size {fits} or less (nothing was written)")


def _local_memory_where(workers: int, avail: float) -> str:
    if workers == 1:
        return f"({MEMORY_SHARE:.0%} of the {avail:.1f} GB free on this machine)"
    return (f"per worker ({MEMORY_SHARE:.0%} of the {avail:.1f} GB free on this machine, "
            f"shared by {workers} workers that each hold one chunk; fewer --workers leave "
            "more to each)")


# ---------------------------------------------------------------------------
# running one chunk (in this process or on a worker)
# ---------------------------------------------------------------------------


def _summary_columns(s: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in s.items():
        if k == "cost_by_source_eur":
            for src in FUNDING_SOURCES:
                out[f"cost_eur_{src}"] = float(v.get(src, 0.0))
        elif k == "cost_by_use_eur":
            for use in FUNDING_USES:
                out[f"cost_eur_{use}"] = float(v.get(use, 0.0))
        elif isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
            out[k] = float(v)
    return out


def _factor_type(name: str):
    import pyarrow as pa

    t = PARAMS_BY_NAME[name].type
    return {int: pa.int64(), float: pa.float64(), bool: pa.bool_(), str: pa.string()}[t]


def run_chunk(ex: Experiment, runs: tuple[tuple[int, int], ...]):
    """Run one chunk with the NumPy engine.

    Returns ``(runs_table, series_table)`` as ``pyarrow.Table`` (the series table is
    ``None`` unless the experiment keeps series).
    """
    import pyarrow as pa

    from .memory import tune_allocator
    from .vector_engine import VectorEngine

    tune_allocator()
    seeds = {r: ex.seed_of(r) for r in sorted({r for _p, r in runs})}
    pparams: dict[int, dict[str, Any]] = {}
    params = []
    for p, _r in runs:
        if p not in pparams:  # one dict per point: the engine validates it once
            pparams[p] = ex.point_run_params(p)
        params.append(pparams[p])
    res = VectorEngine(params, [seeds[r] for _p, r in runs]).run()
    cols: dict[str, Any] = {
        "point": pa.array([p for p, _r in runs], pa.int64()),
        "replicate": pa.array([r for _p, r in runs], pa.int64()),
        "seed": pa.array([seeds[r] for _p, r in runs], pa.uint64()),
    }
    for f in ex.factors:
        cols[f.name] = pa.array([ex.points[p][f.name] for p, _r in runs], _factor_type(f.name))
    flat = [_summary_columns(s) for s in res.summaries]
    for k in flat[0]:
        cols[k] = pa.array([row[k] for row in flat], pa.float64())
    runs_table = pa.table(cols)
    series_table = None
    if ex.series:
        parts = []
        for i, (p, r) in enumerate(runs):
            df = res.series(i)
            df.insert(0, "replicate", r)
            df.insert(0, "point", p)
            parts.append(df)
        import pandas as pd

        series_table = pa.Table.from_pandas(pd.concat(parts, ignore_index=True),
                                            preserve_index=False)
    return runs_table, series_table


# ---------------------------------------------------------------------------
# the results store
# ---------------------------------------------------------------------------


def _write_table_atomically(table, path: Path) -> None:
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _write_json_atomically(data: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    dump_json(tmp, data)
    os.replace(tmp, path)


def _files(d: Path) -> list[Path]:
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))


def _done_runs(out: Path) -> set[tuple[int, int]]:
    import pyarrow.parquet as pq

    done: set[tuple[int, int]] = set()
    for f in _files(out / RUNS_DIR):
        t = pq.read_table(f, columns=["point", "replicate"])
        done.update(zip(t.column("point").to_pylist(), t.column("replicate").to_pylist(),
                        strict=True))
    return done


def _clean_partial(out: Path) -> None:
    """Remove temporary files of chunks that never finished, and orphaned series files."""
    for d in (out / RUNS_DIR, out / SERIES_DIR):
        if d.is_dir():
            for p in d.iterdir():
                if p.name.startswith(".") and ".tmp-" in p.name:
                    p.unlink(missing_ok=True)
    runs = {p.name for p in _files(out / RUNS_DIR)}
    for p in _files(out / SERIES_DIR):
        if p.name not in runs:
            p.unlink()
    for p in out.glob(f".{MANIFEST}.tmp-*"):
        p.unlink(missing_ok=True)


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of a results directory.

    Raises:
        SweepError: for a directory without a manifest, or a manifest that cannot be read,
            is not JSON or does not have the shape a sweep writes.
    """
    p = Path(out) / MANIFEST
    if not p.exists():
        raise SweepError(f"{out} is not a sweep results directory (no {MANIFEST})")
    damaged = (f"{p} is damaged: {{}}; the results directory cannot be used as it is "
               f"(restore {MANIFEST} from a backup, or run the sweep into a new --out)")
    try:
        man = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise SweepError(damaged.format(f"cannot be read ({e})")) from None
    except ValueError as e:  # json.JSONDecodeError
        raise SweepError(damaged.format(f"not valid JSON ({e})")) from None
    problem = _manifest_problem(man)
    if problem:
        raise SweepError(damaged.format(problem))
    return man


def _manifest_problem(man: Any) -> str | None:
    """What is wrong with the shape of a parsed manifest (``None``: nothing)."""
    if not isinstance(man, dict):
        return f"expected a JSON object, found {type(man).__name__}"
    exp = man.get("experiment")
    if not isinstance(exp, dict):
        return "'experiment' is missing or not an object"
    factors = exp.get("factors")
    if not isinstance(factors, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in factors):
        return "'experiment.factors' is missing or not a list of factors with names"
    for key, typ, what in (("sessions", list, "a list"), ("failures", dict, "an object")):
        if key in man and not isinstance(man[key], typ):
            return f"'{key}' is not {what}"
    for name, f in man.get("failures", {}).items():
        problem = _failure_problem(f"failures.{name}", f)
        if problem:
            return problem
    for i, sess in enumerate(man.get("sessions", [])):
        problem = _session_problem(f"sessions[{i}]", sess)
        if problem:
            return problem
    return None


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _failure_problem(key: str, f: Any) -> str | None:
    """What is wrong with one entry of the manifest's ``failures`` (``key``: its name)."""
    if not isinstance(f, dict):
        return f"'{key}' is not an object"
    if "runs" not in f:
        return f"'{key}.runs' is missing"
    runs = f["runs"]
    if not isinstance(runs, list) or not all(
            isinstance(x, list) and len(x) == 2 and all(_is_int(v) and v >= 0 for v in x)
            for x in runs):
        return f"'{key}.runs' is not a list of [point, replicate] pairs"
    if "traceback" in f and not isinstance(f["traceback"], str):
        return f"'{key}.traceback' is not a string"
    return None


#: Keys of a session in the manifest: a check of the value and what it should be.
_SESSION_KEYS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "started": (lambda v: isinstance(v, str), "a string"),
    "finished": (lambda v: isinstance(v, str), "a string"),
    "workers": (lambda v: _is_int(v) and v >= 1, "a positive integer"),
    "chunk_size": (lambda v: _is_int(v) and v >= 1, "a positive integer"),
    "scheduler": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "runs_planned": (lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
    "runs_done": (lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
    "wall_s": (lambda v: _is_number(v) and v >= 0, "a non-negative number"),
    "kooperationssim_version": (lambda v: isinstance(v, str), "a string"),
    "git_commit": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "git_dirty": (lambda v: v is None or isinstance(v, bool), "true, false or null"),
    "warnings": (lambda v: isinstance(v, list) and all(isinstance(w, str) for w in v),
                 "a list of strings"),
}


def _session_problem(key: str, sess: Any) -> str | None:
    """What is wrong with one entry of the manifest's ``sessions`` (``key``: its place).

    Every key is optional (older versions recorded fewer, and a session killed while
    it ran has no end); the keys a session records must have the right type.
    """
    if not isinstance(sess, dict):
        return f"'{key}' is not an object"
    for k, (ok, what) in _SESSION_KEYS.items():
        if k in sess and not ok(sess[k]):
            return f"'{key}.{k}' is not {what}"
    return None


def read_runs(out: str | Path):
    """All finished runs of a results directory as a DataFrame sorted by point, replicate."""
    import pandas as pd
    import pyarrow.parquet as pq

    files = _files(Path(out) / RUNS_DIR)
    if not files:
        raise SweepError(f"{out} holds no finished runs")
    df = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    return df.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)


def read_series(out: str | Path):
    """All weekly series of a results directory (point, replicate, week, series...)."""
    import pandas as pd
    import pyarrow.parquet as pq

    files = _files(Path(out) / SERIES_DIR)
    if not files:
        raise SweepError(f"{out} holds no weekly series (set series = true in the "
                         "experiment)")
    df = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    return df.sort_values(["point", "replicate", "week"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------
# the sweep
# ---------------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> str | None:
    """Output of ``git ARGS`` run in ``cwd`` (``None``: git missing or failed).

    Runs as ``git --no-optional-locks ARGS``: ``git status`` would otherwise take the
    index lock to refresh the index, and a git command the user runs meanwhile in the
    same work tree could fail on it.
    """
    try:
        out = subprocess.run(["git", "--no-optional-locks", *args], cwd=str(cwd),
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def _git_info() -> dict[str, Any]:
    """Commit of the code that runs, and whether its working tree has changes.

    Both are ``None`` unless the package directory is part of a git work tree that
    tracks it (a source checkout, e.g. an editable install).  An installed package in
    ``site-packages`` reports nothing, even when the environment lies inside some other
    repository (a virtual environment in a project's clone).  ``git_dirty`` counts
    changes of tracked files anywhere in the work tree and untracked files inside the
    package directory.
    """
    none: dict[str, Any] = {"git_commit": None, "git_dirty": None}
    pkg = Path(__file__).resolve().parent
    top = _git(["rev-parse", "--show-toplevel"], pkg)
    if not top or not top.strip():
        return none
    top_p = Path(top.strip()).resolve()
    if not pkg.is_relative_to(top_p):
        return none
    if _git(["ls-files", "--error-unmatch", "--", "__init__.py"], pkg) is None:
        return none  # the package's files are not in that repository
    head = _git(["rev-parse", "HEAD"], pkg)
    commit = head.strip() if head and head.strip() else None
    if commit is None:
        return none
    tracked = _git(["status", "--porcelain", "--untracked-files=no"], top_p)
    untracked = _git(["status", "--porcelain", "--untracked-files=all", "--", "."], pkg)
    dirty = None
    if tracked is not None and untracked is not None:
        new_files = [ln for ln in untracked.splitlines() if ln.startswith("??")
                     and "__pycache__" not in ln and not ln.rstrip('"').endswith(".pyc")]
        dirty = bool(tracked.strip()) or bool(new_files)
    return {"git_commit": commit, "git_dirty": dirty}


def _git_commit() -> str | None:
    """Commit of the code that runs (see :func:`_git_info`)."""
    return _git_info()["git_commit"]


def _code_label(commit: str | None, dirty: bool | None) -> str:
    if commit is None:
        return "an unknown commit"
    return f"commit {commit[:12]}" + (" with uncommitted changes" if dirty else "")


def _code_warning(man: dict[str, Any], git: dict[str, Any]) -> str | None:
    """A warning when the runs in a store and this session may come from different code.

    Sessions of versions that did not record their commit (no ``git_commit`` key) count
    as unknown code: the warning says so, unless nothing is known about the code of any
    session (no git anywhere), when there is nothing to compare.
    """
    sessions = [s for s in man.get("sessions", []) if isinstance(s, dict)]
    before = [(s.get("git_commit"), s.get("git_dirty")) for s in sessions
              if "git_commit" in s]
    unknown = len(sessions) - len(before)
    if not sessions:
        before = [(man.get("git_commit"), man.get("git_dirty"))]
    now = (git["git_commit"], git["git_dirty"])
    known = [c for c, _d in before if c is not None]
    if not known and now[0] is None:
        return None  # nothing known about the code of any session
    differs = any(c != now[0] for c, _d in before)
    dirty = bool(now[1]) or any(bool(d) for _c, d in before)
    if not differs and not dirty and not unknown:
        return None
    advice = ("The results may mix code versions: check that the changes do not affect "
              "the results, or run the sweep into a new --out")
    if unknown:
        others = ""
        if before:
            seen = ", ".join(dict.fromkeys(_code_label(c, d) for c, d in before))
            others = f" (the other sessions ran {seen})"
        return (f"the code of {unknown} earlier session(s) of the results directory is "
                "unknown: they were run by a kooperationssim that did not record the git "
                f"commit of each session{others}; this session runs {_code_label(*now)}. "
                + advice)
    seen = ", ".join(dict.fromkeys(_code_label(c, d) for c, d in before))
    return (f"the runs already in the results directory were made with {seen}; this "
            f"session runs {_code_label(*now)}. " + advice)


def _environment() -> dict[str, Any]:
    import dask
    import mesa
    import pandas
    import pyarrow

    return {"python": platform.python_version(), "numpy": np.__version__,
            "mesa": mesa.__version__, "pandas": pandas.__version__,
            "pyarrow": pyarrow.__version__, "dask": dask.__version__,
            "platform": platform.platform(), "machine": platform.machine(),
            "cpu_count": os.cpu_count()}


@dataclass
class SweepReport:
    """What a sweep did."""

    out: Path
    runs_total: int
    runs_done: int
    runs_this_session: int
    failed_chunks: int
    wall_s: float
    already_complete: bool = False
    stopping: list[dict[str, Any]] | None = None
    finished: bool = True
    warnings: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every run of the experiment is in the store."""
        return self.runs_done == self.runs_total and self.finished


def failed_chunks_message(report: SweepReport) -> str:
    """The message for a sweep that ended with failed chunks (what to do next)."""
    return (f"{report.failed_chunks} chunk(s) failed; tracebacks are in "
            f"{report.out}/{MANIFEST}; rerun them with --retry-failed (--resume alone "
            "does not rerun failed chunks)")


def _check_out_dir(out: Path, ex: Experiment, resume: bool, retry_failed: bool,
                   locks: ExitStack) -> tuple[dict[str, Any] | None, bool]:
    """Check the results directory before anything is written.

    An existing directory is checked to be writable; one that holds results is locked
    before they are read (the lock joins ``locks``), so that they cannot change while the
    sweep reads and writes them.  Returns the manifest (``None`` for a new or empty
    directory) and whether the directory is locked (a new or empty one is locked once
    the sweep is ready to write, so that a sweep refused before leaves nothing behind).

    Raises:
        SweepError: for a directory that cannot be used, another sweep writing to it, a
            damaged manifest or results of another experiment or version.
    """
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out} exists and is not a directory")
    anc = file_in_the_way(out)
    if anc is not None:
        raise SweepError(f"--out {out}: {anc} exists and is not a directory")
    not_ours = (f"--out {out} is not empty and holds no sweep results (no {MANIFEST}); "
                "choose another directory (nothing was written)")
    locked = False
    if out.exists():
        entries = _store_entries(out)
        if entries and not (out / MANIFEST).exists() and not (out / LOCK_FILE).exists():
            raise SweepError(not_ours)  # someone else's files: nothing is added to them
        _check_writable(out)
        if entries:
            locks.enter_context(_out_dir_lock(out))
            locked = True
    else:
        anc = next(a for a in out.parents if a.exists())
        if not os.access(anc, os.W_OK | os.X_OK):
            raise SweepError(f"--out {out} cannot be created: the parent folder {anc} is "
                             "not writable (nothing was written)")
    if not out.exists() or not _store_entries(out):
        if resume or retry_failed:
            raise SweepError(f"--out {out} holds no results to resume; start the sweep "
                             "without --resume")
        return None, locked
    if not (out / MANIFEST).exists():
        raise SweepError(not_ours)
    man = read_manifest(out)
    if man.get("spec_hash") != ex.spec_hash():
        other = man.get("experiment", {}).get("name", "?")
        raise SweepError(
            f"--out {out} holds results of a different experiment ('{other}', spec hash "
            f"{str(man.get('spec_hash'))[:12]}; this one is {ex.spec_hash()[:12]}); choose "
            "another directory (nothing was written)")
    if man.get("kooperationssim_version") != __version__:
        raise SweepError(
            f"--out {out} was written by kooperationssim {man.get('kooperationssim_version')}"
            f", this is {__version__}; results of different versions are not mixed")
    return man, locked


def _store_entries(out: Path) -> list[Path]:
    """What the results directory ``out`` holds, apart from its lock file."""
    return [p for p in out.iterdir() if p.name != LOCK_FILE]


def _check_writable(out: Path) -> None:
    """Refuse an existing results directory (or a folder of it) this process cannot write.

    Raises:
        SweepError: naming the folder without write permission.
    """
    for d in (out, out / RUNS_DIR, out / SERIES_DIR):
        if d.is_dir() and not os.access(d, os.W_OK | os.X_OK):
            raise SweepError(f"--out {out} is not writable: no permission to write in {d} "
                             "(nothing was written)")


@contextmanager
def _out_dir_lock(out: Path):
    """Hold the exclusive lock of the (existing) results directory ``out``.

    ``flock`` on the hidden file :data:`LOCK_FILE` in ``out``, held until the block
    ends; the kernel releases it when the process ends in any way (even SIGKILL), so no
    stale lock is ever left behind.  The file itself stays: removing it could let two
    sweeps lock two different files.  Without ``fcntl`` (not POSIX) nothing is locked.

    Raises:
        SweepError: when another process holds the lock (another sweep writes to ``out``)
            or the lock file cannot be created.
    """
    key = str(Path(out).resolve())
    if key in _HELD_LOCKS:  # this process holds it already (sensitivity around its sweep)
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path = out / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)
    except OSError as e:
        raise SweepError(f"--out {out}: cannot create the lock file {path} "
                         f"({e.strerror or e}); nothing was written") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepError(f"another sweep is writing to {out}; wait for it to finish "
                             "(nothing was written)") from None
        except OSError as e:  # a file system without locks
            _warn(f"--out {out} cannot be locked ({e.strerror or e}); make sure that no "
                  "other sweep writes to it at the same time")
        _HELD_LOCKS.add(key)
        try:
            yield
        finally:
            _HELD_LOCKS.discard(key)
    finally:
        os.close(fd)


#: Results directories whose lock this process holds (the lock is re-entrant).
_HELD_LOCKS: set[str] = set()


@contextmanager
def hold_out_dir(out: str | Path):
    """Create ``out`` if needed and hold its lock (as a sweep into it would) for the block.

    A sweep into ``out`` inside the block runs under the same lock; sensitivity analyses
    use this to write their analysis before another sweep can start in the folder.
    """
    out = Path(out)
    _make_out_dir(out)
    with _out_dir_lock(out):
        yield


def _make_out_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SweepError(f"--out {out} cannot be created ({e.strerror or e}); choose "
                         "another directory (nothing was written)") from None


#: How long to wait for an existing Dask scheduler (``--scheduler``).
SCHEDULER_TIMEOUT = "20s"
#: Address of the web server of a local cluster's scheduler: a free port, this machine
#: only (never the dashboard's port 8787, which other users or Jupyter may hold).
LOCAL_HTTP_ADDRESS = "127.0.0.1:0"


def _probe_scheduler(address: str, timeout: str) -> None:
    """Asks the service at ``address`` who it is, under a deadline of ``timeout``.

    ``distributed.Client`` waits forever on a service that accepts the connection but
    never answers (another program on that port, a firewall that holds connections), its
    own timeout notwithstanding; this question cannot.  It runs on an event loop of its
    own in a daemon thread, so that it also works where a loop is already running
    (Jupyter), and it uses the TLS settings of the Dask configuration as the client does.
    Only a slow name lookup of the host can hold it longer (the resolver's own timeout).

    Raises:
        SweepError: for no answer in time, a malformed address, a refused connection, a
            service that does not speak Dask's protocol, or a Dask worker or nanny
            instead of a scheduler.
    """
    import asyncio
    import threading

    from dask.utils import parse_timedelta
    from distributed.core import rpc
    from distributed.security import Security

    seconds = float(parse_timedelta(timeout))

    def fail(why: str) -> SweepError:
        return SweepError(f"--scheduler {address}: cannot connect ({why}); nothing was "
                          "written")

    try:
        connection_args = Security().get_connection_args("client")
    except Exception as e:  # noqa: BLE001 - unreadable certificates in the Dask config
        raise fail(f"the Dask TLS configuration cannot be used: {e}") from None

    async def ask():
        async with rpc(address, timeout=seconds, connection_args=connection_args) as remote:
            return await remote.identity()

    answer: dict[str, Any] = {}

    def probe() -> None:
        loop = asyncio.new_event_loop()
        try:
            answer["identity"] = loop.run_until_complete(asyncio.wait_for(ask(), seconds))
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            answer["error"] = e
        finally:
            loop.close()  # does not wait for a name lookup still running

    thread = threading.Thread(target=probe, name="kooperationssim-probe", daemon=True)
    thread.start()
    thread.join(seconds + 10)
    e = answer.get("error")
    if "identity" not in answer and (e is None or isinstance(e, TimeoutError)):
        raise fail(f"Timed out: no answer within {timeout}; is a Dask scheduler listening "
                   "there?")
    if isinstance(e, (OSError, ValueError, TypeError)):
        raise fail(str(e) or type(e).__name__)
    if e is not None:  # garbage from a service that is not Dask
        raise fail(f"the service there does not answer as a Dask scheduler: "
                   f"{type(e).__name__}")
    identity = answer["identity"]
    kind = identity.get("type") if isinstance(identity, dict) else None
    if kind is None or kind in ("Worker", "Nanny"):
        raise fail(f"that address is a Dask {kind or 'service'}, not a scheduler; give the "
                   "scheduler's address (tcp://HOST:8786 by default)")


@contextmanager
def _dask_client(workers: int, scheduler: str | None):
    """A Dask client: of a new local cluster (``workers``) or of ``scheduler``.

    Raises:
        SweepError: for a scheduler address that is malformed or cannot be reached.
    """
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        # no dashboard, and the scheduler's web server (which distributed starts even
        # with dashboard_address=None, then on port 8787) on a free port of this machine
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=LOCAL_HTTP_ADDRESS, silence_logs=40,
                               scheduler_kwargs={"dashboard": False})
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
    else:
        try:
            _probe_scheduler(scheduler, SCHEDULER_TIMEOUT)
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except SweepError:
            raise
        except Exception as e:  # noqa: BLE001 - malformed address, refused, timeout
            raise SweepError(f"--scheduler {scheduler}: cannot connect ({e}); nothing was "
                             "written") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _worker_memory_gb(client) -> float | None:
    """Memory one task may use on the smallest worker of a cluster (GB).

    ``None`` when no worker reports a memory limit.
    """
    try:
        workers = client.scheduler_info().get("workers", {})
    except Exception:  # noqa: BLE001 - informational only
        return None
    limits = []
    for w in workers.values():
        lim, threads = w.get("memory_limit"), max(int(w.get("nthreads") or 1), 1)
        if lim:
            limits.append(float(lim) / threads / 1e9)
    return min(limits) if limits else None


def _warn(msg: str) -> None:
    print(f"kooperationssim: warning: {msg}", file=sys.stderr, flush=True)


def sweep(ex: Experiment, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
          chunk_size: int | None = None, resume: bool = False,
          retry_failed: bool = False, progress: Callable[[int, int, float], None] | None = None,
          ) -> SweepReport:
    """Run (or complete) the sweep of ``ex`` into the results directory ``out``.

    Everything is checked before anything is written: the options, the results
    directory, the memory a chunk needs and the cluster (started or connected to before
    the directory is created).

    Args:
        ex: The experiment.
        out: Results directory.
        workers: Worker processes of a local Dask cluster (1: run in this process).
        scheduler: Address of an existing Dask scheduler (``tcp://host:port``).
        chunk_size: Runs per chunk (one engine batch); ``None`` chooses it from the size of
            the municipality (:func:`auto_chunk_size`) and the memory available.
        resume: Complete the results already in ``out`` (same experiment).  When the runs
            in ``out`` were made from another git commit (or a working tree with
            changes), a warning says that the results may mix code versions.
        retry_failed: Also rerun the runs of chunks that failed before.
        progress: Called as ``progress(done, total, runs_per_second)`` after each chunk.

    Raises:
        SweepError: for a directory that holds other results, cannot be created or
            written, or that another sweep is writing to; bad options, a chunk size too
            large for memory or an unusable scheduler.
    """
    out = Path(out)
    if workers < 1:
        raise SweepError(f"--workers must be at least 1, got {workers}")
    if chunk_size is not None and chunk_size < 1:
        raise SweepError(f"--chunk-size must be at least 1, got {chunk_size}")
    if scheduler is not None and workers != 1:
        raise SweepError("give either --workers (a local cluster) or --scheduler (an "
                         "existing cluster), not both")
    if ex.adaptive and ex.weeks <= 52:
        from .experiment import TARGET_METRIC

        raise SweepError(
            f"target_ci needs weeks > 52, got weeks = {ex.weeks}: the stopping rule uses "
            f"{TARGET_METRIC}, which counts first birthdays of children born during the "
            "run and has no value before week 53")
    with ExitStack() as locks:  # the lock of the results directory, released at the end
        return _sweep(ex, out, locks, workers=workers, scheduler=scheduler,
                      chunk_size=chunk_size, resume=resume, retry_failed=retry_failed,
                      progress=progress)


def _sweep(ex: Experiment, out: Path, locks: ExitStack, *, workers: int,
           scheduler: str | None, chunk_size: int | None, resume: bool, retry_failed: bool,
           progress: Callable[[int, int, float], None] | None) -> SweepReport:
    """The body of :func:`sweep` (options checked); the lock of ``out`` joins ``locks``."""
    man, locked = _check_out_dir(out, ex, resume, retry_failed, locks)
    all_runs = {(p, r) for p in range(len(ex.points)) for r in range(ex.replicates)}
    new_store = man is None
    done = _done_runs(out)  # reads complete chunks only (temporary files are hidden)
    failures: dict[str, Any] = dict(man.get("failures", {})) if man is not None else {}
    failed_runs = {tuple(x) for f in failures.values() for x in f["runs"]}
    adaptive = None
    if ex.adaptive:
        adaptive = adaptive_state(ex, out)
        all_runs = adaptive.required
    if done >= all_runs and (adaptive is None or adaptive.finished):
        if adaptive is not None and man is not None:
            _record_adaptive(man, ex, adaptive)
            _write_json_atomically(man, out / MANIFEST)
        return SweepReport(out, len(all_runs), len(done), 0, 0, 0.0, already_complete=True,
                           stopping=adaptive.stopping if adaptive else None)
    if retry_failed:
        failures = {}
        failed_runs = set()
    elif not resume and (done or failed_runs):
        raise SweepError(f"--out {out} already holds results of this experiment; use "
                         "--resume to complete them")
    # the memory a chunk needs only once there is something to run
    auto = chunk_size is None
    if chunk_size is None:
        chunk_size = auto_chunk_size(ex, workers if scheduler is None else 4)
    # a chunk never holds more runs than the experiment can have (all rounds with target_ci)
    most_reps = ex.replicates
    if ex.target_ci is not None:
        most_reps = max(most_reps, ex.max_replicates or ex.replicates * DEFAULT_MAX_ROUNDS)
    chunk_size = min(chunk_size, max(1, len(ex.points) * most_reps))
    per_run = run_memory_bytes(ex)
    if scheduler is None:
        avail = available_memory_gb()
        chunk_size = _fit_chunk_size(chunk_size, auto, per_run,
                                     avail * MEMORY_SHARE / workers,
                                     _local_memory_where(workers, avail))
    t0 = time.perf_counter()
    git = _git_info()
    notes: list[str] = []
    if man is not None and (done or man.get("sessions")):
        w = _code_warning(man, git)
        if w:
            notes.append(w)
    use_dask = scheduler is not None or workers > 1
    # the cluster first: a scheduler that cannot be reached leaves nothing behind
    ctx = _dask_client(workers, scheduler) if use_dask else nullcontext(None)
    with ctx as client:
        if scheduler is not None:
            wlim = _worker_memory_gb(client)
            if wlim is not None:
                chunk_size = _fit_chunk_size(
                    chunk_size, auto, per_run, wlim * MEMORY_SHARE,
                    f"per task on the smallest worker of {scheduler} ({MEMORY_SHARE:.0%} "
                    f"of its memory limit of {wlim:.1f} GB per thread)")
        _make_out_dir(out)
        if not locked:  # a new or empty directory: locked before the first write
            locks.enter_context(_out_dir_lock(out))
            if _store_entries(out):
                raise SweepError(
                    f"another sweep started writing to {out} at the same time; wait for it "
                    "to finish, then use --resume to complete its results (nothing was "
                    "written)")
        _clean_partial(out)
        if new_store:
            man = {
                "kooperationssim_version": __version__,
                "git_commit": git["git_commit"],
                "git_dirty": git["git_dirty"],
                "experiment": ex.to_json(),
                "spec_hash": ex.spec_hash(),
                "seeds": ex.seeds(),
                "runs_total": ex.n_runs,
                "runs_done": 0,
                "status": "running",
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "environment": _environment(),
                "sessions": [],
                "failures": {},
            }
        assert man is not None
        for note in notes:
            _warn(note)
        session = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
                   "workers": workers, "scheduler": scheduler, "chunk_size": chunk_size,
                   "runs_planned": len(all_runs - done - failed_runs),
                   "kooperationssim_version": __version__,
                   "git_commit": git["git_commit"], "git_dirty": git["git_dirty"]}
        if notes:
            session["warnings"] = list(notes)
        (out / RUNS_DIR).mkdir(exist_ok=True)
        if ex.series:
            (out / SERIES_DIR).mkdir(exist_ok=True)
        man["sessions"] = list(man.get("sessions", [])) + [session]
        man["failures"] = failures
        man["status"] = "running"
        _write_json_atomically(man, out / MANIFEST)

        state = {"done": len(done), "this": 0, "total": len(all_runs)}

        def store(chunk: Chunk, result) -> None:
            runs_t, series_t = result
            if series_t is not None:
                _write_table_atomically(series_t, out / SERIES_DIR / f"{chunk.name}.parquet")
            _write_table_atomically(runs_t, out / RUNS_DIR / f"{chunk.name}.parquet")
            state["done"] += len(chunk.runs)
            state["this"] += len(chunk.runs)

        def fail(chunk: Chunk, tb: str) -> None:
            failures[chunk.name] = {"runs": [list(x) for x in chunk.runs], "traceback": tb}
            failed_runs.update(chunk.runs)
            man["failures"] = failures
            _write_json_atomically(man, out / MANIFEST)

        def tick() -> None:
            if progress is not None:
                el = time.perf_counter() - t0
                progress(state["done"], state["total"], state["this"] / el if el > 0 else 0.0)

        tick()
        ex_f = None
        try:
            while True:
                todo = all_runs - done - failed_runs
                if todo:
                    chunks = plan_chunks(ex, todo, chunk_size)
                    if client is None:
                        for c in chunks:
                            try:
                                res = run_chunk(ex, c.runs)
                            except Exception:  # noqa: BLE001 - recorded, the sweep goes on
                                fail(c, traceback.format_exc())
                            else:
                                store(c, res)
                            tick()
                    else:
                        if ex_f is None:  # the experiment travels to the workers once
                            ex_f = client.scatter(ex, broadcast=True)
                        _run_dask(client, ex_f, chunks, store, fail, tick)
                    done = _done_runs(out)
                if adaptive is None:
                    break
                # the next round is decided only from complete rounds: deterministic
                adaptive = adaptive_state(ex, out)
                _record_adaptive(man, ex, adaptive)
                if adaptive.required <= all_runs:
                    break  # finished, or a round is blocked by failed runs
                all_runs = adaptive.required
                state["total"] = len(all_runs)
                session["runs_planned"] = len(all_runs) - len(done)
        finally:
            wall = time.perf_counter() - t0
            session["wall_s"] = round(wall, 3)
            session["runs_done"] = state["this"]
            session["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            man["runs_done"] = state["done"]
            man["runs_total"] = len(all_runs)
            man["wall_s_total"] = round(sum(s.get("wall_s", 0.0) for s in man["sessions"]),
                                        3)
            finished = adaptive is None or adaptive.finished
            man["status"] = ("complete" if state["done"] == len(all_runs) and finished else
                             "failed chunks" if failures else "incomplete")
            _write_json_atomically(man, out / MANIFEST)
    return SweepReport(out, len(all_runs), state["done"], state["this"], len(failures), wall,
                       stopping=adaptive.stopping if adaptive else None,
                       finished=adaptive is None or adaptive.finished, warnings=notes)


# ---------------------------------------------------------------------------
# adaptive replication (target_ci)
# ---------------------------------------------------------------------------


@dataclass
class AdaptiveState:
    """Where the rounds of an adaptive sweep stand, read from the results store.

    Attributes:
        required: Every run decided so far (complete rounds plus the next one).
        stopping: One record per design point that stopped: ``point``, ``replicates``,
            ``half_width`` of ``reach_first_year``, ``stopped`` (``"target"`` or
            ``"max_replicates"``).
        finished: Whether every design point has stopped.
    """

    required: set[tuple[int, int]]
    stopping: list[dict[str, Any]]
    finished: bool


def _target_values(out: Path, metric: str) -> dict[tuple[int, int], float]:
    import pyarrow.parquet as pq

    vals: dict[tuple[int, int], float] = {}
    for f in _files(out / RUNS_DIR):
        t = pq.read_table(f, columns=["point", "replicate", metric])
        for p, r, v in zip(t.column("point").to_pylist(), t.column("replicate").to_pylist(),
                           t.column(metric).to_pylist(), strict=True):
            vals[(p, r)] = float("nan") if v is None else float(v)
    return vals


def half_width(x) -> float:
    """Half-width of the t-based 95 % confidence interval of the mean of ``x``.

    Non-finite values are left out; with fewer than two values the result is NaN.
    """
    from scipy import stats

    a = np.asarray(x, dtype=np.float64)
    a = a[np.isfinite(a)]
    if len(a) < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))


def adaptive_state(ex: Experiment, out: str | Path) -> AdaptiveState:
    """Replay the rounds of an adaptive sweep from the runs in the store.

    Round 1 runs replicates ``0 .. replicates-1`` of every design point.  After a round
    is complete, a point whose 95 % half-width of ``reach_first_year`` (over all its
    replicates so far) is at most ``target_ci`` stops; the others get the next
    ``replicates`` replicates, up to ``max_replicates``.  The decisions depend only on
    the results of complete rounds, so they are the same for every worker count, chunk
    size, order of completion and after a resume.
    """
    from .experiment import TARGET_METRIC

    vals = _target_values(Path(out), TARGET_METRIC)
    n_pts, step, limit = len(ex.points), ex.replicates, ex.replicate_limit
    active = list(range(n_pts))
    required = {(p, r) for p in active for r in range(step)}
    stopping: list[dict[str, Any]] = []
    n = step
    while True:
        if any((p, r) not in vals for p in active for r in range(n)):
            return AdaptiveState(required, stopping, False)
        still = []
        for p in active:
            hw = half_width([vals[(p, r)] for r in range(n)])
            if np.isfinite(hw) and hw <= float(ex.target_ci):
                stopping.append({"point": p, "replicates": n, "half_width": hw,
                                 "stopped": "target"})
            elif n >= limit:
                stopping.append({"point": p, "replicates": n, "half_width": hw,
                                 "stopped": "max_replicates"})
            else:
                still.append(p)
        active = still
        if not active:
            stopping.sort(key=lambda d: d["point"])
            return AdaptiveState(required, stopping, True)
        nxt = min(n + step, limit)
        required |= {(p, r) for p in active for r in range(n, nxt)}
        n = nxt


def _record_adaptive(man: dict[str, Any], ex: Experiment, st: AdaptiveState) -> None:
    from .experiment import TARGET_METRIC

    man["adaptive"] = {
        "metric": TARGET_METRIC,
        "target_ci": ex.target_ci,
        "replicates_per_round": ex.replicates,
        "max_replicates": ex.max_replicates,
        "finished": st.finished,
        "runs_required": len(st.required),
        "stopping": st.stopping,
    }
    man["seeds"] = [ex.seed_of(r) for r in range(max((r for _p, r in st.required),
                                                      default=-1) + 1)]


def _run_dask(client, ex_f, chunks, store, fail, tick) -> None:
    """Run ``chunks`` on the cluster of ``client`` (``ex_f``: the scattered experiment)."""
    from distributed import as_completed

    futs = {}
    for c in chunks:
        f = client.submit(run_chunk, ex_f, c.runs, key=f"kooperationssim-{c.name}",
                          pure=False)
        futs[f] = c
    for f in as_completed(list(futs)):
        c = futs.pop(f)
        if f.status == "finished":
            store(c, f.result())
        else:
            exc = f.exception()
            tb = "".join(traceback.format_exception(type(exc), exc, f.traceback()))
            fail(c, tb)
        f.release()
        tick()


def plain_progress(stream=None) -> Callable[[int, int, float], None]:
    """Progress lines (for logs): runs done, runs per second, time left."""
    stream = stream or sys.stderr
    last = [0.0]

    def cb(done: int, total: int, rate: float) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 5.0:
            return
        last[0] = now
        eta = (total - done) / rate if rate > 0 else float("nan")
        eta_s = "?" if not np.isfinite(eta) else time.strftime("%H:%M:%S", time.gmtime(eta))
        print(f"runs {done}/{total} ({100 * done / total:.0f} %), {rate:.1f} runs/s, "
              f"ETA {eta_s}", file=stream, flush=True)

    return cb


def bar_progress(desc: str) -> tuple[Callable[[int, int, float], None], Callable[[], None]]:
    """A tqdm progress bar (for terminals); returns the callback and a close function."""
    from tqdm import tqdm

    bar = tqdm(total=None, unit="run", desc=desc, dynamic_ncols=True)

    def cb(done: int, total: int, rate: float) -> None:
        if bar.total != total:
            bar.total = total
            bar.n = done
            bar.refresh()
        else:
            bar.update(done - bar.n)

    return cb, bar.close
