"""What the report's site says about the run's code: the checkout's commit. The site itself (pages, index, run
details) is built by :func:`crackdown.site.build_site`, whose ``REPORT_TITLE`` is the report's one title."""

from __future__ import annotations

import subprocess
from pathlib import Path

from crackdown import paths
from crackdown.site.build import REPORT_TITLE

__all__ = ["REPORT_TITLE", "git_commit"]


def git_commit(root: Path | None = None) -> str:
    """The checkout's commit (``+dirty`` when tracked files changed), or ``unknown`` outside git."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty=+dirty", "--abbrev=12"],
            cwd=root or paths.project_root(), capture_output=True, text=True, timeout=10, check=True,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"
