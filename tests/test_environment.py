"""The project's environment files agree, and committed notebooks are clean."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> str:
    name = re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_normalise(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}


def test_environment_yml_names_the_same_packages_as_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_normalise(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert conda == _pyproject_names()
    assert "-e ." in pip_section
    assert "conda-forge" in env["channels"]


def test_lock_pins_every_dependency_exactly() -> None:
    lines = [line.strip() for line in (ROOT / "requirements.lock").read_text().splitlines()]
    pins = {_normalise(line): line for line in lines if line and not line.startswith("#")}
    assert all("==" in line for line in pins.values()), [p for p in pins.values() if "==" not in p]
    missing = _pyproject_names() - set(pins)
    assert not missing, f"requirements.lock lacks {sorted(missing)}: run `make lock`"


def test_makefile_and_ci_use_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1].strip() == "make test"


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_is_clean_and_declares_its_question(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit notebooks without outputs"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert nb.metadata["crackdown"]["question"].endswith("?")
    assert "sys.path" not in "".join(c.source for c in code)
