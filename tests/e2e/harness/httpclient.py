"""A small raw-socket HTTP/1.1 client for the tests that must control exactly
which bytes go to relais (hop-by-hop headers, duplicate headers, a Host of our
choosing, chunked request bodies, oversized heads) or see exactly what came
back (duplicate response headers, chunk arrival times).

    r = request(port, "GET", "/v1/items/1", headers=[("X-A", "1")])
    r.status, r.header("x-request-id"), r.body, r.json()

    with Conn(port) as c:                     # one keep-alive connection
        r1 = c.request("GET", "/a")
        head, pieces = c.stream("GET", "/events")   # pieces: iterator of (t, bytes)
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Iterator, Optional

from .headers import HeaderLookup


@dataclass
class Response(HeaderLookup):
    status: int
    reason: str
    version: str
    headers: list  # [(name, value)] as received
    body: bytes = b""
    raw_head: bytes = b""
    interim: list = field(default_factory=list)  # 1xx responses seen before this one



    def json(self):
        return json.loads(self.body)


class ConnectionClosed(Exception):
    pass


class Conn:
    """One client connection to 127.0.0.1:port (optionally TLS, no verification)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0, tls: bool = False,
                 rcvbuf: Optional[int] = None):
        self.port = port
        self.host = host
        self.timeout = timeout
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        s.connect((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            s = ctx.wrap_socket(s, server_hostname=host)
        self.sock = s
        self.buf = bytearray()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    # -- sending -----------------------------------------------------------

    def build(self, method: str, target: str, headers=None, body: Optional[bytes] = None,
              chunks=None, version: str = "HTTP/1.1") -> bytes:
        headers = list(headers or [])
        names = {k.lower() for k, _ in headers}
        if "host" not in names:
            headers.insert(0, ("Host", f"{self.host}:{self.port}"))
        if chunks is not None:
            if "transfer-encoding" not in names:
                headers.append(("Transfer-Encoding", "chunked"))
        elif body is not None and "content-length" not in names:
            headers.append(("Content-Length", str(len(body))))
        head = f"{method} {target} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        out = head.encode("latin-1")
        if chunks is not None:
            for c in chunks:
                if c:
                    out += b"%x\r\n" % len(c) + c + b"\r\n"
            out += b"0\r\n\r\n"
        elif body is not None:
            out += body
        return out

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str, target: str, headers=None, body: Optional[bytes] = None,
                chunks=None, version: str = "HTTP/1.1") -> Response:
        self.send(self.build(method, target, headers, body, chunks, version))
        return self.read_response(method)

    # -- receiving ---------------------------------------------------------

    def _fill(self) -> None:
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionClosed("connection closed by peer")
        self.buf += data

    def _read_until(self, sep: bytes) -> bytes:
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out = bytes(self.buf[: i + len(sep)])
                del self.buf[: i + len(sep)]
                return out
            self._fill()

    def _pieces_of(self, left: int) -> Iterator[tuple]:
        """Yields (arrival time, bytes) for the next `left` bytes, piece by
        piece as they arrive."""
        while left > 0:
            if not self.buf:
                self._fill()
            take = bytes(self.buf[:left])
            del self.buf[: len(take)]
            left -= len(take)
            yield time.monotonic(), take

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_head(self) -> Response:
        interim = []
        while True:
            head = self._read_until(b"\r\n\r\n")
            lines = head[:-4].split(b"\r\n")
            version, _, rest = lines[0].decode("latin-1").partition(" ")
            code, _, reason = rest.partition(" ")
            headers = []
            for line in lines[1:]:
                name, _, value = line.decode("latin-1").partition(":")
                headers.append((name, value.strip(" \t")))
            r = Response(status=int(code), reason=reason, version=version, headers=headers, raw_head=head)
            if 100 <= r.status < 200 and r.status != 101:
                interim.append(r)
                continue
            r.interim = interim
            return r

    def body_pieces(self, r: Response, method: str = "GET") -> Iterator[tuple]:
        """Yields (time.monotonic(), bytes) for each piece of the body as it arrives."""
        if method == "HEAD" or r.status in (204, 304):
            return
        te = (r.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            while True:
                line = self._read_until(b"\r\n")
                size = int(line[:-2].split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self._read_until(b"\r\n") != b"\r\n":
                        pass
                    return
                # yield what has arrived of this chunk as soon as it arrives
                yield from self._pieces_of(size)
                self._read_exact(2)
        elif r.header("Content-Length") is not None:
            yield from self._pieces_of(int(r.header("Content-Length")))
        else:
            while True:
                if self.buf:
                    take = bytes(self.buf)
                    self.buf.clear()
                    yield time.monotonic(), take
                try:
                    self._fill()
                except ConnectionClosed:
                    return

    def read_response(self, method: str = "GET") -> Response:
        r = self.read_head()
        r.body = b"".join(p for _, p in self.body_pieces(r, method))
        return r

    def stream(self, method: str, target: str, headers=None, body=None):
        """Sends a request; returns (response head, iterator of (t, bytes) body pieces)."""
        self.send(self.build(method, target, headers, body))
        r = self.read_head()
        return r, self.body_pieces(r, method)


def request(port: int, method: str = "GET", target: str = "/", headers=None, body: Optional[bytes] = None,
            chunks=None, timeout: float = 10.0, tls: bool = False, version: str = "HTTP/1.1") -> Response:
    """One request on a fresh connection, which is closed afterwards."""
    with Conn(port, timeout=timeout, tls=tls) as c:
        return c.request(method, target, headers, body, chunks, version)


def send_tolerant(c: Conn, data: bytes) -> None:
    """Sends `data`, ignoring a peer that answers early and stops reading."""
    try:
        c.send(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
