"""The runner's processes skip jsonschema's IRI checker (a 1.4 s import), and nothing they validate needs it."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from crackdown.startup import IRI_CHECKER_MODULE, skip_iri_format_checker


def _fresh_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _formats(schema: object) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["format"]} if isinstance(schema.get("format"), str) else set()
        return found.union(*(_formats(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_formats(v) for v in schema))
    return set()


def test_no_nbformat_schema_uses_an_iri_format() -> None:
    import nbformat

    schemas = sorted(Path(nbformat.__file__).parent.rglob("*.json"))
    assert schemas, "nbformat ships its schemas as JSON files"
    used = set().union(*(_formats(json.loads(p.read_text(encoding="utf-8"))) for p in schemas))
    assert not {"iri", "iri-reference"} & used


def test_skipped_module_is_not_imported_and_notebooks_still_validate() -> None:
    out = _fresh_python(
        "import sys\n"
        "from crackdown.startup import skip_iri_format_checker\n"
        "first = skip_iri_format_checker()\n"
        "import jsonschema, nbformat\n"
        "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]))\n"
        "bad = nbformat.v4.new_notebook(); bad['cells'] = [{'cell_type': 'code'}]\n"
        "try:\n"
        "    nbformat.validate(bad); invalid = 'accepted'\n"
        "except nbformat.ValidationError:\n"
        "    invalid = 'rejected'\n"
        "print(first, sys.modules['rfc3987_syntax'], 'iri' in jsonschema.FormatChecker().checkers, invalid)"
    )
    assert out == "True None False rejected"


@pytest.mark.parametrize("entry", ["import crackdown.runner", "import crackdown.cli as c; c.main(['run', '--help'])"])
def test_runner_and_cli_processes_skip_it(entry: str) -> None:
    code = f"import contextlib, io, sys\nwith contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n    {entry}\n"
    out = _fresh_python(code + "import nbformat\nprint(repr(sys.modules.get('rfc3987_syntax', 'absent')))")
    assert out == "None"


def test_an_already_imported_module_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType(IRI_CHECKER_MODULE)
    monkeypatch.setitem(sys.modules, IRI_CHECKER_MODULE, module)
    assert skip_iri_format_checker() is False
    assert sys.modules[IRI_CHECKER_MODULE] is module
