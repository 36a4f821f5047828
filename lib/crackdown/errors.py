"""Errors a user can cause (bad parameter, malformed data, unknown id); the CLI prints them without a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CrackdownError(ValueError):
    """A problem with user input or data, with a message that names the culprit."""


def unknown_name_error(kind: str, name: str, known: Iterable[str], parameter: str | None = None) -> CrackdownError:
    """An error for an unknown id/symbol/name that lists the closest known matches."""
    known = sorted(set(known))
    close = difflib.get_close_matches(str(name), known, n=5, cutoff=0.5)
    where = f"{parameter}: " if parameter else ""
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}"
    return CrackdownError(f"{where}unknown {kind} {name!r}{hint}")


class ParameterError(CrackdownError):
    """A parameter value that cannot be used: wrong type, not finite, out of range, or unsafe to inject."""


class OutputsError(CrackdownError):
    """``outputs/`` cannot be written safely: a planted lock, a read-only folder, a full disk."""
