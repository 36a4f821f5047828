"""The one atomic-write helper: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8 with ``\\n`` line ends, or bytes) to ``path`` atomically.

    The content goes to a temporary file in the same folder, is flushed to disk, and replaces ``path`` with
    ``os.replace``; on any failure (disk full, read-only folder, interrupt) the temporary file is removed and
    ``path`` is left as it was. Missing parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
