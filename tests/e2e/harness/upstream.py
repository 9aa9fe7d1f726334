"""A scriptable, recording HTTP/1.1 upstream for the end-to-end tests.

Written directly on `socket` (not http.server) so that it records exactly what
relais sent: the request line, the header lines as received (names in their
original case, in order, duplicates kept) and the body (both decoded and as it
came on the wire). Each test scripts the answer per path: status, headers,
body, a chunked or close-delimited stream with delays between pieces (SSE),
a delay before answering, or closing the connection without answering.

    up = RecordingUpstream().start()
    up.on("/internal/items/1", Resp(201, headers=[("X-A", "b")], body=b"made"))
    up.on("/events", Resp(headers=[("Content-Type", "text/event-stream")],
                          chunks=[b"data: 1\\n\\n", (1.5, b"data: 2\\n\\n")],
                          framing="chunked"))
    ... drive relais ...
    req = up.wait_for_requests(1)[0]
    assert req.path == "/internal/items/1"
    up.stop()

Everything listens on 127.0.0.1 only. Threads are daemons and every wait is
interruptible by stop(), so a hung test cannot keep the process alive.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Union

from .headers import HeaderLookup

MAX_HEAD = 1 << 20  # refuse request heads over 1 MiB (relais never sends one)

Chunk = Union[bytes, tuple]  # bytes, or (delay_seconds_before, bytes)


@dataclass
class Resp:
    """What the upstream answers.

    status/reason: the status line. headers: list of (name, value), sent as
    given (no header is added except the framing one, and only when `headers`
    does not already frame the body). body: the whole body (framing "length").
    chunks: an iterable of bytes or (delay, bytes); with framing "chunked" each
    piece is one HTTP chunk, with "close" the body ends when the connection
    closes, with "length" the pieces are sent raw after a Content-Length that
    must then be given in `length` (or in headers).
    delay: seconds to wait after the request is read and before the status
    line. close_without_answer: read the request, then close the socket.
    close_after: close the connection after this response (adds nothing to
    the headers; the test adds Connection: close itself if it wants one).
    gate: a threading.Event to wait on (at most `gate_timeout`) before
    answering.
    """

    status: int = 200
    headers: list = field(default_factory=list)
    body: bytes = b""
    chunks: Optional[Iterable[Chunk]] = None
    framing: str = "length"  # length | chunked | close
    length: Optional[int] = None
    reason: Optional[str] = None
    delay: float = 0.0
    close_without_answer: bool = False
    close_after: bool = False
    gate: Optional[threading.Event] = None
    gate_timeout: float = 10.0


REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    301: "Moved Permanently", 302: "Found", 304: "Not Modified", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 418: "I'm a teapot",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


@dataclass
class Request(HeaderLookup):
    """One request as the upstream received it."""

    conn_id: int
    index_on_conn: int  # 0 for the first request on its connection
    method: str
    target: str  # as on the request line: path plus ?query
    version: str
    headers: list  # [(name, value)] as received: original case, order, duplicates
    raw_head: bytes  # request line + header lines + the empty line, verbatim
    body: bytes = b""  # decoded (chunked framing removed)
    body_raw: bytes = b""  # as on the wire
    chunked: bool = False
    trailers: list = field(default_factory=list)
    received_at: float = 0.0  # time.monotonic() when the head was complete
    body_done_at: float = 0.0
    # filled while answering
    bytes_sent: int = 0  # response body bytes written so far
    sent_log: list = field(default_factory=list)  # [(monotonic, piece_bytes)] per body piece
    response_done_at: Optional[float] = None
    aborted: bool = False  # the peer went away while we were answering

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> Optional[str]:
        return self.target.split("?", 1)[1] if "?" in self.target else None



    def header_names(self) -> set:
        return {k.lower() for k, _ in self.headers}


Handler = Union[Resp, Callable[[Request], Resp]]


class _Closed(Exception):
    pass


class RecordingUpstream:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port: Optional[int] = None
        self.default: Handler = Resp(200, headers=[("Content-Type", "text/plain")], body=b"ok")
        self._routes: dict = {}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._requests: list = []
        self._conn_count = 0
        self._open_conns: set = set()
        self._stop = threading.Event()
        self._threads: list = []
        self._sock: Optional[socket.socket] = None

    # -- scripting ---------------------------------------------------------

    def on(self, path: str, handler: Handler) -> "RecordingUpstream":
        """Answer requests whose path (no query) is `path` with `handler`: a
        Resp, or a function Request -> Resp. A path ending in '*' is a prefix."""
        with self._lock:
            self._routes[path] = handler
        return self

    def _handler_for(self, path: str) -> Handler:
        with self._lock:
            if path in self._routes:
                return self._routes[path]
            best = None
            for p, h in self._routes.items():
                if p.endswith("*") and path.startswith(p[:-1]):
                    if best is None or len(p) > len(best[0]):
                        best = (p, h)
            return best[1] if best else self.default

    # -- observations ------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list:
        with self._lock:
            return list(self._requests)

    @property
    def connections(self) -> int:
        """TCP connections accepted so far."""
        with self._lock:
            return self._conn_count

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open_conns)

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> list:
        """Waits until at least `n` requests were fully received; returns them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"upstream received {len(self._requests)} request(s), expected {n} within {timeout}s")
                self._cond.wait(left)
            return list(self._requests)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._conn_count = 0

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> "RecordingUpstream":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port or 0))
        s.listen(512)
        s.settimeout(0.2)
        self._sock = s
        self.port = s.getsockname()[1]
        t = threading.Thread(target=self._accept_loop, name=f"upstream-{self.port}", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        with self._lock:
            conns = list(self._open_conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        for t in list(self._threads):
            t.join(timeout=2.0)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- server ------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conn_count += 1
                conn_id = self._conn_count
                self._open_conns.add(conn)
            t = threading.Thread(target=self._serve_conn, args=(conn, conn_id), daemon=True,
                                 name=f"upstream-{self.port}-conn{conn_id}")
            t.start()
            self._threads.append(t)

    def _serve_conn(self, conn: socket.socket, conn_id: int) -> None:
        reader = _Reader(conn, self._stop)
        index = 0
        try:
            while not self._stop.is_set():
                req = self._read_request(reader, conn, conn_id, index)
                if req is None:
                    return
                index += 1
                with self._cond:
                    self._requests.append(req)
                    self._cond.notify_all()
                handler = self._handler_for(req.path)
                resp = handler(req) if callable(handler) else handler
                keep = self._respond(conn, req, resp)
                if not keep:
                    return
        except (_Closed, OSError):
            return
        finally:
            with self._lock:
                self._open_conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _read_request(self, reader: "_Reader", conn, conn_id: int, index: int) -> Optional[Request]:
        try:
            head = reader.read_until(b"\r\n\r\n", MAX_HEAD)
        except _Closed:
            return None
        received_at = time.monotonic()
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ")
        if len(parts) != 3:
            raise _Closed()
        method, target, version = parts
        headers = []
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name, value.strip(" \t")))
        req = Request(conn_id=conn_id, index_on_conn=index, method=method, target=target,
                      version=version, headers=headers, raw_head=head, received_at=received_at)
        if (req.header("Expect") or "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        te = (req.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            req.chunked = True
            body, raw, trailers = reader.read_chunked()
            req.body, req.body_raw, req.trailers = body, raw, trailers
        elif req.header("Content-Length") is not None:
            n = int(req.header("Content-Length"))
            req.body = req.body_raw = reader.read_exact(n)
        req.body_done_at = time.monotonic()
        return req

    def _wait(self, seconds: float) -> None:
        if seconds > 0 and self._stop.wait(seconds):
            raise _Closed()

    def _send(self, conn, req: Request, data: bytes, body_bytes: int) -> None:
        try:
            conn.sendall(data)
        except OSError:
            req.aborted = True
            raise
        if body_bytes:
            req.bytes_sent += body_bytes
            req.sent_log.append((time.monotonic(), body_bytes))

    def _respond(self, conn, req: Request, resp: Resp) -> bool:
        """Sends `resp`; returns True when the connection stays open."""
        if resp.gate is not None:
            resp.gate.wait(resp.gate_timeout)
        self._wait(resp.delay)
        if resp.close_without_answer:
            req.response_done_at = time.monotonic()
            return False
        reason = resp.reason if resp.reason is not None else REASONS.get(resp.status, "Status")
        head = [f"HTTP/1.1 {resp.status} {reason}"]
        names = {k.lower() for k, _ in resp.headers}
        head += [f"{k}: {v}" for k, v in resp.headers]
        no_body = resp.status in (204, 304) or 100 <= resp.status < 200 or req.method == "HEAD"
        framing = resp.framing
        if not no_body and "content-length" not in names and "transfer-encoding" not in names:
            if framing == "chunked":
                head.append("Transfer-Encoding: chunked")
            elif framing == "length":
                n = resp.length if resp.length is not None else len(resp.body)
                head.append(f"Content-Length: {n}")
        head_bytes = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if no_body:
            self._send(conn, req, head_bytes, 0)
        elif resp.chunks is None:
            self._send(conn, req, head_bytes + resp.body, len(resp.body))
        else:
            self._send(conn, req, head_bytes, 0)
            for piece in resp.chunks:
                if isinstance(piece, tuple):
                    delay, piece = piece
                    self._wait(delay)
                if framing == "chunked":
                    if not piece:
                        continue
                    frame = b"%x\r\n" % len(piece) + piece + b"\r\n"
                    self._send(conn, req, frame, len(piece))
                else:
                    self._send(conn, req, piece, len(piece))
            if framing == "chunked":
                self._send(conn, req, b"0\r\n\r\n", 0)
        req.response_done_at = time.monotonic()
        if resp.close_after or framing == "close":
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return False
        conn_hdr = (req.header("Connection") or "").lower()
        if "close" in conn_hdr or req.version == "HTTP/1.0":
            return False
        return True


class _Reader:
    """Buffered reads on a blocking socket, interruptible by `stop`."""

    def __init__(self, sock: socket.socket, stop: threading.Event):
        self.sock = sock
        self.stop = stop
        self.buf = bytearray()
        sock.settimeout(None)  # blocking: sendall must wait for a slow reader

    def _fill(self) -> None:
        while True:
            if self.stop.is_set():
                raise _Closed()
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.25)
                if not ready:
                    continue
                data = self.sock.recv(1 << 16)
            except (OSError, ValueError):
                raise _Closed()
            if not data:
                raise _Closed()
            self.buf += data
            return

    def read_until(self, sep: bytes, limit: int) -> bytes:
        start = 0
        while True:
            i = self.buf.find(sep, start)
            if i >= 0:
                out = bytes(self.buf[: i + len(sep)])
                del self.buf[: i + len(sep)]
                return out
            if len(self.buf) > limit:
                raise _Closed()
            start = max(0, len(self.buf) - len(sep) + 1)
            self._fill()

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_chunked(self):
        body = bytearray()
        raw = bytearray()
        while True:
            line = self.read_until(b"\r\n", 4096)
            raw += line
            size = int(line[:-2].split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            data = self.read_exact(size + 2)
            raw += data
            body += data[:-2]
        trailers = []
        while True:
            line = self.read_until(b"\r\n", 65536)
            raw += line
            if line == b"\r\n":
                break
            name, _, value = line[:-2].decode("latin-1").partition(":")
            trailers.append((name, value.strip()))
        return bytes(body), bytes(raw), trailers
