"""Writing results safely: all files of a run appear together or not at all."""

from __future__ import annotations

import errno
import importlib.resources
import json
import math
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "OutputDirError",
    "input_hint",
    "prepare_out_dir",
    "file_in_the_way",
    "make_parents",
    "reserve_out_dir",
    "release_out_dir",
    "unique_out_dir",
    "slugify",
    "write_results_atomically",
    "to_jsonable",
    "read_toml",
    "shipped_dir",
    "find_input_file",
]

#: Root of the source repository when the package runs from a checkout.
REPO_ROOT = Path(__file__).resolve().parent.parent


def shipped_dir(kind: str) -> Path:
    """Directory of the shipped input files of one kind (``scenarios``, ``experiments``).

    The repository's top-level directory when the package runs from a checkout;
    otherwise the copy installed inside the package (``kooperationssim/_KIND``, mapped
    from the top-level directory by ``pyproject.toml``).
    """
    repo = REPO_ROOT / kind
    if (REPO_ROOT / "pyproject.toml").is_file() and repo.is_dir():
        return repo
    return Path(str(importlib.resources.files(__package__ or "kooperationssim") / f"_{kind}"))


def _is_bare_name(path: Path) -> bool:
    return len(path.parts) == 1 and not path.suffix


def find_input_file(path: str | Path, shipped: Path | None) -> Path:
    """``path`` itself, or the shipped file ``NAME.toml`` for a bare name ``NAME``.

    A bare name (no directory, no suffix) that is not a file in the working directory is
    looked up in ``shipped``; everything else is returned unchanged.
    """
    path = Path(path)
    if shipped is not None and not path.is_file() and _is_bare_name(path):
        cand = shipped / f"{path.name}.toml"
        if cand.is_file():
            return cand
    return path


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
        raise error(f"{what} file not found: {path}{input_hint(path, shipped_dir)}")
    if path.is_dir():
        raise error(f"{what} path is a directory, not a TOML file: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path}: malformed TOML: {e}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not a UTF-8 text file") from None


def input_hint(path: Path, shipped: Path | None) -> str:
    """A 'did you mean' hint for a missing input file: a path that works from anywhere."""
    if shipped is None or not shipped.is_dir():
        return ""
    if not path.suffix and (shipped / f"{path.name}.toml").is_file():
        return f" (did you mean {shipped / f'{path.name}.toml'}?)"
    names = sorted(p.stem for p in shipped.glob("*.toml"))
    if not names:
        return ""
    if _is_bare_name(path) or path.suffix == ".toml":
        from .params import suggest

        close = suggest(path.stem, names)
        if close:
            return close
    if _is_bare_name(path):
        return f" (shipped names: {', '.join(names)})"
    return ""


class OutputDirError(ValueError):
    """The output directory cannot be used (it would overwrite earlier results)."""


