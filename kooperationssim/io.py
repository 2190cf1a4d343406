"""Writing results safely: all files of a run appear together or not at all."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "OutputDirError",
    "prepare_out_dir",
    "write_results_atomically",
    "to_jsonable",
    "read_toml",
]


def read_toml(path: Path, what: str, error: type[Exception],
              shipped_dir: Path | None = None) -> dict[str, Any]:
    """Read a TOML input file, raising ``error`` with one clear message on any problem.

    Args:
        path: The file.
        what: What the file is, for the messages ("scenario", "experiment", ...).
        error: The exception class to raise.
        shipped_dir: Directory of the shipped files of this kind: a bare name that
            exists there as ``NAME.toml`` is suggested.
    """
    import tomllib

    if not path.exists():
        hint = ""
        if shipped_dir is not None and not path.suffix \
                and (shipped_dir / f"{path.name}.toml").exists():
            hint = f" (did you mean {shipped_dir.name}/{path.name}.toml?)"
        raise error(f"{what} file not found: {path}{hint}")
    if path.is_dir():
        raise error(f"{what} path is a directory, not a TOML file: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path}: malformed TOML: {e}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not a UTF-8 text file") from None


class OutputDirError(ValueError):
    """The output directory cannot be used (it would overwrite earlier results)."""


def prepare_out_dir(out: Path) -> None:
    """Refuse a directory that already holds files; nothing is ever overwritten silently."""
    for anc in out.parents:
        if anc.exists():
            if not anc.is_dir():
                raise OutputDirError(f"--out {out}: {anc} exists and is not a directory")
            break
    if out.exists():
        if not out.is_dir():
            raise OutputDirError(f"--out {out} exists and is not a directory")
        if any(out.iterdir()):
            raise OutputDirError(
                f"--out {out} already exists and is not empty; choose another directory "
                "(nothing was written)"
            )


def write_results_atomically(out: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Write every file into a temporary sibling directory, then move them into ``out``.

    A crash while writing leaves ``out`` untouched; files are moved in with
    ``os.replace`` only after all of them were written successfully.
    """
    out = Path(out)
    prepare_out_dir(out)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as e:
        raise OutputDirError(f"--out {out}: cannot create the directory ({e.strerror})") from None
    # mkdtemp makes a private (0700) directory; give the results the usual permissions
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)
    try:
        for name, write in writers.items():
            write(tmp / name)
        if not out.exists():
            os.replace(tmp, out)
            return
        for name in writers:
            os.replace(tmp / name, out / name)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def to_jsonable(x: Any) -> Any:
    """Convert NumPy scalars, tuples and NaN to plain JSON values (NaN becomes null)."""
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [to_jsonable(v) for v in x]
    if hasattr(x, "to_json"):
        return to_jsonable(x.to_json())
    if hasattr(x, "item") and not isinstance(x, str):
        x = x.item()
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


def dump_json(path: Path, data: Any) -> None:
    """Write JSON (UTF-8, indented, NaN as null)."""
    path.write_text(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
