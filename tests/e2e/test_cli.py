"""Command line: version, --help, unknown commands, and `relais check` reporting
every problem as `file:line: message` with the right line numbers."""

import re

from harness.relais import free_port, run_cli

DIAG = re.compile(r"config\.yaml:(\d+):\s*(.*)")


def line_of(text: str, needle: str) -> int:
    """1-based number of the only line of `text` that contains `needle`."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def diagnostics(stderr: str) -> list:
    """[(line, message)] for every `…config.yaml:LINE: message` line of stderr."""
    out = []
    for line in stderr.splitlines():
        m = DIAG.search(line)
        if m:
            out.append((int(m.group(1)), m.group(2)))
    return out


def valid_config_text(up_port: int = 9) -> str:
    return f"""\
env: development
listen:
  public: 127.0.0.1:{free_port()}
  admin: 127.0.0.1:{free_port()}
workers: 2
limits:
  max_body: 10MiB
  max_header: 16KiB
  request_timeout: 60s
  shutdown_timeout: 10s
secret_key: ${{RELAIS_SECRET_KEY}}
admin_token: ${{RELAIS_ADMIN_TOKEN}}
log:
  level: info
cors:
  allow_origins: ["https://app.example.com"]
  allow_credentials: false
providers:
  backend:
    base_url: http://127.0.0.1:{up_port}
    timeout:
      connect: 2s
      total: 5s
routes:
  - name: items
    match:
      path: /v1/items/{{id}}
      methods: [GET, PUT]
    upstream:
      targets: [backend]
      path: /internal/items/{{id}}
  - name: files
    match:
      path: /files/{{rest*}}
    upstream:
      targets: [backend]
"""


def check(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return run_cli("check", "-c", str(path)), path


def test_version_prints_name_and_semver():
    r = run_cli("version")
    assert r.returncode == 0, r.stderr
    assert re.match(r"^relais \d+\.\d+\.\d+", r.stdout.strip()), r.stdout


def test_help_prints_usage_and_exits_0():
    r = run_cli("--help")
    assert r.returncode == 0, r.stderr
    out = r.stdout.lower()
    assert "usage" in out, r.stdout
    for cmd in ("serve", "check", "version"):
        assert cmd in out, f"--help does not mention {cmd!r}:\n{r.stdout}"


def test_unknown_command_exits_2_with_usage_on_stderr():
    r = run_cli("frobnicate")
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "usage" in r.stderr.lower(), r.stderr


def test_check_valid_config_exits_0_with_ok_line(tmp_path):
    r, _ = check(tmp_path, valid_config_text())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip(), "check printed nothing on success"
    assert "ok" in r.stdout.lower(), r.stdout
    assert not diagnostics(r.stderr), r.stderr


def test_check_does_not_bind_the_listen_ports(tmp_path):
    # `check` validates; it must work on a machine where the gateway already runs
    import socket
    text = valid_config_text()
    port = int(re.search(r"public: 127\.0\.0\.1:(\d+)", text).group(1))
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(1)
    try:
        r, _ = check(tmp_path, text)
    finally:
        s.close()
    assert r.returncode == 0, r.stderr


def test_check_unknown_top_level_key_reports_its_line(tmp_path):
    text = valid_config_text().replace("workers: 2\n", "workers: 2\nwrokers_typo: 3\n")
    r, path = check(tmp_path, text)
    assert r.returncode == 1, (r.returncode, r.stderr)
    want = line_of(text, "wrokers_typo")
    diags = diagnostics(r.stderr)
    assert any(line == want and "unknown key" in msg.lower() and "wrokers_typo" in msg for line, msg in diags), \
        f"expected config.yaml:{want}: …unknown key… 'wrokers_typo' in:\n{r.stderr}"
    assert str(path) in r.stderr or "config.yaml:" in r.stderr


def test_check_unknown_nested_key_reports_its_line(tmp_path):
    text = valid_config_text().replace("      total: 5s\n", "      total: 5s\n    retires: 3\n")
    r, _ = check(tmp_path, text)
    assert r.returncode == 1, r.stderr
    want = line_of(text, "retires")
    assert any(line == want and "unknown key" in msg.lower() for line, msg in diagnostics(r.stderr)), \
        f"expected config.yaml:{want}: …unknown key… in:\n{r.stderr}"


def test_check_reports_every_problem_at_once(tmp_path):
    text = (valid_config_text()
            .replace("  level: info\n", "  level: info\n  colour: always\n")
            .replace("      total: 5s\n", "      total: 5 parsecs\n")
            .replace("  max_body: 10MiB\n", "  max_body: lots\n"))
    r, _ = check(tmp_path, text)
    assert r.returncode == 1, r.stderr
    got = {line for line, _ in diagnostics(r.stderr)}
    want = {line_of(text, "colour"), line_of(text, "5 parsecs"), line_of(text, "max_body: lots")}
    assert want <= got, f"expected problems on lines {sorted(want)}, got {sorted(got)}:\n{r.stderr}"


def test_check_route_with_unknown_provider_names_it(tmp_path):
    text = valid_config_text().replace("      targets: [backend]\n      path: /internal",
                                       "      targets: [ghost_provider]\n      path: /internal")
    r, _ = check(tmp_path, text)
    assert r.returncode == 1, r.stderr
    diags = diagnostics(r.stderr)
    first, last = line_of(text, "- name: items"), line_of(text, "- name: files") - 1
    assert any(first <= line <= last and "ghost_provider" in msg for line, msg in diags), \
        f"expected a problem naming ghost_provider on lines {first}-{last}:\n{r.stderr}"


def test_check_yaml_syntax_error_has_file_and_line(tmp_path):
    text = valid_config_text().replace("workers: 2\n", "workers: [2\n")
    r, _ = check(tmp_path, text)
    assert r.returncode == 1, r.stderr
    assert diagnostics(r.stderr), f"no file:line in:\n{r.stderr}"


def test_check_missing_file_exits_1_and_names_it(tmp_path):
    missing = tmp_path / "nope.yaml"
    r = run_cli("check", "-c", str(missing))
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "nope.yaml" in r.stderr


def test_check_env_substitution_with_default(tmp_path):
    text = valid_config_text().replace("workers: 2", "workers: ${E2E_UNSET_WORKERS:-2}")
    r, _ = check(tmp_path, text)
    assert r.returncode == 0, r.stderr


def test_serve_with_invalid_config_fails_with_file_line(tmp_path):
    text = valid_config_text().replace("workers: 2\n", "workers: 2\nbogus_serve_key: 1\n")
    path = tmp_path / "config.yaml"
    path.write_text(text)
    r = run_cli("serve", "-c", str(path), timeout=15)
    assert r.returncode != 0
    want = line_of(text, "bogus_serve_key")
    assert any(line == want for line, _ in diagnostics(r.stderr)), r.stderr
