"""`env: production` (or RELAIS_ENV=production) refuses to start, listing every
problem at once with exit code 2; a sound production config starts."""

import re

import requests

from harness.relais import base_env, run_cli

SHORT_SECRET = "too-short-secret"  # 16 bytes, under the 32 required


def problems_in(stderr: str) -> dict:
    low = stderr.lower()
    return {
        "secret_key": "secret_key" in low,
        "admin_token": "admin_token" in low,
        "cors": "allow_origins" in low or "cors" in low,
        # a debug-level log line also says "debug": require the key to be named
        "log_debug": re.search(r"log[ ._:]*level|debug logging", low) is not None,
    }


def test_production_lists_every_problem_and_exits_2(relais_factory):
    inst = relais_factory(start=False, env="production", secret_key=SHORT_SECRET,
                          cors={"allow_origins": ["*"], "allow_credentials": False},
                          log={"level": "debug"})
    cfg = inst.config_path.read_text().replace("admin_token: ${RELAIS_ADMIN_TOKEN}\n", "")
    assert "admin_token" not in cfg
    inst.write_config(cfg)
    r = run_cli("serve", "-c", str(inst.config_path), timeout=20)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    found = problems_in(r.stderr)
    assert all(found.values()), f"missing from stderr: {[k for k, v in found.items() if not v]}\n{r.stderr}"


def test_production_missing_secret_key_is_refused(relais_factory):
    inst = relais_factory(start=False, env="production")
    cfg = inst.config_path.read_text().replace("secret_key: ${RELAIS_SECRET_KEY}\n", "")
    inst.write_config(cfg)
    r = run_cli("serve", "-c", str(inst.config_path), timeout=20)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "secret_key" in r.stderr.lower(), r.stderr


def test_relais_env_variable_selects_production(relais_factory):
    inst = relais_factory(start=False, secret_key=SHORT_SECRET)
    cfg = inst.config_path.read_text().replace("env: development\n", "")
    inst.write_config(cfg)
    r = run_cli("serve", "-c", str(inst.config_path), env=base_env(RELAIS_ENV="production"), timeout=20)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "secret_key" in r.stderr.lower(), r.stderr


def test_sound_production_config_starts(relais_factory):
    # control: the refusal above is about the problems, not about production itself
    inst = relais_factory(env="production")
    assert requests.get(inst.url("/healthz"), timeout=5).status_code == 200


def test_development_tolerates_what_production_refuses(relais_factory):
    inst = relais_factory(secret_key=SHORT_SECRET, cors={"allow_origins": ["*"], "allow_credentials": False},
                          log={"level": "debug"})
    assert requests.get(inst.url("/healthz"), timeout=5).status_code == 200
