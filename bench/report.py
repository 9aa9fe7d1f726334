#!/usr/bin/env python3
"""report.py DIR — prints the benchmark table from the files bench/run.sh left
in DIR: wrk-return.txt, wrk-proxy.txt, wrk-relais.txt, wrk-cached.txt, wrk-mock.txt, wrk-fallback.txt,
wrk-breaker.txt, wrk-auth.txt (wrk --latency output),
rss-idle.txt and rss-after-load.txt (KiB), idle-conns.json (idle_conns.py),
meta.json (run parameters). A missing file just leaves its figures out.
Exit status: 0 when every target is met, 1 otherwise."""

import json
import os
import re
import sys

TARGET_PROXY_RATIO = 0.5
TARGET_IDLE_RSS_MIB = 20
TARGET_CACHE_HIT_RATIO = 0.9
TARGET_INGRESS_RATIO = 0.8


def to_ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    n, unit = float(m.group(1)), m.group(2)
    return n * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(path: str):
    if not os.path.exists(path):
        return None
    text = open(path).read()
    out = {"rps": None, "p50": None, "p99": None, "non2xx": 0, "errors": 0, "requests": None}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.0+)?%\s+([\d.]+(?:us|ms|s|m))\s*$", text, re.M)
        if m:
            out[f"p{pct}"] = to_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    return out


def read_int(path: str):
    try:
        return int(open(path).read().strip())
    except (OSError, ValueError):
        return None


def fmt_ms(v):
    return "-" if v is None else (f"{v:.2f}ms" if v < 100 else f"{v:.0f}ms")


