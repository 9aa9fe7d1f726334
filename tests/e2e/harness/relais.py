"""Starting, watching and stopping the relais binary for the end-to-end tests.

A Relais object owns one work directory (config.yaml, stdout.log,
stderr.log), two loopback ports (public, admin) and at most one running
process. stdout holds the access log (one JSON object per request) and
stderr every other log line (JSON too); both are exposed parsed.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Optional, Union

import requests
import urllib3

from . import yamlgen

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef"
SECRET_KEY = "e2e-secret-key-0123456789abcdef0123456789abcdef"  # 48 bytes
START_TIMEOUT = float(os.environ.get("RELAIS_E2E_START_TIMEOUT", "15"))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "ThreadSanitizer", "SUMMARY: UndefinedBehaviorSanitizer")


def relais_bin() -> Path:
    return Path(os.environ.get("RELAIS_BIN") or REPO / "build" / "relais")


_ports_lock = threading.Lock()
_ports_given: set = set()


def free_port() -> int:
    """A loopback TCP port nobody listens on now, never handed out twice in a run."""
    with _ports_lock:
        for _ in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            if port not in _ports_given:
                _ports_given.add(port)
                return port
    raise RuntimeError("no free port")


def base_env(**extra) -> dict:
    """The environment relais runs with: the caller's, minus any RELAIS_* that
    could change behaviour, plus the secrets the configs refer to."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env["RELAIS_SECRET_KEY"] = SECRET_KEY
    env["RELAIS_ADMIN_TOKEN"] = ADMIN_TOKEN
    env.update({k: v for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
    return env


def run_cli(*args, env: Optional[dict] = None, timeout: float = 15, cwd=None) -> subprocess.CompletedProcess:
    """Runs `relais ARGS...` to completion; returns the CompletedProcess (text)."""
    if not relais_bin().exists():
        raise RelaisFailed(f"relais binary not found at {relais_bin()} (set RELAIS_BIN or run `make build`)")
    return subprocess.run([str(relais_bin()), *args], capture_output=True, text=True,
                          env=env if env is not None else base_env(), timeout=timeout, cwd=cwd)


def config(upstream_url: str, public: int, admin: int, **over) -> dict:
    """The default test config as a dict: provider `backend` at `upstream_url`,
    routes `items` (/v1/items/{id} GET,PUT → /internal/items/{id}), `files`
    (/files/{rest*}, any method, same path) and `api` (/api/{rest*} →
    /backend/{rest*}). Keyword arguments replace top-level keys."""
    cfg = {
        "env": "development",
        "listen": {"public": f"127.0.0.1:{public}", "admin": f"127.0.0.1:{admin}"},
        "workers": 2,
        "limits": {"max_body": "10MiB", "max_header": "16KiB", "request_timeout": "60s",
                   "shutdown_timeout": "10s"},
        "secret_key": "${RELAIS_SECRET_KEY}",
        "admin_token": "${RELAIS_ADMIN_TOKEN}",
        "log": {"level": "info"},
        "cors": {"allow_origins": ["https://app.example.com"], "allow_credentials": False},
        "providers": {
            "backend": {"base_url": upstream_url, "timeout": {"connect": "2s", "total": "5s"}},
        },
        "routes": [
            {"name": "items", "match": {"path": "/v1/items/{id}", "methods": ["GET", "PUT"]},
             "upstream": {"targets": ["backend"], "path": "/internal/items/{id}"}},
            {"name": "files", "match": {"path": "/files/{rest*}"},
             "upstream": {"targets": ["backend"]}},
            {"name": "api", "match": {"path": "/api/{rest*}"},
             "upstream": {"targets": ["backend"], "path": "/backend/{rest*}"}},
        ],
    }
    cfg.update(copy.deepcopy(over))
    return cfg


class RelaisFailed(AssertionError):
    pass


class Relais:
    def __init__(self, workdir: Path, env: Optional[dict] = None, tls: bool = False):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.public_port = free_port()
        self.admin_port = free_port()
        self.config_path = self.dir / "config.yaml"
        self.stdout_path = self.dir / "stdout.log"
        self.stderr_path = self.dir / "stderr.log"
        self.env = env if env is not None else base_env()
        self.tls = tls
        self.proc: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None

    # -- config ------------------------------------------------------------

    def config(self, upstream_url: str, **over) -> dict:
        """The default config dict (see relais.config) bound to this instance's ports."""
        return config(upstream_url, self.public_port, self.admin_port, **over)

    def write_config(self, cfg: Union[dict, str]) -> Path:
        text = cfg if isinstance(cfg, str) else yamlgen.dump(cfg)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config_path)  # a reload never sees a half-written file
        return self.config_path

    # -- process -----------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.public_port}{path}"

    def admin_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.admin_port}{path}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, cfg: Union[dict, str, None] = None, wait: bool = True) -> "Relais":
        bin_path = relais_bin()
        if not bin_path.exists():
            raise RelaisFailed(f"relais binary not found at {bin_path} (set RELAIS_BIN or run `make build`)")
        if cfg is not None:
            self.write_config(cfg)
        self._out = open(self.stdout_path, "ab")
        self._err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([str(bin_path), "serve", "-c", str(self.config_path)],
                                     stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
                                     env=self.env, cwd=str(self.dir))
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Waits until /healthz answers 200 on both listeners."""
        deadline = time.monotonic() + timeout
        pending = [self.url("/healthz"), self.admin_url("/healthz")]
        while pending:
            if self.proc.poll() is not None:
                raise RelaisFailed(f"relais exited with {self.proc.returncode} during start-up\n"
                                   f"--- stderr ---\n{self.stderr_text()[-4000:]}")
            try:
                r = requests.get(pending[0], timeout=1, verify=False)
                if r.status_code == 200:
                    pending.pop(0)
                    continue
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RelaisFailed(f"relais not healthy within {timeout}s ({pending[0]})\n"
                                   f"--- stderr ---\n{self.stderr_text()[-4000:]}")
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> int:
        """Waits for the process to exit; returns its exit code (raises on timeout)."""
        self.returncode = self.proc.wait(timeout=timeout)
        return self.returncode

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, then SIGKILL after `timeout`; always leaves no process behind."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.returncode = self.proc.returncode
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f:
                f.close()
        return self.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    # -- admin -------------------------------------------------------------

    def reload(self, token: Optional[str] = ADMIN_TOKEN, timeout: float = 10) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return requests.post(self.admin_url("/admin/v1/reload"), headers=headers, timeout=timeout)

    # -- logs --------------------------------------------------------------

    def stdout_text(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def access_log(self) -> list:
        """Every complete stdout line, parsed as JSON (raises if one is not JSON)."""
        return [json.loads(line) for line in _complete_lines(self.stdout_text())]

    def error_log(self) -> list:
        return [json.loads(line) for line in _complete_lines(self.stderr_text())]

    def wait_access_log(self, pred: Callable[[dict], bool], n: int = 1, timeout: float = 5.0) -> list:
        """Waits until `n` access-log lines satisfy `pred`; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.access_log() if pred(e)]
            if len(found) >= n or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def sanitizer_report(self) -> Optional[str]:
        text = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            i = text.find(marker)
            if i >= 0:
                return text[max(0, i - 200): i + 4000]
        return None


