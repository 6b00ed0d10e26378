"""How fast the library index rebuilds and searches 100,000 recordings' metadata.

Generates the metadata files with the real schema and writer (`recordings/metadata.py`; no
audio: the index reads only metadata), spread over 20 agents and a year of day folders, then
measures a full rebuild (target at most 60 s), an up-to-date check with nothing changed, a
refresh after one new recording, and filtered searches (target at most 50 ms each, median of
the repeats). References from the same run: reading and parsing every metadata file once (what
`recordings list` did before the index, and the floor of any rebuild), a plain `sqlite3` bulk
insert of the same rows, and a linear scan of the parsed rows answering the same searches.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks._support import machine
from softphone.recordings.index import Filters, LibraryIndex, metadata_row
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    GateEntry,
    HoldInterval,
    PauseInterval,
    RecordingMetadata,
    read_metadata,
    write_metadata,
)

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
AGENTS = 20
REBUILD_TARGET_S, SEARCH_TARGET_MS = 60.0, 50.0


def generate(root: Path, count: int) -> None:
    """`count` recordings' metadata below `root`, as the store names them."""
    made: set[Path] = set()
    for n in range(count):
        rid, metadata = recording(n)
        day = (root / rid).parent
        if day not in made:
            day.mkdir(parents=True, exist_ok=True)
            made.add(day)
        write_metadata(root / f"{rid}.json", metadata)


def recording(n: int) -> tuple[str, RecordingMetadata]:
    """The `n`th generated recording: its id (as the store names it) and its metadata."""
    started = T0 + (n * 315.37) % (365 * 86400)
    agent = f"agent{n % AGENTS:02d}"
    day = f"{agent}/{time.strftime('%Y/%m/%d', time.gmtime(started))}"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
    direction = ("inbound", "outbound")[n % 2]
    name = f"{stamp}-{direction}-{n:010x}"
    length = 30.0 + (n * 7) % 900
    metadata = RecordingMetadata(
        call=CallFacts(
            f"{n}@pbx.example",
            direction,
            f"sip:{agent}@pbx.example",
            f"sip:+3120{n:07d}@carrier{n % 50}.example",
            agent,
            started,
            started + length,
        ),
        audio=AudioFacts(f"{name}.wav", 16000, frames=int(length * 16000), duration_s=length),
        disclosure=DisclosureEvidence(
            "acme-nl-2026-01", "nl", "kwaliteit", "ab" * 32, 6.0, started - 6, started, 300
        ),
        status="interrupted" if n % 97 == 0 else "complete",
        gate=[GateEntry(started, 0.0, "open", "disclosure-completed")],
        holds=[HoldInterval("local", started + 60, started + 90, 60.0)] if n % 5 == 0 else [],
        pauses=[PauseInterval("card number", agent, started + 9, started + 20, 9.0, agent)]
        if n % 11 == 0
        else [],
    )
    return f"{day}/{name}", metadata


SEARCHES: list[tuple[str, Filters]] = [
    ("one agent, one week", Filters(agent="agent07", since=T0 + 90 * 86400, until=T0 + 97 * 86400)),
    ("remote party (part of the URI)", Filters(remote="+31200004242")),
    ("free text: 'card'", Filters(text="card", limit=200)),
    ("held and interrupted", Filters(had_hold=True, interrupted=True)),
    ("inbound, 10 to 11 min, one month", Filters(
        direction="inbound", min_duration_s=600, max_duration_s=660,
        since=T0 + 180 * 86400, until=T0 + 210 * 86400)),
]  # fmt: skip


