"""Walk one TOML table with typed reads, collecting every problem instead of stopping."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from softphone.config.checks import InvalidValueError, ValueType, did_you_mean, show
from softphone.config.problems import Collector
from softphone.config.toml_lines import KeyPath, format_path

T = TypeVar("T")

_SECRET = re.compile(r"pass(word|wd)?|secret|token|credential", re.IGNORECASE)
SECRET_HINT = (
    "passwords are never stored in configuration files; remove this key and store the "
    "password in the OS keyring with: softphone account set-password ACCOUNT"
)


class TableReader:
    """Typed access to one table; records what was read so leftovers can be named unknown."""

    def __init__(
        self, table: Mapping[str, Any], path: KeyPath, out: Collector, seen: set[str]
    ) -> None:
        self.table = table
        self.path = path
        self.out = out
        self.seen = seen
        self._known: set[str] = set()

    def at(self, name: str | int) -> KeyPath:
        """The key path of `name` in this table."""
        return (*self.path, name)

    def has(self, name: str) -> bool:
        """True when the file sets `name` here."""
        return name in self.table

    def value(
        self, name: str, vtype: ValueType[T], *, required: bool = False, what: str = ""
    ) -> T | None:
        """The checked value of `name`; None when absent or invalid (the problem is recorded)."""
        self._known.add(name)
        if name not in self.table:
            if required:
                purpose = f" ({what})" if what else ""
                self.out.error(self.at(name), f"missing: expected {vtype.expected}{purpose}")
            return None
        try:
            checked = vtype.check(self.table[name])
        except InvalidValueError as exc:
            self.out.error(self.at(name), str(exc))
            return None
        self.seen.add(format_path(self.at(name)))
        return checked

    def table_at(self, name: str, *, required: bool = False, what: str = "") -> TableReader | None:
        """A reader for the sub-table `name`; None when absent or not a table."""
        self._known.add(name)
        if name not in self.table:
            if required:
                header = format_path(self.at(name))
                purpose = f" ({what})" if what else ""
                self.out.error(self.at(name), f"missing: expected a table [{header}]{purpose}")
            return None
        found = self.table[name]
        if not isinstance(found, dict):
            self.out.error(self.at(name), f"expected a table, got {show(found)}")
            return None
        return TableReader(found, self.at(name), self.out, self.seen)

    def array_of_tables(self, name: str) -> Iterator[TableReader]:
        """Readers for each table of the array `name` ([[name]] sections)."""
        self._known.add(name)
        found = self.table.get(name)
        if found is None:
            return
        if not isinstance(found, list):
            header = format_path(self.at(name))
            self.out.error(self.at(name), f"expected [[{header}]] tables, got {show(found)}")
            return
        for index, item in enumerate(found):
            if isinstance(item, dict):
                yield TableReader(item, (*self.at(name), index), self.out, self.seen)
            else:
                self.out.error((*self.at(name), index), f"expected a table, got {show(item)}")

    def skip(self, name: str) -> None:
        """Mark `name` as known without reading it (it is read elsewhere)."""
        self._known.add(name)

    def report_unknown(self, hints: Mapping[str, str] | None = None) -> None:
        """Record every key that was not read as unknown, with a hint or a close match."""
        hints = hints or {}
        for name in self.table:
            if name in self._known:
                continue
            if name in hints:
                self.out.error(self.at(name), hints[name])
            elif _SECRET.search(name):
                self.out.error(self.at(name), SECRET_HINT)
            else:
                self.out.error(
                    self.at(name), f"unknown key{did_you_mean(name, sorted(self._known))}"
                )
