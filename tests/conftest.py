"""Shared test helpers: a scratch copy of the project, and running the ``crackdown`` command in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_NOTEBOOKS = ROOT / "tests" / "notebooks"


def pytest_configure(config: pytest.Config) -> None:
    """Tests keep their data and calendar caches apart from the checkout's ``outputs/.cache``, so they never
    evict them."""
    for variable, prefix in (("CRACKDOWN_DATA_CACHE_DIR", "crackdown-data-cache-"),
                             ("CRACKDOWN_CALENDAR_CACHE_DIR", "crackdown-calendar-cache-")):
        if variable not in os.environ:
            folder = tempfile.mkdtemp(prefix=prefix)
            os.environ[variable] = folder
            config.add_cleanup(lambda folder=folder: shutil.rmtree(folder, ignore_errors=True))


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


def run_crackdown(root: Path, *args: str, timeout: float = 900) -> Completed:
    """Run ``python -m crackdown ARGS`` against the project at ``root`` (through CRACKDOWN_ROOT)."""
    env = {**os.environ, "CRACKDOWN_ROOT": str(root)}
    proc = subprocess.run(
        [sys.executable, "-m", "crackdown", *args], check=False, cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A scratch copy of the small valid fixture data folder, with its manifest, and a fresh loader cache."""
    from crackdown.data import clear_cache, write_manifest

    target = tmp_path / "data"
    shutil.copytree(ROOT / "tests" / "fixtures" / "valid" / "data", target)
    write_manifest(target)
    clear_cache()
    return target


@pytest.fixture
def scratch_project(tmp_path: Path) -> Path:
    """A project root with the test notebooks, a copy of the real data and profiles, and no outputs."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    for nb in TEST_NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(nb, root / "notebooks" / nb.name)
    shutil.copytree(ROOT / "data", root / "data")
    (root / "profiles").mkdir()
    return root


def build_ci_report(parent: Path) -> Path:
    """Copy the real notebooks, data and profiles under ``parent`` and run the whole report with the ci profile,
    published as the report (``--publish``: the ci values differ from the report's profile)."""
    root = parent / "project"
    for name in ("notebooks", "data", "profiles"):
        shutil.copytree(ROOT / name, root / name)
    result = run_crackdown(root, "run", "--profile", "ci", "--publish", "--no-progress")
    if result.returncode != 0:
        pytest.fail(f"crackdown run --profile ci failed in {parent.name}:\n{result.stdout}\n{result.stderr}")
    return root


@pytest.fixture(scope="session")
def ci_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real report run once with the ``ci`` profile in a scratch copy of the project (shared by tests)."""
    return build_ci_report(tmp_path_factory.mktemp("report"))