def linear(rows: list[dict[str, Any]], f: Filters) -> list[dict[str, Any]]:
    """The reference search: every parsed row, filtered in Python."""

    def ok(r: dict[str, Any]) -> bool:
        return (
            (f.agent is None or r["agent"] == f.agent)
            and (f.since is None or r["started"] >= f.since)
            and (f.until is None or r["started"] < f.until)
            and (f.remote is None or f.remote in r["remote"])
            and (f.text is None or f.text in r["notes"] or f.text in r["parties"])
            and (f.had_hold is None or (r["holds"] > 0) == f.had_hold)
            and (f.interrupted is None or bool(r["interrupted"]) == f.interrupted)
            and (f.direction is None or r["direction"] == f.direction)
            and (f.min_duration_s is None or r["duration_s"] >= f.min_duration_s)
            and (f.max_duration_s is None or r["duration_s"] <= f.max_duration_s)
        )

    found = [r for r in rows if ok(r)]
    return found[: f.limit] if f.limit is not None else found


def timed(action: Callable[[], object]) -> float:
    """Seconds `action` took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def parse_all(root: Path) -> list[dict[str, Any]]:
    """Reference: read and parse every metadata file once."""
    return [metadata_row(read_metadata(p)) for p in root.rglob("*.json")]


def bulk_insert(rows: list[dict[str, Any]], path: Path) -> None:
    """Reference: the same rows into a plain table, one executemany, no index, no FTS."""
    columns = sorted(rows[0])
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE r ({', '.join(columns)})")
    db.executemany(
        f"INSERT INTO r VALUES ({', '.join('?' for _ in columns)})",
        ([row[c] for c in columns] for row in rows),
    )
    db.commit()
    db.close()


def mark(figure: float, target: float) -> str:
    """'meets' or 'MISSES' the target."""
    return "meets" if figure <= target else "MISSES"


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, measure and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.library_index", description=__doc__)
    parser.add_argument("--count", type=int, default=100_000, help="recordings (default 100000)")
    parser.add_argument("--repeats", type=int, default=20, help="runs of each search (default 20)")
    args = parser.parse_args(argv)
    print(f"library_index: {args.count} recordings' metadata, {AGENTS} agents, one year")
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        root, work = Path(tmp, "recordings"), Path(tmp)
        root.mkdir()
        print(
            f"  generated the metadata files in {timed(lambda: generate(root, args.count)):.1f} s"
        )
        os.sync()
        index = LibraryIndex(root, work / "index.sqlite")
        rows: list[dict[str, Any]] = []
        scan_s = timed(lambda: rows.extend(parse_all(root)))
        insert_s = timed(lambda: bulk_insert(rows, work / "plain.sqlite"))
        rebuild_s = timed(lambda: index.refresh(rebuild=True))
        print(
            f"full rebuild: {rebuild_s:.1f} s (target <= {REBUILD_TARGET_S:g} s: "
            f"{mark(rebuild_s, REBUILD_TARGET_S)}); reference: parsing every file "
            f"{scan_s:.1f} s + a plain sqlite3 bulk insert of the rows {insert_s:.2f} s"
        )
        check_s = timed(index.refresh)
        print(f"up-to-date check, nothing changed: {check_s * 1000:.1f} ms")
        generate(root / "agent00" / "new", 1)
        add_s = timed(index.refresh)
        print(f"refresh after one new recording: {add_s * 1000:.1f} ms")
        for label, filters in SEARCHES:
            times = [timed(functools.partial(index.search, filters)) for _ in range(args.repeats)]
            found = len(index.search(filters))
            reference = timed(functools.partial(linear, rows, filters))
            median_ms = statistics.median(times) * 1000
            print(
                f"search {label}: {found} found, median {median_ms:.1f} ms, max "
                f"{max(times) * 1000:.1f} ms (target <= {SEARCH_TARGET_MS:g} ms: "
                f"{mark(median_ms, SEARCH_TARGET_MS)}); reference: linear scan of the parsed "
                f"rows {reference * 1000:.1f} ms"
            )
        print(f"index file: {(work / 'index.sqlite').stat().st_size / 1e6:.0f} MB")
    print(json.dumps({"count": args.count, "rebuild_s": round(rebuild_s, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
