"""The output shown in the docs is what the softphone prints today (`scripts/regen_docs.py`)."""

from __future__ import annotations

import pytest

from tests.doccheck import DOCS, GENERATORS, blocks

# The self-test's snippet needs a real call: tests/integration/test_selftest.py compares it.
IN_PROCESS = sorted(set(GENERATORS) - {"selftest"})


@pytest.mark.parametrize("name", IN_PROCESS)
def test_the_snippet_matches_a_fresh_run(name: str) -> None:
    shown = {
        doc: found[name]
        for doc, path in DOCS.items()
        if name in (found := blocks(path.read_text(encoding="utf-8")))
    }
    assert shown, f"no document shows the snippet {name!r}"
    fresh = GENERATORS[name]()
    for doc, text in shown.items():
        assert text == fresh, f"{doc} is out of date: run scripts/regen_docs.py {name}"


def test_every_snippet_in_the_docs_has_a_generator() -> None:
    for path in DOCS.values():
        assert set(blocks(path.read_text(encoding="utf-8"))) <= set(GENERATORS), path
