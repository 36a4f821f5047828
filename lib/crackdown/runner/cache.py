"""The execution cache: a notebook is executed again only when something it depends on changed.

A notebook's key is the sha256 of its inputs: the notebook file's bytes, its effective parameters (defaults
overlaid with what the run injects), the data (:func:`crackdown.data.manifest.data_hash`), the library code
(every ``.py`` file of ``lib/crackdown`` except the site, which runs after execution, and the package
version) and, for each notebook it declares it runs ``after`` (the summary reads all the others' results),
that notebook's key and the bytes of its published results. When a published notebook's entry in
``outputs/.cache/exec/<notebook>.json`` has the same key and every file it lists still has the sha256 it
recorded, the published outputs are the ones this run would produce: they are kept as they are and the
notebook is marked ``reused``. An unreadable, malformed or stale entry, or a changed or missing file, is a
miss (the notebook is executed), never a wrong answer.

jupyter-cache (Jupyter Book, myst-nb) was considered and not used: it keys a notebook on its code cells only
(not injected parameters, data files, library code or upstream results, which we would have to fold in anyway),
stores executed copies in its own SQLite database next to the published ones (a second copy of every output),
executes through its own executor rather than papermill's parameter injection, and would add SQLAlchemy to
the pinned environment. The cache here is the published outputs themselves plus one small JSON file each.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import crackdown
from crackdown.fileio import atomic_write
from crackdown.notebooks import NotebookSpec, effective_values

CACHE_FOLDER = Path(".cache") / "exec"
LIBRARY_EXCLUDED = ("site",)  # built after execution, from the executed notebooks: never changes them


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_hash(folder: Path, pattern: str) -> str:
    """sha256 over the files of ``folder`` matching ``pattern`` (relative path and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.glob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        digest.update(b"\0" + path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def library_hash() -> str:
    """sha256 over the library's Python sources (relative path and bytes) and the package version."""
    root = Path(crackdown.__file__).parent
    digest = hashlib.sha256(crackdown.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in LIBRARY_EXCLUDED:
            continue
        digest.update(b"\0" + relative.as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def entry_path(outputs: Path, name: str) -> Path:
    return outputs / CACHE_FOLDER / f"{name}.json"


def read_entry(outputs: Path, name: str) -> dict[str, Any] | None:
    """The cache entry of a published notebook, or None when it is missing or unreadable."""
    try:
        entry = json.loads(entry_path(outputs, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or not isinstance(entry.get("files"), dict) \
            or not isinstance(entry.get("status"), dict):
        return None
    return entry


def _files_intact(outputs: Path, files: dict[str, Any]) -> bool:
    for relative, expected in files.items():
        path = outputs / relative
        try:
            if not path.is_file() or sha256_file(path) != expected:
                return False
        except OSError:
            return False
    return bool(files)


def upstream_digest(outputs: Path, name: str) -> str:
    """What a downstream notebook's key records of ``name``: its cache key and its published results' bytes."""
    entry = read_entry(outputs, name) or {}
    digest = hashlib.sha256(str(entry.get("key", "")).encode())
    listed = {Path(f).name for f in entry.get("files", {}) if f.startswith("results/")}
    for file in sorted(listed | {f"{name}.json"}):
        path = outputs / "results" / file
        digest.update(b"\0" + file.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()


def cache_key(spec: NotebookSpec, parameters: dict[str, Any], data: str, outputs: Path) -> str:
    """The key of running ``spec`` with ``parameters`` on data ``data`` (see the module docstring)."""
    content = {
        "notebook": sha256_file(spec.path),
        "parameters": effective_values(spec, parameters),
        "data": data,
        "library": library_hash(),
        "upstream": {name: upstream_digest(outputs, name) for name in sorted(spec.after)},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def lookup(outputs: Path, name: str, key: str) -> dict[str, Any] | None:
    """The status record of the published run with ``key`` if its outputs are intact; None (a miss) otherwise."""
    entry = read_entry(outputs, name)
    if entry is None or entry["key"] != key or not _files_intact(outputs, entry["files"]):
        return None
    return entry["status"]


def store(outputs: Path, name: str, key: str, files: list[Path], status: dict[str, Any]) -> None:
    """Record that the published ``files`` (under ``outputs``) are what running ``name`` with ``key`` gives."""
    record = {"key": key, "files": {p.relative_to(outputs).as_posix(): sha256_file(p) for p in files},
              "status": status}
    atomic_write(entry_path(outputs, name), json.dumps(record, indent=2, sort_keys=True, default=str))


def forget(outputs: Path, name: str) -> None:
    entry_path(outputs, name).unlink(missing_ok=True)
