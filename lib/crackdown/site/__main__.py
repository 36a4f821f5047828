"""``python -m crackdown.site [OUT]``: build the site from ``outputs/`` (notebooks, results, status) into OUT
(default ``outputs/site``), e.g. to preview it without rerunning the notebooks."""

from __future__ import annotations

import sys
from pathlib import Path

from crackdown import paths
from crackdown.runner import data_hash, git_commit
from crackdown.site import RunInfo, build_site


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    outputs = paths.outputs_dir()
    out = Path(argv[0]) if argv else outputs / "site"
    run = RunInfo.from_status_dir(outputs / "status", git_commit(), data_hash())
    index = build_site(outputs / "notebooks", outputs / "results", out, run)
    print(paths.relative_to_root(index))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
