#!/usr/bin/env python3
"""report.py DIR — prints the benchmark table from the files bench/run.sh left
in DIR: wrk-NAME.ROUND.txt for NAME in return, proxy, relais, cached, mock,
fallback, breaker, auth, floor and ROUND 1.. (wrk --latency output; a plain
wrk-NAME.txt counts as one round),
rss-idle.txt and rss-after-load.txt (KiB), idle-conns.json (idle_conns.py),
meta.json (run parameters). A missing file just leaves its figures out.
Figures are medians over the rounds; a ratio is the median of the ratios of
the same round (both scenarios ran minutes apart at most, under the same
conditions).
Exit status: 0 when every target is met, 1 otherwise."""

import glob
import json
import os
import re
import statistics
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


def scenario(d: str, name: str):
    """The rounds of one scenario, aggregated: medians of rps, p50 and p99,
    sums of non-2xx and errors, the rps range and the rounds by number."""
    files = glob.glob(os.path.join(d, f"wrk-{name}.*.txt")) or glob.glob(os.path.join(d, f"wrk-{name}.txt"))
    rounds = {}
    for f in files:
        m = re.search(r"\.(\d+)\.txt$", f)
        r = parse_wrk(f)
        if r and r["rps"]:
            rounds[int(m.group(1)) if m else 1] = r
    if not rounds:
        return None

    def med(key):
        vals = [r[key] for r in rounds.values() if r[key] is not None]
        return statistics.median(vals) if vals else None

    rps = [r["rps"] for r in rounds.values()]
    return {"rps": med("rps"), "p50": med("p50"), "p99": med("p99"), "rps_min": min(rps), "rps_max": max(rps),
            "non2xx": sum(r["non2xx"] for r in rounds.values()),
            "errors": sum(r["errors"] for r in rounds.values()), "rounds": rounds}


def ratio(a, b):
    """Median over the rounds both ran of a's rps / b's rps."""
    if not a or not b:
        return None
    both = [a["rounds"][k]["rps"] / b["rounds"][k]["rps"] for k in a["rounds"] if k in b["rounds"]]
    return statistics.median(both) if both else None


def target(label, x, goal):
    """Prints `label: x` against its goal; returns whether it is met."""
    met = x >= goal
    print(f"{label} : {x:.2f}x requests/s  (target >= {goal}x: {'met' if met else 'NOT met'})")
    return met


def read_int(path: str):
    try:
        return int(open(path).read().strip())
    except (OSError, ValueError):
        return None


def fmt_ms(v):
    return "-" if v is None else (f"{v:.2f}ms" if v < 100 else f"{v:.0f}ms")


def main(d: str) -> int:
    meta = json.load(open(os.path.join(d, "meta.json")))
    names = [("nginx return 200", "return"), ("nginx proxy_pass", "proxy"), ("relais proxy", "relais"),
             ("relais cache hit", "cached"), ("relais mock", "mock"), ("relais fallback", "fallback"),
             ("relais breaker", "breaker"), ("relais auth+rl+audit", "auth"), ("h2o floor (library)", "floor")]
    rows = [(label, scenario(d, name)) for label, name in names]
    print()
    print(f"relais benchmark — {meta['workers']} workers each, wrk -t{meta['threads']} -c{meta['connections']} "
          f"-d{meta['duration']} --latency (warm-up {meta['warmup']}), {meta.get('rounds', 1)} rounds "
          f"(medians), GET of a 1 KiB JSON body, {meta['cpus']} CPUs, {meta['date']}")
    print()
    print(f"{'scenario':<20} {'requests/s':>10} {'(min-max)':>15} {'p50':>8} {'p99':>8} {'non-2xx':>8} "
          f"{'sock err':>8}")
    for name, r in rows:
        if r is None:
            print(f"{name:<20} {'(not run)':>10}")
            continue
        span = f"{r['rps_min']:.0f}-{r['rps_max']:.0f}"
        print(f"{name:<20} {r['rps']:>10.0f} {span:>15} {fmt_ms(r['p50']):>8} {fmt_ms(r['p99']):>8} "
              f"{r['non2xx']:>8} {r['errors']:>8}")
    print()
    ok = True
    ret, prox, rel, hit, mock, fallback, breaker, auth, floor = (r for _, r in rows)
    if ratio(rel, prox):
        ok &= target("relais / nginx proxy_pass", ratio(rel, prox), TARGET_PROXY_RATIO)
        if rel["p50"] and prox["p50"]:
            print(f"                            p50 {rel['p50'] / prox['p50']:.2f}x, "
                  f"p99 {rel['p99'] / prox['p99']:.2f}x (latency ratios, lower is better)")
    if ratio(rel, ret):
        print(f"relais / nginx return 200 : {ratio(rel, ret):.2f}x requests/s")
    if ratio(hit, ret):
        ok &= target("relais cache hit / nginx return 200", ratio(hit, ret), TARGET_CACHE_HIT_RATIO)
        if hit["non2xx"] or hit["errors"]:
            ok = False
            print(f"relais cache hit had {hit['non2xx']} non-2xx responses and {hit['errors']} socket errors")
    if ratio(floor, ret):
        print(f"h2o floor / nginx return 200 : {ratio(floor, ret):.2f}x requests/s  (relais' HTTP library and "
              f"event loop alone)")
    if ratio(hit, floor):
        print(f"relais cache hit / h2o floor : {ratio(hit, floor):.2f}x requests/s  (what relais adds)")
    for name, r, base, base_name in (("relais mock", mock, ret, "nginx return 200"),
                                     ("relais fallback (dead first target)", fallback, prox, "nginx proxy_pass"),
                                     ("relais breaker open (skipped target)", breaker, prox, "nginx proxy_pass")):
        if ratio(r, base):
            print(f"{name} / {base_name} : {ratio(r, base):.2f}x requests/s")
            if r["non2xx"] or r["errors"]:
                ok = False
                print(f"{name} had {r['non2xx']} non-2xx responses and {r['errors']} socket errors")
    for name, r in (("fallback past a refusing target", fallback), ("skip of an open-breaker target", breaker)):
        if r and r["p50"] and rel and rel["p50"]:
            print(f"latency added by the {name} (vs relais single healthy target): "
                  f"p50 {r['p50'] - rel['p50']:+.2f}ms, p99 {r['p99'] - rel['p99']:+.2f}ms")
    if ratio(auth, rel):
        ok &= target("relais auth+rate limit+audit / relais proxy", ratio(auth, rel), TARGET_INGRESS_RATIO)
        if ratio(auth, prox):
            print(f"relais auth+rate limit+audit / nginx proxy_pass : {ratio(auth, prox):.2f}x requests/s")
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
