"""Sweeps: every design point x replicate of an experiment, in chunks, into a results store.

The results directory holds

* ``runs.parquet/`` — a Parquet dataset, one file per finished chunk, one row per run:
  design point, replicate, seed, every factor, every summary output;
* ``series.parquet/`` — the weekly series of every run (only with ``series = true``);
* ``manifest.json`` — package version, git commit, hash of the experiment, seeds,
  library versions, platform, wall time, workers, failures.

A chunk's files are written under a hidden temporary name and renamed when complete
(the series file first, the runs file last), so a chunk is either complete or absent;
readers skip hidden files.  Which runs are done is read from the runs files themselves,
so ``--resume`` after any crash (even SIGKILL) reruns exactly the runs that are missing.
Chunks are named after the runs they hold; the results do not depend on the chunk
size, the number of workers or the order in which chunks finish.

Chunks run in this process (one worker), on a local ``dask.distributed`` cluster of
worker processes (``workers > 1``) or on an existing cluster (``scheduler``).  A chunk
that raises is recorded in the manifest with its traceback and the sweep goes on;
``retry_failed`` reruns only those runs.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .experiment import Experiment
from .io import dump_json
from .params import FUNDING_SOURCES, FUNDING_USES, PARAMS_BY_NAME

__all__ = [
    "SweepError",
    "Chunk",
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
#: Runs per chunk for a town of 1,200 births a year when the chunk size is chosen
#: automatically (about 1.2 GB per worker); larger towns get proportionally fewer.
AUTO_CHUNK_RUNS_AT_1200_BIRTHS = 128
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
    """Runs per chunk: about 1.2 GB of engine state, and at least four chunks per worker.

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

    Runs are ordered by design point, then replicate, within each structure group.
    """
    by_point: dict[int, list[int]] = {}
    for p, r in set(todo):
        by_point.setdefault(p, []).append(r)
    chunks: list[Chunk] = []
    for pts in _structure_groups(ex):
        runs = [(p, r) for p in pts for r in sorted(by_point.get(p, ()))]
        for i in range(0, len(runs), chunk_size):
            chunks.append(Chunk(tuple(runs[i:i + chunk_size])))
    return chunks


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
    """The manifest of a results directory."""
    p = Path(out) / MANIFEST
    if not p.exists():
        raise SweepError(f"{out} is not a sweep results directory (no {MANIFEST})")
    return json.loads(p.read_text(encoding="utf-8"))


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


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


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

    @property
    def complete(self) -> bool:
        """Whether every run of the experiment is in the store."""
        return self.runs_done == self.runs_total and self.finished


def _check_out_dir(out: Path, ex: Experiment, resume: bool, retry_failed: bool
                   ) -> dict[str, Any] | None:
    """Check the results directory before anything is written; return its manifest."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out} exists and is not a directory")
    for anc in out.parents:
        if anc.exists():
            if not anc.is_dir():
                raise SweepError(f"--out {out}: {anc} exists and is not a directory")
            break
    if not out.exists() or not any(out.iterdir()):
        if resume or retry_failed:
            raise SweepError(f"--out {out} holds no results to resume; start the sweep "
                             "without --resume")
        return None
    if not (out / MANIFEST).exists():
        raise SweepError(f"--out {out} is not empty and holds no sweep results "
                         f"(no {MANIFEST}); choose another directory (nothing was written)")
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
    return man


def sweep(ex: Experiment, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
          chunk_size: int | None = None, resume: bool = False,
          retry_failed: bool = False, progress: Callable[[int, int, float], None] | None = None,
          ) -> SweepReport:
    """Run (or complete) the sweep of ``ex`` into the results directory ``out``.

    Args:
        ex: The experiment.
        out: Results directory.
        workers: Worker processes of a local Dask cluster (1: run in this process).
        scheduler: Address of an existing Dask scheduler (``tcp://host:port``).
        chunk_size: Runs per chunk (one engine batch); ``None`` chooses it from the size of
            the municipality (:func:`auto_chunk_size`).
        resume: Complete the results already in ``out`` (same experiment).
        retry_failed: Also rerun the runs of chunks that failed before.
        progress: Called as ``progress(done, total, runs_per_second)`` after each chunk.

    Raises:
        SweepError: for a directory that holds other results, or bad options.
    """
    out = Path(out)
    if workers < 1:
        raise SweepError(f"--workers must be at least 1, got {workers}")
    if chunk_size is not None and chunk_size < 1:
        raise SweepError(f"--chunk-size must be at least 1, got {chunk_size}")
    if scheduler is not None and workers != 1:
        raise SweepError("give either --workers (a local cluster) or --scheduler (an "
                         "existing cluster), not both")
    man = _check_out_dir(out, ex, resume, retry_failed)
    if chunk_size is None:
        chunk_size = auto_chunk_size(ex, workers if scheduler is None else 4)
    t0 = time.perf_counter()
    all_runs = {(p, r) for p in range(len(ex.points)) for r in range(ex.replicates)}
    if man is None:
        out.mkdir(parents=True, exist_ok=True)
        man = {
            "kooperationssim_version": __version__,
            "git_commit": _git_commit(),
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
    _clean_partial(out)
    done = _done_runs(out)
    failures: dict[str, Any] = dict(man.get("failures", {}))
    failed_runs = {tuple(x) for f in failures.values() for x in f["runs"]}
    adaptive = None
    if ex.adaptive:
        adaptive = adaptive_state(ex, out)
        all_runs = adaptive.required
    if done >= all_runs and (adaptive is None or adaptive.finished):
        if adaptive is not None:
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
    session = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
               "workers": workers, "scheduler": scheduler, "chunk_size": chunk_size,
               "runs_planned": len(all_runs - done - failed_runs)}
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
    try:
        while True:
            todo = all_runs - done - failed_runs
            if todo:
                chunks = plan_chunks(ex, todo, chunk_size)
                if scheduler is None and workers == 1:
                    for c in chunks:
                        try:
                            res = run_chunk(ex, c.runs)
                        except Exception:  # noqa: BLE001 - recorded, the sweep goes on
                            fail(c, traceback.format_exc())
                        else:
                            store(c, res)
                        tick()
                else:
                    _run_dask(ex, chunks, workers, scheduler, store, fail, tick)
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
        man["wall_s_total"] = round(sum(s.get("wall_s", 0.0) for s in man["sessions"]), 3)
        finished = adaptive is None or adaptive.finished
        man["status"] = ("complete" if state["done"] == len(all_runs) and finished else
                         "failed chunks" if failures else "incomplete")
        _write_json_atomically(man, out / MANIFEST)
    return SweepReport(out, len(all_runs), state["done"], state["this"], len(failures), wall,
                       stopping=adaptive.stopping if adaptive else None,
                       finished=adaptive is None or adaptive.finished)


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


def _run_dask(ex, chunks, workers, scheduler, store, fail, tick) -> None:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as e:
            raise SweepError(f"--scheduler {scheduler}: cannot connect ({e})") from None
    try:
        # the experiment travels to the workers once
        ex_f = client.scatter(ex, broadcast=True)
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
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


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
