"""The TOML key-line scanner: hand-picked tricky text, and generated documents checked exactly."""

from __future__ import annotations

import json
import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from softphone.config.toml_lines import KeyPath, format_path, key_lines

TRICKY = '''\
# comment with key = "value" and [table]
title = "a # not a comment"  # comment
"quoted.key" = 'literal \\ with backslash'
dotted.inner = 1
text = """
line one
key = "inside a string"
[not.a.table]
"""
after_text = true
arr = [
  1, # a comment ]
  "]",
]
after_arr = { a = 1, b = [1, 2] }

[[accounts]]
name = "a"

[accounts.options]
x = 1

[[accounts]]
name = "b"
lit = \'\'\'
multi ''\'\'\'
end = 2
'''


def test_tricky_text_maps_each_key_to_its_line() -> None:
    tomllib.loads(TRICKY)  # the scanner's precondition: tomllib accepts the text
    lines = key_lines(TRICKY)
    expected: dict[KeyPath, int] = {
        ("title",): 2,
        ("quoted.key",): 3,
        ("dotted",): 4,
        ("dotted", "inner"): 4,
        ("text",): 5,
        ("after_text",): 10,
        ("arr",): 11,
        ("after_arr",): 15,
        ("accounts",): 17,
        ("accounts", 0): 17,
        ("accounts", 0, "name"): 18,
        ("accounts", 0, "options"): 20,
        ("accounts", 0, "options", "x"): 21,
        ("accounts", 1): 23,
        ("accounts", 1, "name"): 24,
        ("accounts", 1, "lit"): 25,
        ("accounts", 1, "end"): 27,
    }
    assert {path: lines.exact(path) for path in expected} == expected


def test_unlocated_keys_fall_back_to_the_closest_enclosing_one() -> None:
    lines = key_lines(TRICKY)
    assert lines.line(("after_arr", "b")) == 15  # inside an inline table
    assert lines.line(("arr", 2)) == 11  # an array element
    assert lines.line(("accounts", 1, "missing")) == 23  # the table's header
    assert lines.line(("nowhere", "at", "all")) is None
    assert lines.exact(("after_arr", "b")) is None


def test_format_path_quotes_only_what_needs_it() -> None:
    assert format_path(("accounts", 0, "transport")) == "accounts[0].transport"
    assert format_path(("disclosure", "languages", "pt-BR")) == "disclosure.languages.pt-BR"
    assert format_path(("a", "b.c", "d e")) == 'a."b.c"."d e"'
    assert format_path(("q", 'say "hi"')) == 'q."say \\"hi\\""'
    assert format_path(()) == ""


# --- generated documents ------------------------------------------------------------------------

_printable = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
_key_text = st.text(alphabet=_printable, min_size=1, max_size=8)

_scalar = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(alphabet=_printable, max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.text(alphabet=st.sampled_from('ab #=[]{}"\\'), max_size=8).map(lambda s: f"'{s}'"),
)


@st.composite
def _value(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["scalar", "ml_basic", "ml_literal", "array", "inline"]))
    if kind == "scalar":
        return draw(_scalar)
    if kind in ("ml_basic", "ml_literal"):
        quotes, other = ('"""', "'") if kind == "ml_basic" else ("'''", '"')
        body = draw(st.lists(st.text(alphabet=st.sampled_from(f"ab #=[]{{}}x{other}")), max_size=3))
        return quotes + "\n" + "\n".join(body) + quotes
    items = draw(st.lists(_scalar, max_size=3))
    if kind == "array":
        return "[\n" + "".join(f"  {item}, # ] comment\n" for item in items) + "]"
    return "{ " + ", ".join(f"k{i} = {item}" for i, item in enumerate(items)) + " }"


@st.composite
def _document(draw: st.DrawFn) -> tuple[str, dict[KeyPath, int]]:
    out: list[str] = []
    expected: dict[KeyPath, int] = {}

    def add(statement: str) -> int:
        line = len(out) + 1
        out.extend(statement.split("\n"))
        return line

    def add_keys(prefix: KeyPath, count: int) -> None:
        for i in range(count):
            raw = draw(st.one_of(st.just(f"k{i}"), _key_text.map((f"{{}}{i}").format)))
            simple = raw.isascii() and raw.isidentifier()
            shown = raw if simple else json.dumps(raw, ensure_ascii=False)
            comment = draw(st.sampled_from(["", "  # note = [x]"]))
            expected[(*prefix, raw)] = add(f"{shown} = {draw(_value())}{comment}")

    add_keys((), draw(st.integers(0, 3)))
    for t in range(draw(st.integers(0, 3))):
        expected[(f"table{t}",)] = add(f"[table{t}]")
        add_keys((f"table{t}",), draw(st.integers(0, 3)))
    for index in range(draw(st.integers(0, 3))):
        expected[("items", index)] = add("[[items]]")
        add_keys(("items", index), draw(st.integers(0, 2)))
    return "\n".join(out) + "\n", expected


@settings(max_examples=300, deadline=None)
@given(_document())
def test_generated_documents_locate_every_key_exactly(doc: tuple[str, dict[KeyPath, int]]) -> None:
    text, expected = doc
    tomllib.loads(text)
    lines = key_lines(text)
    assert {path: lines.exact(path) for path in expected} == expected
