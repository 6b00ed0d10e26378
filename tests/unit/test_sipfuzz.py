"""The fuzz corpus is seeded, bounded and mutates every line of the valid INVITE it starts from."""

from __future__ import annotations

from tests.integration.sipfuzz import MAX_DATAGRAM, Target, corpus, mutations, valid_invite

TARGET = Target(port=5062, src_port=40000)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others() -> None:
    first = [c.data for c in corpus(TARGET, seed=14, limit=1500)]
    assert first == [c.data for c in corpus(TARGET, seed=14, limit=1500)]
    assert first[1000:] != [c.data for c in corpus(TARGET, seed=15, limit=1500)][1000:]


def test_it_is_bounded_and_every_case_fits_a_datagram() -> None:
    cases = list(corpus(TARGET, seed=1, limit=2500))
    assert len(cases) == 2500
    assert max(len(c.data) for c in cases) <= MAX_DATAGRAM
    assert len({c.call_id for c in cases}) == 2500


def test_every_header_and_sdp_line_is_mutated_and_the_message_cut_at_every_line() -> None:
    names = [name for name, _ in mutations(TARGET)]
    assert len(names) == len(set(names))
    base = valid_invite(TARGET, "x@y")
    for line in base.headers:
        header = line.split(b":", 1)[0].decode()
        assert {f"{header}:overflow-63k", f"{header}:fmt-n", f"{header}:removed"} <= set(names)
    for i, line in enumerate(base.sdp):
        key = f"sdp-{line.split(b'=', 1)[0].decode()}{i}"
        assert {f"{key}:utf8-invalid", f"{key}:nul-inside", f"{key}:doubled"} <= set(names)
    lines = len(base.headers) + len(base.sdp) + 2  # the request line, Content-Length, blank
    assert sum(n.startswith("truncated:") for n in names) == 2 * lines


def test_the_first_case_is_the_valid_invite_with_one_line_overflowed() -> None:
    case = next(corpus(TARGET, seed=14, limit=1))
    assert case.name == "Via:overflow-256"
    assert case.data.startswith(b"INVITE sip:support@127.0.0.1:5062 SIP/2.0\r\nVia: AAAA")
    assert case.data.endswith(b"a=sendrecv\r\n")
