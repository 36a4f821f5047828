"""Run the report's notebooks headlessly (papermill), reuse what has not changed, and build the report's site.

One concern per module, as papermill splits its own code:

- :mod:`~crackdown.runner.execute`: one notebook in a worker process, into the run's staging folder;
- :mod:`~crackdown.runner.scrub`: local paths and the host name removed from what is published;
- :mod:`~crackdown.runner.export`: the commit the site names;
- :mod:`~crackdown.runner.cache`: the execution cache (what a notebook's outputs depend on);
- :mod:`~crackdown.runner.publish`: the run lock, the staging folder, all-or-nothing publishing, scratch runs;
- :mod:`~crackdown.runner.pool`: the run itself (worker pool, declared order, cache hits, Ctrl-C, the site).

Each notebook runs in its own kernel, in a pool of worker processes, in the order the notebooks declare.
A run stages everything it writes under ``outputs/.staging/<run>/`` and moves a notebook's outputs into place
only when that notebook succeeded, so a failed run never replaces good outputs; the partially executed
notebook of a failure is kept under ``outputs/failed/``. One run at a time writes to ``outputs/``: a run holds
an exclusive lock on ``outputs/.lock`` from start to site, and a second run started meanwhile says so and
waits for it. Errors are types of :mod:`crackdown.errors`; files are written with :mod:`crackdown.fileio`.
"""

from __future__ import annotations

from crackdown.startup import skip_iri_format_checker

skip_iri_format_checker()  # before nbformat is imported (see crackdown.startup)

from crackdown.data.manifest import data_hash  # noqa: E402
from crackdown.runner.execute import KERNEL_NAME, NotebookRun, execute_notebook  # noqa: E402
from crackdown.runner.export import REPORT_TITLE, git_commit  # noqa: E402
from crackdown.runner.pool import build_report_site, run_notebooks  # noqa: E402
from crackdown.runner.publish import LOCK_NAME, run_lock, staging  # noqa: E402
from crackdown.runner.scrub import scrub_notebook, scrub_text  # noqa: E402

__all__ = [
    "KERNEL_NAME", "LOCK_NAME", "REPORT_TITLE", "NotebookRun", "build_report_site", "data_hash", "execute_notebook",
    "git_commit", "run_lock", "run_notebooks", "scrub_notebook", "scrub_text", "staging",
]
