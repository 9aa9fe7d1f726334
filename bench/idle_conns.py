#!/usr/bin/env python3
"""idle_conns.py --port P --pid PID [--count N] [--path /bench]

Opens N client connections to 127.0.0.1:P, sends one keep-alive GET on each
and reads its response, keeps them all open and idle, then reads the VmRSS of
PID (the server) from /proc. Prints one JSON object:
  {"wanted": N, "opened": n, "answered": n, "rss_kib": k, "still_open": n}
The caller must have raised `ulimit -n` above N (bench/run.sh does)."""

import argparse
import json
import select
import socket
import sys
import time


def vm_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def read_response(s: socket.socket) -> bool:
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(65536)
        if not data:
            return False
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        data = s.recv(65536)
        if not data:
            return False
        rest += data
    return head.startswith(b"HTTP/1.1 200")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--path", default="/bench")
    ap.add_argument("--batch", type=int, default=250)
    args = ap.parse_args()

    req = f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n\r\n".encode()
    conns, answered = [], 0
    deadline = time.monotonic() + 120
    try:
        while len(conns) < args.count and time.monotonic() < deadline:
            batch = []
            for _ in range(min(args.batch, args.count - len(conns))):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(10)
                s.connect(("127.0.0.1", args.port))
                s.sendall(req)
                batch.append(s)
            for s in batch:
                if read_response(s):
                    answered += 1
            conns += batch
    except OSError as e:
        print(f"idle_conns: stopped at {len(conns)} connections: {e}", file=sys.stderr)
    time.sleep(1.0)  # let the server settle
    rss = vm_rss_kib(args.pid)
    # a connection the server closed is readable (EOF); an open idle one is not
    poller = select.poll()  # not select(): these fds are far above FD_SETSIZE
    for s in conns:
        poller.register(s, select.POLLIN)
    closed = {fd for fd, _ in poller.poll(0)}
    still_open = len(conns) - len(closed)
    print(json.dumps({"wanted": args.count, "opened": len(conns), "answered": answered,
                      "rss_kib": rss, "still_open": still_open}))
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
