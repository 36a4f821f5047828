"""Start-up cost of the runner's processes: skip an import that validates nothing the runner reads.

nbformat validates notebooks with jsonschema, and jsonschema's format checkers import ``rfc3987_syntax`` (its
checker of the ``iri`` and ``iri-reference`` formats) eagerly. That package builds about 35 Lark grammars at
import: 1.4 s of CPU in every process that imports nbformat, measured here with ``python -X importtime``
(jsonschema issue 1428, "Lazy import rfc3987_syntax", reports the same). No notebook schema of nbformat uses
either format (a test checks the installed schemas), so the ``crackdown`` command and any process that imports
:mod:`crackdown.runner` (the runner, its workers, the site build) mark the module as absent before nbformat is
imported; jsonschema then leaves those two formats unchecked, which is what it does whenever the optional package
is not installed. Kernels never import nbformat or the runner for the notebook's own work, so a notebook session
is not touched.
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
