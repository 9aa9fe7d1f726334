"""Streaming: chunked and SSE responses are forwarded as they arrive, and a
client that stops reading slows the upstream down (backpressure) instead of
making relais buffer the whole body."""

import itertools
import time

from harness import httpclient
from harness.upstream import Resp


def first_arrival(pieces, needle: bytes):
    """Reads (t, bytes) pieces until `needle` has arrived; returns (arrival time,
    all bytes so far). `pieces` stays usable for the rest of the body."""
    seen = b""
    for t, p in pieces:
        seen += p
        if needle in seen:
            return t, seen
    raise AssertionError(f"{needle!r} never arrived; got {seen!r}")


def test_sse_first_event_arrives_before_upstream_finishes(relais, upstream):
    ev1, ev2 = b"id: 1\nevent: tick\ndata: {\"n\": 1}\n\n", b"id: 2\nevent: tick\ndata: {\"n\": 2}\n\n"
    upstream.on("/files/events", Resp(
        headers=[("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")],
        framing="chunked", chunks=[ev1, (1.5, ev2)]))
    with httpclient.Conn(relais.public_port, timeout=15) as c:
        head, pieces = c.stream("GET", "/files/events", headers=[("Accept", "text/event-stream")])
        assert head.status == 200
        assert (head.header("Content-Type") or "").startswith("text/event-stream")
        t_ev1, seen = first_arrival(pieces, b'data: {"n": 1}\n\n')
        rest = b"".join(p for _, p in pieces)
    (req,) = upstream.wait_for_requests(1)
    assert seen + rest == ev1 + ev2
    t_upstream_ev2 = req.sent_log[1][0]
    assert t_ev1 < t_upstream_ev2, (
        f"event 1 reached the client {t_ev1 - t_upstream_ev2:+.3f}s after the upstream sent event 2: "
        "relais buffered the stream")


def test_chunked_stream_pieces_arrive_progressively(relais, upstream):
    pieces_out = [b"part-%d;" % i for i in range(4)]
    upstream.on("/files/progress", Resp(headers=[("Content-Type", "application/octet-stream")],
                                        framing="chunked",
                                        chunks=[pieces_out[0]] + [(0.4, p) for p in pieces_out[1:]]))
    with httpclient.Conn(relais.public_port, timeout=15) as c:
        head, pieces = c.stream("GET", "/files/progress")
        assert head.status == 200
        t_first, seen = first_arrival(pieces, b"part-0;")
        rest = b"".join(p for _, p in pieces)
    (req,) = upstream.wait_for_requests(1)
    assert seen + rest == b"".join(pieces_out)
    assert t_first < req.sent_log[-1][0]


def test_close_delimited_upstream_body_is_streamed_and_complete(relais, upstream):
    upstream.on("/files/eof", Resp(headers=[("Content-Type", "text/plain")], framing="close",
                                   chunks=[b"first;", (1.0, b"second;"), b"third"]))
    with httpclient.Conn(relais.public_port, timeout=15) as c:
        head, pieces = c.stream("GET", "/files/eof")
        assert head.status == 200
        t_first, seen = first_arrival(pieces, b"first;")
        rest = b"".join(p for _, p in pieces)
    (req,) = upstream.wait_for_requests(1)
    assert seen + rest == b"first;second;third"
    assert t_first < req.sent_log[1][0]


def test_slow_client_applies_backpressure_to_upstream(relais, upstream):
    mib = 1 << 20
    total = 512 * mib
    piece = b"\xab" * mib
    upstream.on("/files/huge", Resp(headers=[("Content-Type", "application/octet-stream")],
                                    length=total, chunks=itertools.repeat(piece, 512)))
    c = httpclient.Conn(relais.public_port, timeout=15, rcvbuf=64 << 10)
    try:
        head, pieces = c.stream("GET", "/files/huge")
        assert head.status == 200
        (req,) = upstream.wait_for_requests(1)
        # the client reads nothing more: wait until the upstream cannot send any further
        last, stable_since, deadline = -1, time.monotonic(), time.monotonic() + 10
        while time.monotonic() < deadline:
            now_sent = req.bytes_sent
            if now_sent != last:
                last, stable_since = now_sent, time.monotonic()
            elif time.monotonic() - stable_since > 1.0:
                break
            time.sleep(0.1)
        stalled_at = req.bytes_sent
        print(f"stalled at {stalled_at / mib:.1f} MiB")
        assert stalled_at < 128 * mib, (
            f"upstream sent {stalled_at / mib:.0f} MiB to a client that reads nothing: relais buffers the body")
        # reading again lets the upstream go on (more than it had sent must come through)
        want, got = stalled_at + 16 * mib, 0
        for _, p in pieces:
            got += len(p)
            if got >= want:
                break
        assert got >= want
        assert req.bytes_sent > stalled_at
    finally:
        c.close()
