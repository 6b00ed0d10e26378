"""`softphone selftest` as an admin runs it: progress as it runs, every verdict, JSON last."""

from __future__ import annotations

import re

from tests.doccheck import DOCS, blocks, indented, masked, selftest_lines
from tests.integration.softphone_cli import run_softphone


def test_the_selftest_passes_and_shows_progress() -> None:
    done = run_softphone(["selftest", "--json"], timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result = done.report
    assert result["passed"] is True
    checks = {c["name"]: c for c in result["checks"]}
    assert len(checks) == 12 and all(c["passed"] for c in checks.values()), checks
    holds = checks["the call was held and resumed, and the peer refused each hold"]
    assert holds["figure"] >= 5
    for check in checks.values():
        assert check["margin"] is None or check["margin"] >= 0, check
    # Progress on standard error while it runs, one line per step, no traceback.
    progress = done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    steps = [re.sub(r"^  \[ *[0-9.]+ s\] ", "", line) for line in progress]
    expected = [
        "answered; the customer hears the disclosure",
        "hold 5 of 5",
        "resume 5 of 5",
        "the call ended",
        "analysing what each side heard and what was recorded",
    ]
    for step in expected:
        assert step in steps, progress
    lines = done.stdout.splitlines()
    assert lines[0].startswith("softphone self-test: a real SIP call on 127.0.0.1")
    assert lines[-1].startswith("{")  # the JSON document
    # docs/admin.md shows a real run (scripts/regen_docs.py): the same lines, numbers aside.
    shown = blocks(DOCS["admin"].read_text(encoding="utf-8"))["selftest"]
    fresh = indented(selftest_lines("\n".join(lines[:-1]), done.stderr))
    assert masked(shown) == masked(fresh), "docs/admin.md: run scripts/regen_docs.py selftest"
    assert sum(line.startswith("  PASS  ") for line in lines) == 12
    assert lines[-2] == "result: PASS (12 of 12 checks passed)"
