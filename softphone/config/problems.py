"""Problems found in configuration files, each naming file, line, key and what is expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from softphone.config.toml_lines import KeyLines, KeyPath, format_path

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or risky) in a file; `str()` is the line an admin reads.

    `file` is the file, or a label such as "built-in policy" for what is not a file, or None.
    """

    file: Path | str | None
    line: int | None
    key: str | None
    message: str
    severity: Severity = "error"
    column: int | None = None

    def __str__(self) -> str:
        location = ""
        if self.file is not None:
            location = str(self.file)
            if self.line is not None:
                location += f":{self.line}"
                if self.column is not None:
                    location += f":{self.column}"
        tag = "warning" if self.severity == "warning" else ""
        return ": ".join([p for p in (location, self.key, tag) if p] + [self.message])


class ConfigError(Exception):
    """A configuration file cannot be used; `problems` lists every problem found."""

    what = "configuration"

    def __init__(self, problems: Iterable[Problem], message: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(message or self.summary())

    def summary(self) -> str:
        """Every problem, one per line, under a count."""
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        return f"the {self.what} has {count} problem{'s' * (count != 1)}:\n{lines}"


class PolicyError(ConfigError):
    """The admin policy is missing, unreadable or invalid: calls must be refused."""

    what = "admin policy"

    def refusal(self) -> str:
        """Why calls are refused, and how to find out more, for the agent and the admin."""
        files = sorted({str(p.file) for p in self.problems if isinstance(p.file, Path)})
        check = (
            f"softphone config check {files[0]}" if len(files) == 1 else "softphone config check"
        )
        return (
            "calls are refused: the admin policy cannot be used, so the recording disclosure "
            f"and the hold gating cannot be guaranteed.\n{self}\n"
            f"Ask your IT administrator to fix it; `{check}` lists every problem."
        )


class PreferenceError(ConfigError):
    """A user preference cannot be read, set or saved."""

    what = "preferences"

    def summary(self) -> str:
        """The problem itself when there is one, else the list."""
        return str(self.problems[0]) if len(self.problems) == 1 else super().summary()


class PreferenceLockedError(PreferenceError):
    """The user tried to change a preference the admin policy locks."""


class Collector:
    """Gathers the problems of one file, finding each key's line as it goes."""

    def __init__(self, file: Path | str | None, lines: KeyLines | None = None) -> None:
        self.file = file
        self.lines = lines
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: KeyPath, message: str) -> None:
        """Record an error at `path` (its line is looked up)."""
        self.errors.append(self._problem(path, message, "error"))

    def warning(self, path: KeyPath, message: str) -> None:
        """Record a warning at `path`: allowed, but the admin must know."""
        self.warnings.append(self._problem(path, message, "warning"))

    def _problem(self, path: KeyPath, message: str, severity: Severity) -> Problem:
        line = self.lines.line(path) if self.lines is not None and path else None
        return Problem(self.file, line, format_path(path) or None, message, severity)
