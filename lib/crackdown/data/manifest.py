"""``data/MANIFEST.sha256``: the sha256 of every data file, so an accidental change is noticed.

Format as written by ``sha256sum`` (``<hash>  <path relative to data/>``), one line per file, sorted.
After a deliberate change run ``crackdown data manifest --update``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from crackdown import paths
from crackdown.data.violations import Violation
from crackdown.fileio import atomic_write

MANIFEST_NAME = "MANIFEST.sha256"
UPDATE_HINT = "run `crackdown data manifest --update` if the change is deliberate"


def manifest_files(data_dir: Path) -> list[Path]:
    """The files the manifest covers: ``data/*.csv`` and ``data/prices/*.csv``."""
    return sorted(data_dir.glob("*.csv")) + sorted((data_dir / "prices").glob("*.csv"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compute_manifest(data_dir: Path) -> dict[str, str]:
    """``{path relative to data_dir: sha256}`` for every covered file."""
    return {p.relative_to(data_dir).as_posix(): sha256(p) for p in manifest_files(data_dir)}


def render_manifest(hashes: dict[str, str]) -> str:
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(hashes.items()))


def write_manifest(data_dir: Path) -> Path:
    """Rewrite the manifest from the files as they are now; returns its path."""
    path = data_dir / MANIFEST_NAME
    atomic_write(path, render_manifest(compute_manifest(data_dir)))
    return path


def read_manifest(path: Path) -> tuple[dict[str, tuple[int, str]], list[Violation]]:
    """``{name: (line, sha256)}`` from a manifest file, plus malformed-line violations."""
    entries: dict[str, tuple[int, str]] = {}
    problems: list[Violation] = []
    shown = f"{path.parent.name}/{path.name}"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            problems.append(Violation(shown, number, "-", "malformed line (expected '<sha256>  <path>')"))
        else:
            entries[name.strip()] = (number, digest.lower())
    return entries, problems


def check_manifest(data_dir: Path) -> list[Violation]:
    """Files changed, added or removed since the manifest was written."""
    path = data_dir / MANIFEST_NAME
    shown = f"{data_dir.name}/{MANIFEST_NAME}"
    if not path.is_file():
        return [Violation(shown, 0, "-", f"manifest is missing; {UPDATE_HINT}")]
    entries, problems = read_manifest(path)
    actual = compute_manifest(data_dir)
    for name, (line, digest) in entries.items():
        if name not in actual:
            problems.append(Violation(shown, line, "path", f"{name} is listed but missing; {UPDATE_HINT}"))
        elif actual[name] != digest:
            problems.append(Violation(shown, line, "sha256",
                                      f"{name} has changed since the manifest was written; {UPDATE_HINT}"))
    problems += [Violation(f"{data_dir.name}/{name}", 0, "-", f"not listed in {MANIFEST_NAME}; {UPDATE_HINT}")
                 for name in sorted(set(actual) - set(entries))]
    return problems


def data_hash(directory: Path | None = None) -> str:
    """sha256 over every file under ``data/`` (relative path and bytes), so a report names the data it used."""
    directory = directory or paths.data_dir()
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
