"""A data problem found by a check, reported as ``file:line:column: reason``."""

from __future__ import annotations

from dataclasses import dataclass

from crackdown.errors import CrackdownError


@dataclass(frozen=True, order=True)
class Violation:
    """One problem in a data file.

    ``line`` is the 1-based line number in the file (the CSV header is line 1, the first data row line 2;
    0 means the file as a whole); ``column`` is the column name, or ``-`` when no single column is at fault.
    """

    file: str
    line: int
    column: str
    reason: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}:{self.column}: {prefix}{self.reason}"


def errors_only(violations: list[Violation]) -> list[Violation]:
    """The violations that are errors (warnings dropped)."""
    return [v for v in violations if v.severity == "error"]


def raise_if_errors(violations: list[Violation], what: str, shown: int = 5) -> None:
    """Raise :class:`CrackdownError` quoting the first ``shown`` errors, if there are any."""
    errors = errors_only(violations)
    if not errors:
        return
    listed = "\n  ".join(str(v) for v in errors[:shown])
    more = f"\n  ... and {len(errors) - shown} more" if len(errors) > shown else ""
    raise CrackdownError(
        f"{what} is invalid ({len(errors)} problem(s); run `crackdown data check` for all):\n  {listed}{more}"
    )