def file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` if it is not a directory, else None."""
    for anc in path.parents:
        if anc.exists():
            return None if anc.is_dir() else anc
    return None


def prepare_out_dir(out: Path, label: str = "--out") -> None:
    """Refuse a directory that already holds files; nothing is ever overwritten silently."""
    anc = file_in_the_way(out)
    if anc is not None:
        raise OutputDirError(f"{label} {out}: {anc} exists and is not a directory")
    if out.exists():
        if not out.is_dir():
            raise OutputDirError(f"{label} {out} exists and is not a directory")
        if any(out.iterdir()):
            raise OutputDirError(
                f"{label} {out} already exists and is not empty; choose another directory "
                "(nothing was written)"
            )


def _shown(folder: Path) -> Path:
    """``folder`` for a message: the working directory by its name instead of ``.``."""
    return Path.cwd() if str(folder) in ("", ".") else folder


def _oserror(out: Path, e: OSError, label: str = "--out") -> OutputDirError:
    """The message for an output directory that cannot be created or written.

    Without permission (or on a read-only file system) the message names the folder that
    cannot be written: the parent folder (the nearest existing one above ``out``, where
    ``out`` and the temporary directory of the results are made) or ``out`` itself.
    """
    reason = e.strerror or e.__class__.__name__
    if isinstance(e, PermissionError) or e.errno == errno.EROFS:
        parent = next((a for a in out.parents if a.exists()), None)
        if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
            return OutputDirError(f"{label} {out}: the parent folder {_shown(parent)} is not "
                                  f"writable ({reason}; nothing was written)")
        if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
            return OutputDirError(f"{label} {out} is not writable ({reason}; nothing was "
                                  "written)")
    return OutputDirError(f"{label} {out}: cannot create the directory "
                          f"({reason}; nothing was written)")


def make_parents(path: Path) -> list[Path]:
    """Create the missing directories above ``path`` (outermost first) and return them.

    A directory made meanwhile by another process is accepted (and not returned).
    """
    missing = []
    for anc in path.parents:
        if anc.exists():
            break
        missing.append(anc)
    created: list[Path] = []
    try:
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                if not d.is_dir():
                    raise
                continue
            created.append(d)
    except OSError:
        release_out_dir(created)
        raise
    return created


def _probe(out: Path) -> None:
    """Try what writing the results does: a temporary sibling of ``out``, a file in it."""
    parent = out.parent if str(out.parent) else Path(".")
    os.rmdir(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out)
    os.close(fd)
    os.unlink(probe)


def reserve_out_dir(out: Path, label: str = "--out") -> list[Path]:
    """Check that ``out`` can take results and create it now, before any work is done.

    Refuses what :func:`prepare_out_dir` refuses, and a location where the directory
    cannot be created or written (below a file, on a read-only or virtual file system,
    without permission).  Returns the directories created (missing parents and ``out``,
    outermost first) for :func:`release_out_dir`; empty when ``out`` existed already.

    Raises:
        OutputDirError: naming ``label`` (``--out``), the directory and the reason.
    """
    out = Path(out)
    prepare_out_dir(out, label)
    created: list[Path] = []
    try:
        if not out.is_dir():
            created = make_parents(out)
            out.mkdir()
            created.append(out)
        _probe(out)  # some virtual file systems accept mkdir but no files
    except FileExistsError:
        release_out_dir(created)
        raise OutputDirError(f"{label} {out} was created by someone else meanwhile; choose "
                             "another directory (nothing was written)") from None
    except OSError as e:
        release_out_dir(created)
        raise _oserror(out, e, label) from None
    return created


def release_out_dir(created: list[Path]) -> None:
    """Remove the directories :func:`reserve_out_dir` created, as far as they are empty."""
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            break


def slugify(name: str, fallback: str) -> str:
    """A safe directory name from a free-text name (ASCII letters, digits, ``.-_``)."""
    text = name.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae",
                                         "Ö": "Oe", "Ü": "Ue", "ß": "ss"}))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-._")[:80].rstrip("-._")
    return text or fallback


def unique_out_dir(parent: Path, base: str, label: str = "output directory"
                   ) -> tuple[Path, list[Path]]:
    """Create a new directory ``parent/base`` (or ``base-2``, ``base-3``, ...) atomically.

    Two processes never get the same directory: each candidate is claimed with
    ``mkdir``, which fails when the name exists.  Returns the directory and the
    directories created (for :func:`release_out_dir`).

    Raises:
        OutputDirError: when ``parent`` cannot be created or written.
    """
    parent = Path(parent)
    anc = file_in_the_way(parent / base)
    if anc is not None:
        raise OutputDirError(f"{label} {parent / base}: {anc} exists and is not a directory")
    created: list[Path] = []
    try:
        created = make_parents(parent / base)
        for i in range(1, 10_000):
            cand = parent / (base if i == 1 else f"{base}-{i}")
            try:
                cand.mkdir()
            except FileExistsError:
                continue
            created.append(cand)
            _probe(cand)
            return cand, created
    except OSError as e:
        release_out_dir(created)
        raise _oserror(parent / base, e, label) from None
    release_out_dir(created)
    raise OutputDirError(f"{label} {parent}: no free directory name {base}-N")


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
        raise _oserror(out, e) from None
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