def _complete_lines(text: str) -> list:
    lines = text.split("\n")
    return [line for line in lines[:-1] if line.strip()]  # the last piece may be half-written


def wait_until(pred: Callable[[], bool], timeout: float = 5.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def is_refused(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        s.close()


def request_id_ok(rid: Optional[str]) -> bool:
    return bool(rid) and len(rid) <= 128 and re.fullmatch(r"[A-Za-z0-9._-]+", rid) is not None


def assert_allow(allow: Optional[str], configured: set) -> None:
    """Allow must list exactly the configured methods; HEAD may be added when
    GET is configured (a GET route also answers HEAD)."""
    assert allow is not None, "405 without an Allow header"
    got = {m.strip() for m in allow.split(",") if m.strip()}
    ok = got == configured or ("GET" in configured and got == configured | {"HEAD"})
    assert ok, f"Allow: {allow!r}, configured methods {sorted(configured)}"


def assert_envelope(status: int, headers, body: bytes, want_status: int, want_code: str) -> dict:
    """Checks a relais error: the status, the JSON envelope of DESIGN §3 with
    `want_code`, Content-Type application/json, and a request_id equal to the
    X-Request-Id header. `headers` is anything with a case-insensitive .get()
    or a Response-like .header(). Returns the parsed envelope."""
    get = headers.header if hasattr(headers, "header") else headers.get
    assert status == want_status, f"status {status}, expected {want_status}; body={body[:500]!r}"
    ctype = get("Content-Type") or ""
    assert ctype.split(";")[0].strip().lower() == "application/json", f"Content-Type {ctype!r}"
    env = json.loads(body)
    assert env.get("success") is False, env
    err = env.get("error")
    assert isinstance(err, dict), env
    assert err.get("code") == want_code, env
    assert isinstance(err.get("message"), str) and err["message"], env
    rid = get("X-Request-Id")
    assert request_id_ok(rid), f"bad X-Request-Id {rid!r}"
    assert err.get("request_id") == rid, (err.get("request_id"), rid)
    return env
