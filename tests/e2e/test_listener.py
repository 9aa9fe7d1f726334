"""Listeners: when accept() runs out of file descriptors, the listener
pauses (and says so in the log) instead of spinning on a socket that stays
readable, and accepts again once descriptors are free."""

import os
import resource
import socket
import time

import requests

from harness.relais import wait_until


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_listener_pauses_when_descriptors_run_out(relais):
    pid = relais.pid
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    in_use = len(os.listdir(f"/proc/{pid}/fd"))
    socks = []
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (in_use + 4, hard))
    try:
        for _ in range(24):  # the kernel completes these; relais can accept only a few
            socks.append(socket.create_connection(("127.0.0.1", relais.public_port), timeout=5))
        time.sleep(0.3)
        before = cpu_seconds(pid)
        time.sleep(1.0)
        used = cpu_seconds(pid) - before
        assert used < 0.5, f"relais used {used:.2f} s of CPU in 1 s while out of descriptors: spinning"
        assert "cannot accept on the public listener" in relais.stderr_text(), relais.stderr_text()[-2000:]
        assert relais.alive()
    finally:
        for s in socks:
            s.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    assert wait_until(lambda: requests.get(relais.url("/healthz"), timeout=5).status_code == 200, timeout=10)
