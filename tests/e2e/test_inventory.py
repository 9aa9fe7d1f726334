"""`relais providers` (the inventory table) and `relais check --strict`
(every missing env var named per provider, exit 1)."""

from harness.relais import base_env, free_port, run_cli

CONFIG = f"""\
listen: {{public: 127.0.0.1:{free_port()}, admin: 127.0.0.1:{free_port()}}}
providers:
  openai: {{preset: openai}}
  stripe: {{preset: stripe}}
  backend: {{base_url: "http://127.0.0.1:9", health: {{path: /healthz}}}}
routes:
  - {{name: chat, match: {{path: /v1/ai/chat}}, upstream: {{targets: [openai], path: /v1/chat/completions}}}}
  - {{name: pay, match: {{path: "/v1/pay/{{rest*}}"}}, upstream: {{targets: [stripe, backend]}}}}
"""


def write(tmp_path):
    p = tmp_path / "relais.yaml"
    p.write_text(CONFIG)
    return p


def env_without_keys(**extra):
    env = base_env()
    for k in ("OPENAI_API_KEY", "STRIPE_SECRET_KEY", "RELAIS_MODE"):
        env.pop(k, None)
    env.update(extra)
    return env


def test_providers_table(tmp_path):
    r = run_cli("providers", "-c", str(write(tmp_path)), env=env_without_keys())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:6] == ["PROVIDER", "DOMAIN", "MODE", "ENV", "MISSING", "HEALTH"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"openai", "stripe", "backend"}
    openai = rows["openai"].split()
    assert openai[1:5] == ["ai", "mock", "OPENAI_API_KEY", "OPENAI_API_KEY"]
    assert "https://api.openai.com/v1/models" in rows["openai"]
    assert "routes chat" in rows["openai"]  # chat has no other target
    assert rows["stripe"].split()[1:3] == ["payments", "mock"]
    assert "routes pay" not in rows["stripe"]  # pay falls back to backend
    assert rows["backend"].split()[1:5] == ["generic", "real", "-", "-"]
    assert "http://127.0.0.1:9/healthz" in rows["backend"]


def test_providers_mode_follows_env(tmp_path):
    r = run_cli("providers", "-c", str(write(tmp_path)), env=env_without_keys(OPENAI_API_KEY="sk-test-123"))
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:]}
    assert rows["openai"][2] == "real" and rows["openai"][4] == "-"
    assert "sk-test-123" not in r.stdout + r.stderr
    r = run_cli("providers", "-c", str(write(tmp_path)), env=env_without_keys(OPENAI_API_KEY="k", RELAIS_MODE="mock"))
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:]}
    assert rows["openai"][2] == "mock"


def test_check_warns_but_passes_without_strict(tmp_path):
    r = run_cli("check", "-c", str(write(tmp_path)), env=env_without_keys())
    assert r.returncode == 0
    assert "provider openai: missing env var OPENAI_API_KEY" in r.stderr


def test_check_strict_names_every_missing_var_and_exits_1(tmp_path):
    path = write(tmp_path)
    r = run_cli("check", "-c", str(path), "--mode", "production", "--strict", env=env_without_keys())
    assert r.returncode == 1
    assert f"{path}:3: provider openai: missing env var OPENAI_API_KEY" in r.stderr
    assert f"{path}:4: provider stripe: missing env var STRIPE_SECRET_KEY" in r.stderr
    assert "backend" not in r.stderr.replace("routes", "")
    r = run_cli("check", "-c", str(path), "--strict",
                env=env_without_keys(OPENAI_API_KEY="a", STRIPE_SECRET_KEY="b"))
    assert r.returncode == 0, r.stderr
