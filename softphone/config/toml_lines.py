"""Key paths in TOML text and the line each is defined on (tomllib reports no positions).

A key path is a tuple of table keys and array indexes, such as ``("accounts", 0, "transport")``,
shown to people as ``accounts[0].transport``. `key_lines` scans TOML text that tomllib has already
accepted and maps every key path it can see to the 1-based line that defines it:

- table headers ``[a.b]`` and array-of-tables headers ``[[accounts]]`` (each ``[[accounts]]``
  counts up the index, and a header under it, such as ``[accounts.x]``, belongs to the latest);
- ``key = value`` lines, with bare, quoted and dotted keys, relative to the current table;
- values that span lines (multi-line strings, arrays and inline tables) are skipped correctly.

Limits: keys inside an inline table (``nl = { id = "x" }``) or an array value (``locked = [...]``)
are not located one by one; `KeyLines.line` then answers with the line of the closest enclosing key
it knows, which is where an admin should look. Keys that are missing from the file have no line of
their own and are answered with the line of their table's header, when it has one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable

KeyPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: Iterable[str | int]) -> str:
    """Show a key path the way an admin writes it: ``accounts[0].transport``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        shown = part if _BARE.fullmatch(part) else _quote(part)
        text += f".{shown}" if text else shown
    return text


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


class KeyLines:
    """Where each key path of one TOML text is defined."""

    def __init__(self, lines: dict[KeyPath, int]) -> None:
        self._lines = lines

    def line(self, path: KeyPath) -> int | None:
        """The line of `path`, else of the closest enclosing path the scanner located."""
        for end in range(len(path), 0, -1):
            found = self._lines.get(path[:end])
            if found is not None:
                return found
        return None

    def exact(self, path: KeyPath) -> int | None:
        """The line of `path` itself, or None when the scanner did not locate it."""
        return self._lines.get(path)


def key_lines(text: str) -> KeyLines:
    """Scan TOML `text` (already accepted by tomllib) for the lines of its keys."""
    return _Scanner(text).run()


class _Scanner:
    """A small lexer that follows statements, strings and brackets; see the module docstring."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.table: KeyPath = ()
        self.arrays: dict[KeyPath, int] = {}  # resolved array-of-tables path -> last index
        self.found: dict[KeyPath, int] = {}

    def run(self) -> KeyLines:
        text = self.text
        while self.i < len(text):
            c = text[self.i]
            if c == "\n":
                self.line += 1
                self.i += 1
            elif c in " \t\r":
                self.i += 1
            elif c == "#":
                self._skip_comment()
            elif c == "[":
                self._header()
            else:
                self._key_value()
        return KeyLines(self.found)

    # --- statements ----------------------------------------------------------------------

    def _header(self) -> None:
        is_array = self.text.startswith("[[", self.i)
        parts = self._key(self.i + (2 if is_array else 1))
        if parts is None:
            self._skip_to_line_end()
            return
        resolved = self._resolve(parts[:-1] if is_array else parts)
        if is_array:
            resolved = (*resolved, parts[-1])
            index = self.arrays.get(resolved, -1) + 1
            self.arrays[resolved] = index
            self.found.setdefault(resolved, self.line)
            resolved = (*resolved, index)
        self.found.setdefault(resolved, self.line)
        self.table = resolved
        self._skip_to_line_end()

    def _resolve(self, parts: tuple[str, ...]) -> KeyPath:
        """Insert the current index after every prefix that names an array of tables."""
        resolved: KeyPath = ()
        for part in parts:
            resolved = (*resolved, part)
            if resolved in self.arrays:
                resolved = (*resolved, self.arrays[resolved])
        return resolved

    def _key_value(self) -> None:
        parts = self._key(self.i)
        if parts is None:
            self._skip_to_line_end()
            return
        for end in range(1, len(parts) + 1):
            self.found.setdefault((*self.table, *parts[:end]), self.line)
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1
        if self.i < len(self.text) and self.text[self.i] == "=":
            self.i += 1
        self._skip_value()

    # --- keys ------------------------------------------------------------------------------

    def _key(self, start: int) -> tuple[str, ...] | None:
        """Parse a (dotted) key at `start`; leaves `self.i` after it. None if there is none."""
        text, i, parts = self.text, start, []
        while True:
            while i < len(text) and text[i] in " \t":
                i += 1
            if i >= len(text):
                return None
            if text[i] in "\"'":
                end = text.find(text[i], i + 1)
                while text[i] == '"' and end > 0 and _escaped(text, end):
                    end = text.find('"', end + 1)
                if end < 0:
                    return None
                raw = text[i : end + 1]
                parts.append(tomllib.loads(f"k = {raw}")["k"] if raw[0] == '"' else raw[1:-1])
                i = end + 1
            else:
                match = _BARE.match(text, i)
                if match is None:
                    return None
                parts.append(match.group())
                i = match.end()
            while i < len(text) and text[i] in " \t":
                i += 1
            if i < len(text) and text[i] == ".":
                i += 1
                continue
            self.i = i
            return tuple(parts)

    # --- values ----------------------------------------------------------------------------

    def _skip_value(self) -> None:
        """Skip one value, counting the lines it spans, up to the end of its last line."""
        text, depth = self.text, 0
        while self.i < len(text):
            c = text[self.i]
            if text.startswith(('"""', "'''"), self.i):
                self._skip_multiline_string(text[self.i : self.i + 3])
            elif c in "\"'":
                self._skip_string(c)
            elif c in "[{":
                depth += 1
                self.i += 1
            elif c in "]}":
                depth -= 1
                self.i += 1
            elif c == "#":
                self._skip_comment()
            elif c == "\n":
                self.line += 1
                self.i += 1
                if depth <= 0:
                    return
            else:
                self.i += 1

    def _skip_string(self, quote: str) -> None:
        i = self.i + 1
        while i < len(self.text) and self.text[i] != quote:
            i += 2 if quote == '"' and self.text[i] == "\\" else 1
        self.i = i + 1

    def _skip_multiline_string(self, quotes: str) -> None:
        i = self.i + 3
        while i < len(self.text) and not self.text.startswith(quotes, i):
            if quotes == '"""' and self.text[i] == "\\":
                i += 1
            if i < len(self.text) and self.text[i] == "\n":
                self.line += 1
            i += 1
        i += 3
        for _ in range(2):  # up to two quotes right before the closing ones belong to the string
            if i < len(self.text) and self.text[i] == quotes[0]:
                i += 1
        self.i = i

    def _skip_comment(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = len(self.text) if end < 0 else end

    def _skip_to_line_end(self) -> None:
        self._skip_comment()


def _escaped(text: str, quote_at: int) -> bool:
    """True when the quote at `quote_at` is escaped by an odd number of backslashes."""
    count, i = 0, quote_at - 1
    while i >= 0 and text[i] == "\\":
        count += 1
        i -= 1
    return count % 2 == 1
