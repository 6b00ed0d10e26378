"""How fast workstations empty their spools into one archive, and how fast QA searches it.

Starts one SeaweedFS (the tests' `SeaweedServer`), gives each of W simulated workstations a
recordings directory of its own with N/W small finished recordings made by the real store and
writer (0.5 s of stereo audio each, 32 kB, audit trail included), then measures, in one run:
- the reference: a plain boto3 copy of the same files (audio and metadata, one PUT each, the
  same W threads with a client each, made before the clock starts) into a bucket of its own,
  before and after the archive run;
- the archive: each workstation's `Uploader.flush()` on a thread of its own (spool, SHA-256
  checked by the server, If-None-Match, marker, audit entry, the trail's segment);
(the spools are filled first, as the end of each call fills them); then counts what the archive
holds: every recording's two objects, byte-identical by MD5 (the
ETag of a single PUT), nothing missing, nothing extra. Targets: at least 0.8x the plain copy's
rate; 0 lost, 0 duplicated. Last, the QA side: the archive index built from the archived
metadata (all W workstations) and brought up to date with nothing new, and searches over an
archive index of 100,000 recordings (rows from `library_index`'s generator inserted into the
archive index's own tables: fetching 100,000 objects would measure the server), target at most
100 ms each (median of the repeats).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks._support import machine
from benchmarks.library_index import SEARCHES, recording
from softphone.recordings.archiveclient import s3_client
from softphone.recordings.archiveindex import ArchiveIndex
from softphone.recordings.audit import AuditLog
from softphone.recordings.index import metadata_row
from softphone.recordings.spool import Spool
from softphone.recordings.uploader import Uploader
from tests.integration.archivedata import CREDENTIAL_ENV, archive_policy, local_files, record
from tests.integration.seaweed import SeaweedServer

RATE_TARGET, SEARCH_TARGET_MS = 0.8, 100.0
Desks = list[tuple[str, Path, list[str]]]  # each workstation: its name, recordings, their ids


def in_threads(count: int, work: Callable[[int], None]) -> float:
    """Run `work(i)` for i in range(count), each on a thread; seconds until all are done."""
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def plain_copy(
    server: SeaweedServer, bucket: str, desks: list[tuple[str, Path, list[str]]]
) -> float:
    """The reference: every file PUT once by plain boto3, one thread and client per desk."""
    server.client().create_bucket(Bucket=bucket)
    clients = [server.client(timeout=60) for _ in desks]  # made before the clock starts

    def copy(i: int) -> None:
        name, root, ids = desks[i]
        client = clients[i]
        for rid in ids:
            for suffix, data in local_files(root, rid).items():
                client.put_object(Bucket=bucket, Key=f"{name}/{rid}{suffix}", Body=data)

    return in_threads(len(desks), copy)


def audit(
    server: SeaweedServer, bucket: str, desks: list[tuple[str, Path, list[str]]]
) -> dict[str, int]:
    """What the archive holds against what it should: missing, extra, altered objects."""
    expected: dict[str, str] = {}
    for name, root, ids in desks:
        for rid in ids:
            for suffix, data in local_files(root, rid).items():
                expected[f"{name}/{rid}{suffix}"] = hashlib.md5(data).hexdigest()
    found: dict[str, str] = {}
    client = server.client(timeout=60)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if "/.audit/" not in item["Key"]:
                found[str(item["Key"])] = str(item["ETag"]).strip('"')
    return {
        "expected": len(expected),
        "missing": len(set(expected) - set(found)),
        "extra": len(set(found) - set(expected)),
        "altered": sum(found[k] != v for k, v in expected.items() if k in found),
    }


def search_figures(
    work: Path, count: int, repeats: int, policy: Any
) -> list[tuple[str, int, float, float]]:
    """Searches over an archive index of `count` recordings of 50 workstations."""
    index = ArchiveIndex(policy, None, work / "archive-100k.sqlite")
    with index._connection() as db:  # the refresh's own insert, no server
        for n in range(count):
            rid, metadata = recording(n)
            rid = f"desk-{n % 50:02d}/{rid}"
            row = metadata_row(metadata) | {"id": rid, "folder": rid.rpartition("/")[0]}
            index._insert(db, rid, row | {"mtime_ns": n, "size": 1})
    figures = []
    for label, filters in SEARCHES:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            found = index.search(filters)
            times.append((time.perf_counter() - start) * 1000)
        figures.append((label, len(found), statistics.median(times), max(times)))
    return figures


def mark(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, upload, check and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstations", type=int, default=50)
    parser.add_argument("--recordings", type=int, default=10_000)
    parser.add_argument("--index", type=int, default=100_000, help="recordings in the QA index")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"archive_upload: {args.recordings} recordings from {args.workstations} workstations")
    print(machine())
    import os  # noqa: PLC0415 - the credentials go where boto3 looks for them

    os.environ.update(CREDENTIAL_ENV)
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as tmp:
        work = Path(tmp)
        server = SeaweedServer(work / "seaweed")
        server.start()
        try:
            return _run(args, work, server)
        finally:
            server.stop()


def _run(args: argparse.Namespace, work: Path, server: SeaweedServer) -> int:
    per_desk = args.recordings // args.workstations
    desks: Desks = [(f"desk-{w:02d}", work / f"desk-{w:02d}", []) for w in range(args.workstations)]

    def make(w: int) -> None:
        name, root, ids = desks[w]
        root.mkdir()
        for n in range(per_desk):
            ids.append(record(root, f"{name}-call{n}", agent=f"agent{w % 20:02d}", frames=25))

    start = time.perf_counter()
    in_threads(len(desks), make)
    total = per_desk * args.workstations
    size = sum(
        len(b) for _, root, ids in desks for rid in ids for b in local_files(root, rid).values()
    )
    print(f"  made {total} recordings ({size / 1e6:.1f} MB, audio and metadata) in "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    before = plain_copy(server, "plain-before", desks)
    server.client().create_bucket(Bucket="archive")
    policy = archive_policy(server, "archive")

    def queue(i: int) -> None:
        _name, root, _ids = desks[i]
        Spool(root).catch_up(AuditLog.of(root))

    print(f"  queued them in the spools (as each call's end does) in "
          f"{in_threads(len(desks), queue):.1f} s")  # fmt: skip

    uploaders = [  # made before the clock starts, as the plain copy's clients are
        Uploader(root, policy, s3_client(policy, timeout_s=60), name) for name, root, _ in desks
    ]

    def upload(i: int) -> None:
        name = desks[i][0]
        result = uploaders[i].flush()
        if not result.ok:
            raise RuntimeError(f"{name}: {result.failed[:1]}")

    archive_s = in_threads(len(desks), upload)
    after = plain_copy(server, "plain-after", desks)
    reference = (before + after) / 2
    counts = audit(server, "archive", desks)
    ratio = reference / archive_s
    print(f"plain boto3 copy: {before:.1f} s before, {after:.1f} s after; mean "
          f"{total / reference:.0f} recordings/s, {size / reference / 1e6:.1f} MB/s")  # fmt: skip
    print(f"archive upload: {archive_s:.1f} s, {total / archive_s:.0f} recordings/s, "
          f"{size / archive_s / 1e6:.1f} MB/s = {ratio:.2f}x the plain copy "
          f"(target >= {RATE_TARGET}x: {mark(ratio >= RATE_TARGET)})")  # fmt: skip
    lost, dup = counts["missing"] + counts["altered"], counts["extra"]
    print(f"archive holds {counts['expected'] - counts['missing']} of {counts['expected']} "
          f"objects: {lost} lost or altered, {dup} extra (target 0 and 0: "
          f"{mark(lost == 0 and dup == 0)})")  # fmt: skip
    qa = ArchiveIndex(policy, s3_client(policy, timeout_s=60), work / "archive.sqlite")
    build = time.perf_counter()
    built = qa.refresh()
    build_s = time.perf_counter() - build
    check = time.perf_counter()
    qa.refresh()
    check_s = time.perf_counter() - check
    print(f"QA archive index from the archived metadata: {built.read} read in {build_s:.1f} s; "
          f"up to date with nothing new: {check_s * 1000:.0f} ms (listing the bucket)")  # fmt: skip
    for label, found, median, worst in search_figures(work, args.index, args.repeats, policy):
        print(f"search over {args.index} archived, {label}: {found} found, median {median:.1f} ms, "
              f"max {worst:.1f} ms (target <= {SEARCH_TARGET_MS:g} ms: "
              f"{mark(median <= SEARCH_TARGET_MS)})")  # fmt: skip
    summary = {"recordings": total, "archive_s": round(archive_s, 2), "ratio": round(ratio, 2)}
    print(json.dumps(summary | {"reference_s": round(reference, 2), **counts}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