def main(d: str) -> int:
    meta = json.load(open(os.path.join(d, "meta.json")))
    rows = [("nginx return 200", parse_wrk(os.path.join(d, "wrk-return.txt"))),
            ("nginx proxy_pass", parse_wrk(os.path.join(d, "wrk-proxy.txt"))),
            ("relais proxy", parse_wrk(os.path.join(d, "wrk-relais.txt"))),
            ("relais cache hit", parse_wrk(os.path.join(d, "wrk-cached.txt"))),
            ("relais mock", parse_wrk(os.path.join(d, "wrk-mock.txt"))),
            ("relais fallback", parse_wrk(os.path.join(d, "wrk-fallback.txt"))),
            ("relais breaker", parse_wrk(os.path.join(d, "wrk-breaker.txt"))),
            ("relais auth+rl+audit", parse_wrk(os.path.join(d, "wrk-auth.txt")))]
    print()
    print(f"relais benchmark — {meta['workers']} workers each, wrk -t{meta['threads']} -c{meta['connections']} "
          f"-d{meta['duration']} --latency (warm-up {meta['warmup']}), GET of a 1 KiB JSON body, "
          f"{meta['cpus']} CPUs, {meta['date']}")
    print()
    print(f"{'scenario':<18} {'requests/s':>12} {'p50':>10} {'p99':>10} {'non-2xx':>9} {'sock err':>9}")
    for name, r in rows:
        if r is None:
            print(f"{name:<18} {'(not run)':>12}")
            continue
        rps = "-" if r["rps"] is None else f"{r['rps']:.0f}"
        print(f"{name:<18} {rps:>12} {fmt_ms(r['p50']):>10} {fmt_ms(r['p99']):>10} "
              f"{r['non2xx']:>9} {r['errors']:>9}")
    print()
    ok = True
    ret, prox, rel, hit, mock, fallback, breaker, auth = (r for _, r in rows)
    if rel and rel["rps"] and prox and prox["rps"]:
        ratio = rel["rps"] / prox["rps"]
        met = ratio >= TARGET_PROXY_RATIO
        ok &= met
        print(f"relais / nginx proxy_pass : {ratio:.2f}x requests/s  (target >= {TARGET_PROXY_RATIO}x: "
              f"{'met' if met else 'NOT met'})")
        if rel["p50"] and prox["p50"]:
            print(f"                            p50 {rel['p50'] / prox['p50']:.2f}x, "
                  f"p99 {rel['p99'] / prox['p99']:.2f}x (latency ratios, lower is better)")
    if rel and rel["rps"] and ret and ret["rps"]:
        print(f"relais / nginx return 200 : {rel['rps'] / ret['rps']:.2f}x requests/s")
    if hit and hit["rps"] and ret and ret["rps"]:
        ratio = hit["rps"] / ret["rps"]
        met = ratio >= TARGET_CACHE_HIT_RATIO
        ok &= met
        print(f"relais cache hit / nginx return 200 : {ratio:.2f}x requests/s  (target >= "
              f"{TARGET_CACHE_HIT_RATIO}x: {'met' if met else 'NOT met'})")
        if hit["non2xx"] or hit["errors"]:
            ok = False
            print(f"relais cache hit had {hit['non2xx']} non-2xx responses and {hit['errors']} socket errors")
    for name, r, base, base_name in (("relais mock", mock, ret, "nginx return 200"),
                                     ("relais fallback (dead first target)", fallback, prox, "nginx proxy_pass"),
                                     ("relais breaker open (skipped target)", breaker, prox, "nginx proxy_pass")):
        if r and r["rps"] and base and base["rps"]:
            print(f"{name} / {base_name} : {r['rps'] / base['rps']:.2f}x requests/s")
            if r["non2xx"] or r["errors"]:
                ok = False
                print(f"{name} had {r['non2xx']} non-2xx responses and {r['errors']} socket errors")
    for name, r in (("fallback past a refusing target", fallback), ("skip of an open-breaker target", breaker)):
        if r and r["p50"] and rel and rel["p50"]:
            print(f"latency added by the {name} (vs relais single healthy target): "
                  f"p50 {r['p50'] - rel['p50']:+.2f}ms, p99 {r['p99'] - rel['p99']:+.2f}ms")
    if auth and auth["rps"] and rel and rel["rps"]:
        ratio = auth["rps"] / rel["rps"]
        met = ratio >= TARGET_INGRESS_RATIO
        ok &= met
        print(f"relais auth+rate limit+audit / relais proxy : {ratio:.2f}x requests/s  (target >= "
              f"{TARGET_INGRESS_RATIO}x: {'met' if met else 'NOT met'})")
        if prox and prox["rps"]:
            print(f"relais auth+rate limit+audit / nginx proxy_pass : {auth['rps'] / prox['rps']:.2f}x requests/s")
        if auth["non2xx"] or auth["errors"]:
            ok = False
            print(f"relais auth had {auth['non2xx']} non-2xx responses and {auth['errors']} socket errors")
    if rel and (rel["non2xx"] or rel["errors"]):
        ok = False
        print(f"relais had {rel['non2xx']} non-2xx responses and {rel['errors']} socket errors")

    idle = read_int(os.path.join(d, "rss-idle.txt"))
    after = read_int(os.path.join(d, "rss-after-load.txt"))
    if idle is not None:
        met = idle / 1024 < TARGET_IDLE_RSS_MIB
        ok &= met
        print(f"relais idle RSS           : {idle / 1024:.1f} MiB  (target < {TARGET_IDLE_RSS_MIB} MiB: "
              f"{'met' if met else 'NOT met'})")
    if after is not None:
        print(f"relais idle RSS after load: {after / 1024:.1f} MiB")
    conns_path = os.path.join(d, "idle-conns.json")
    if os.path.exists(conns_path):
        c = json.load(open(conns_path))
        print(f"relais RSS, {c['opened']} idle keep-alive connections: {c['rss_kib'] / 1024:.1f} MiB "
              f"({c['answered']} answered, {c['still_open']} still open when measured"
              + (f"; wanted {c['wanted']}" if c["opened"] != c["wanted"] else "") + ")")
        if idle is not None and c["opened"]:
            per = (c["rss_kib"] - idle) * 1024 / c["opened"]
            print(f"                            about {per / 1024:.1f} KiB per idle connection")
    if not rel:
        ok = False
        print("relais was not measured (binary missing or failed to start)")
    print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
