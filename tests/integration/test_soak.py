"""The short form of the soak (issue 14 item 7): 100 recorded calls with holds, 4 at a time.

Four long-running answerers (`softphone answer --calls 0`) take 25 calls each from SIPp callers
that hold them and resume: no call fails, every recording verifies, and from the warm-up calls
to the end no answerer grows by 5 MB of resident memory, and idle after the last call each holds
the file descriptors and threads it held idle before the first.
benchmarks/soak.py runs the long form (1,000 calls) and prints the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.policies import Compliance
from tests.integration.soak import run_soak
from tests.integration.softphone_cli import child_env

pytestmark = pytest.mark.integration

RSS_GROWTH_KB = 5 * 1024


def test_a_hundred_calls_with_holds_leave_no_failure_and_no_growth(
    tmp_path: Path, compliance: Compliance
) -> None:
    result = run_soak(
        tmp_path, compliance.args, compliance.recordings, child_env(), lanes=4, calls_per_lane=25
    )
    why = "; ".join(
        f"lane {i}: {len(lane.reports)} reports, {len(lane.failed)} failed, SIPp {lane.sipp_exit}, "
        f"exit {lane.exit_code}, warm {lane.warm}, end {lane.end} {lane.sipp_failure[-1500:]}"
        for i, lane in enumerate(result.lanes)
    )
    assert result.calls_reported == 100, why
    assert result.failed == 0, why
    assert all(lane.sipp_exit == 0 and lane.exit_code == 0 for lane in result.lanes), why
    assert result.verify_exit == 0, result.verify_output[-3000:]
    growth = result.growth()
    assert len(growth) == 4, why
    for rss_kb, fds, threads in growth:
        assert rss_kb < RSS_GROWTH_KB and fds == 0 and threads == 0, f"{growth}: {why}"
