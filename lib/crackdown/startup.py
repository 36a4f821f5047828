"""Start-up cost of the runner's processes: skip an import that validates nothing the runner reads.

nbformat validates notebooks with jsonschema, and jsonschema's format checkers import ``rfc3987_syntax`` (its
checker of the ``iri`` and ``iri-reference`` formats) eagerly. That package builds about 35 Lark grammars at
import: 1.4 s of CPU in every process that imports nbformat, measured here with ``python -X importtime`` (the
jsonschema maintainers' issue 1428, "Lazy import rfc3987_syntax"). No notebook schema of nbformat uses either
format (a test checks the installed schemas), so the runner, its workers and the site build, which each import
nbformat, mark the module as absent; jsonschema then leaves those two formats unchecked, which is what it does
whenever the optional package is not installed. Kernels never import nbformat for the notebook's own work, and a
user's own Python session is not touched: only the runner's processes call :func:`skip_iri_format_checker`.
"""

from __future__ import annotations

import sys

IRI_CHECKER_MODULE = "rfc3987_syntax"


def skip_iri_format_checker() -> bool:
    """Make ``import rfc3987_syntax`` fail fast in this process unless it is already imported; True if skipped.

    Call it before nbformat (or jsonschema's format module) is imported: once jsonschema has registered its
    checkers, this changes nothing.
    """
    if IRI_CHECKER_MODULE in sys.modules:
        return False
    sys.modules[IRI_CHECKER_MODULE] = None  # the import system raises ModuleNotFoundError for a None entry
    return True
