# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# bench/report.py - the report of bench/run.sh: reads the per-round result
# files (RES/r1 ... RES/rN) and the once-only phases (RES/scale-*,
# RES/media.json), writes the JSON (OUTJSON), prints the table and writes
# the chart data (WORK/rates.dat, WORK/ratios.dat).
#
# Every figure of phases 1-5 is given as {"median", "min", "max", "runs"}
# over the rounds; a ratio is computed per round (ims_wic and stock of the
# same round, run back to back) and then summarised the same way; targets
# are judged on the median.
#
# Physical limit of a new-registration path, per round: stock registers at
# S/s on C cores, i.e. C/S core-seconds per registration (everything:
# kernel, Kamailio, the load generator); one signature verification adds v
# core-seconds (the fastest raw OpenSSL loop of the same round, one core),
# so the best any registrar that verifies one token per registration can
# do on this machine is C / (C/S + v) = 1 / (1/S + v/C). ims_wic's share
# of the limit = its rate / the limit.
import glob
import json
import os
import platform
import statistics
import subprocess

res = os.environ["RES"]
work = os.environ["WORK"]
rounds = sorted((d for d in glob.glob(os.path.join(res, "r[0-9]*")) if os.path.isdir(d)),
                key=lambda d: int(os.path.basename(d)[1:]))
NPROC = os.cpu_count() or 1


def load_file(p):
    if not os.path.exists(p):
        return None
    with open(p) as f:
        txt = [l for l in f.read().splitlines() if l.strip()]
    if not txt:
        return None
    return json.loads(txt[0])


def load(name):
    return load_file(os.path.join(res, name))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""


def agg(values, nd=3):
    v = [x for x in values if x is not None]
    if not v:
        return {"median": None, "min": None, "max": None, "runs": values}
    return {"median": round(statistics.median(v), nd), "min": round(min(v), nd),
            "max": round(max(v), nd), "runs": values}


def med(a):
    return a["median"] if a else None


# ---- per round
R = []
for d in rounds:
    crashed = [os.path.basename(p)[6:-5] for p in glob.glob(os.path.join(d, "crash-*.json"))]
    stopfail = [load_file(p) for p in glob.glob(os.path.join(d, "stopfail-*.json"))]

    def rl(name, d=d, crashed=crashed):
        x = load_file(os.path.join(d, name))
        if x is None:
            return None
        run = name.rsplit(".", 1)[0]
        # term-NAME covers term-NAME-registered and term-NAME-unregistered
        x["_crashed"] = any(run == c or (c.startswith("term-") and run.startswith(c + "-"))
                            for c in crashed)
        return x
    R.append({"dir": d, "crashed": crashed, "stopfail": stopfail, "load": rl})


def rate(x):
    # a run during which Kamailio died, or with errors, has no valid rate
    if not x or x.get("_crashed"):
        return None
    return x["rate_per_s"]


def errors(x):
    return sum(x["errors"].values()) if x and "errors" in x else None


def ratio(a, b):
    return a / b if a and b else None


def limit(stock_rate, cost_s):
    return 1 / (1 / stock_rate + cost_s / NPROC) if stock_rate and cost_s else None


out = {
    "machine": {
        "nproc": NPROC,
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p' | head -1"),
        "kernel": platform.release(),
        "kamailio": sh("/usr/sbin/kamailio -v | head -1"),
        "openssl": sh("openssl version"),
        "open_files_limit": int(os.environ["NOFILE"]),
        "loadavg_start": os.environ["LOADAVG_START"],
        "loadavg_end": open("/proc/loadavg").read().split()[:3],
        "loadavg_samples": os.environ.get("LOADAVG_SAMPLES", "").split(),
        "workers": int(os.environ["WORKERS"]),
        "duration_s": float(os.environ["DUR"]),
        "rounds": len(R),
        "shm_manager": os.environ.get("MEM_MANAGER", ""),
        "elapsed_s": int(os.environ["ELAPSED"]),
    },
    "method": "median (min, max) over interleaved rounds; ratios per round; "
              "limit = 1/(1/stock + verify_s/nproc), verify_s = fastest raw OpenSSL verify of the round",
}

# ---- 4 verify, per round
ALGS = ("ES256", "RS256")
vr = {a: [r["load"](f"verify-{a}.json") for r in R] for a in ALGS}
# the cost of one verification in the round: the fastest raw OpenSSL loop
vcost = {a: [(1 / max(x["raw_init_per_s"], x["raw_dup_per_s"]) if x else None) for x in vr[a]] for a in ALGS}
verify = {}
for a in ALGS:
    xs = vr[a]
    if not any(xs):
        continue
    g = lambda k: agg([x[k] if x else None for x in xs], 3)
    verify[a] = {
        "raw_init_per_s": g("raw_init_per_s"), "raw_dup_per_s": g("raw_dup_per_s"),
        "wic_full_per_s": g("wic_full_per_s"),
        "cost_ratio_vs_raw_init": g("cost_ratio_vs_raw_init"),
        "cost_ratio_vs_raw_dup": g("cost_ratio_vs_raw_dup"),
        "us_per_verify_limit": agg([c * 1e6 if c else None for c in vcost[a]], 2),
        "us_wic_nosig": agg([x["us"]["wic_nosig"] if x else None for x in xs], 2),
        "us_tcache_hit": agg([x["us"]["tcache_hit"] if x else None for x in xs], 3),
    }
out["verify"] = verify

# ---- 1-3 rates
def series(name):
    xs = [r["load"](name) for r in R]
    return xs


def fig(xs):
    return {"rate_per_s": agg([rate(x) for x in xs], 1),
            "p50_ms": agg([x["lat_ms"]["p50"] if x and "lat_ms" in x else None for x in xs], 2),
            "p99_ms": agg([x["lat_ms"]["p99"] if x and "lat_ms" in x else None for x in xs], 2),
            "errors": [errors(x) for x in xs]}


NEWREG = [  # label, wic run, stock run, alg
    ("new reg WSS ES256", "wic-wss-es256", "stock-wss", "ES256"),
    ("new reg WSS RS256", "wic-wss-rs256", "stock-wss", "RS256"),
    ("new reg WS ES256", "wic-ws-es256", "stock-ws", "ES256"),
    ("new reg WS RS256", "wic-ws-rs256", "stock-ws", "RS256"),
]
OTHER = [  # label, wic file, stock file, target
    ("refresh WSS (200 conns)", "refresh-wic-wss", "refresh-stock-wss", 0.95),
    ("refresh WS (200 conns)", "refresh-wic-ws", "refresh-stock-ws", 0.95),
    ("INVITE delivered (200+ACK, WS)", "term-wic-registered", "term-stock-registered", 0.95),
    ("INVITE rejected 480", "term-wic-unregistered", "term-stock-unregistered", 0.95),
]

comparisons = []   # rows of the rate table and of the charts
for label, w, s_, alg in NEWREG:
    ws, ss = series(f"newreg-{w}.json"), series(f"newreg-{s_}.json")
    if not any(ws) and not any(ss):
        continue
    wr, sr = [rate(x) for x in ws], [rate(x) for x in ss]
    lim = [limit(b, c) for b, c in zip(sr, vcost[alg])]
    comparisons.append({
        "name": label, "kind": "newreg", "alg": alg, "wic": fig(ws), "stock": fig(ss),
        "ratio": agg([ratio(a, b) for a, b in zip(wr, sr)]),
        "limit_per_s": agg(lim, 1),
        "share_of_limit": agg([ratio(a, l) for a, l in zip(wr, lim)]),
        "ratio_target": 0.8, "share_target": 0.9,
    })
for label, w, s_, target in OTHER:
    ws, ss = series(f"{w}.json"), series(f"{s_}.json")
    if not any(ws) and not any(ss):
        continue
    wr, sr = [rate(x) for x in ws], [rate(x) for x in ss]
    comparisons.append({"name": label, "kind": "other", "wic": fig(ws), "stock": fig(ss),
                        "ratio": agg([ratio(a, b) for a, b in zip(wr, sr)]), "ratio_target": target})
out["comparisons"] = comparisons

# ---- 5 hold
HOLD = [("WS", "wic-ws", "stock-ws"), ("WS, 6 per conn", "wic-ws-big", "stock-ws-big"),
        ("WSS", "wic-wss", "stock-wss")]


def milestones(h):
    """rate of new registrations by connections held: the steady windows
    (steady-*.json, hs in run.sh) where they ran, else the ramp's own."""
    if not h or h.get("_crashed"):
        return {}
    if "steady" in h:
        return {m["bindings"]: m["rate_per_s"] for m in h["steady"] if m["rate_per_s"] is not None}
    return {m["bindings"]: m["rate_per_s"] for m in h["ready"]["milestones"]}


def per_binding(h):
    if not h or h.get("_crashed") or not h["after"]["shm"] or not h["ready"]["bindings"]:
        return None
    b = h["ready"]["bindings"] or 1
    d = lambda k: h["after"][k] - h["before"][k]
    return {"shm_total": d("shm") / b, "module_shm": d("mod_shm") / b,
            "rss": d("rss_kb") * 1024 / b, "pss": d("pss_kb") * 1024 / b}


hold = []
for label, w, s_ in HOLD:
    ws, ss = series(f"hold-{w}.json"), series(f"hold-{s_}.json")
    if not any(ws) and not any(ss):
        continue
    wsd, ssd = series(f"steady-{w}.json"), series(f"steady-{s_}.json")
    steady = any(wsd) or any(ssd)
    row = {"name": f"held {label}", "wic_run": w, "stock_run": s_, "milestones": {},
           "rates": "steady windows" if steady else "ramp"}
    wm, sm = [milestones(x) for x in (wsd if steady else ws)], [milestones(x) for x in (ssd if steady else ss)]
    keys = sorted(set(k for m in wm + sm for k in m))
    for k in keys:
        wr = [m.get(k) for m in wm]
        sr = [m.get(k) for m in sm]
        lim = [limit(b, c) for b, c in zip(sr, vcost["ES256"])]
        row["milestones"][str(k)] = {
            "wic": agg(wr, 1), "stock": agg(sr, 1), "ratio": agg([ratio(a, b) for a, b in zip(wr, sr)]),
            "limit_per_s": agg(lim, 1), "share_of_limit": agg([ratio(a, l) for a, l in zip(wr, lim)]),
        }
    for side, xs in (("wic", ws), ("stock", ss)):
        pbs = [per_binding(x) for x in xs]
        row[side] = {
            "conns": agg([x["ready"]["conns_open"] if x else None for x in xs], 0),
            "bindings": agg([x["ready"]["bindings"] if x else None for x in xs], 0),
            "per_binding_bytes": {k: agg([p[k] if p else None for p in pbs], 0)
                                  for k in ("shm_total", "module_shm", "rss", "pss")},
        }
    hold.append(row)
out["hold"] = hold

# ---- targets (on the median)
targets = []


def tgt(name, value, target, higher=True, spread=None):
    met = value is not None and (value >= target if higher else value <= target)
    t = {"name": name, "value": value, "target": target, "met": met}
    if spread:
        t["min"], t["max"] = spread["min"], spread["max"]
    targets.append(t)


for c in comparisons:
    tgt(f"{c['name']} / stock (median)", med(c["ratio"]), c["ratio_target"], spread=c["ratio"])
    if c["kind"] == "newreg":
        tgt(f"{c['name']} / physical limit (median)", med(c["share_of_limit"]), 0.9,
            spread=c["share_of_limit"])
for h in hold:
    if h["wic_run"] == "wic-ws-big":
        continue  # registrations over open connections, 6 per connection: reported, not a target
    for k, m in h["milestones"].items():
        tgt(f"{h['name']} @{int(k):,} connections / physical limit (median)",
            med(m["share_of_limit"]), 0.9, spread=m["share_of_limit"])
for a, v in verify.items():
    tgt(f"verify cost {a} / raw OpenSSL (EVP_DigestVerifyInit+DigestVerify)",
        med(v["cost_ratio_vs_raw_init"]), 1.2, higher=False, spread=v["cost_ratio_vs_raw_init"])
    tgt(f"verify cost {a} / raw OpenSSL (pre-initialised ctx copy)",
        med(v["cost_ratio_vs_raw_dup"]), 1.2, higher=False, spread=v["cost_ratio_vs_raw_dup"])
for h in hold:
    mb = med(h["wic"]["per_binding_bytes"]["module_shm"])
    tgt(f"module shm per binding ({h['wic_run']}, {med(h['wic']['bindings'])} bindings)", mb, 1024,
        higher=False)
for h, what, target in ((0, "WS connections held", 100000), (1, "WS bindings held", 100000),
                        (2, "WSS connections held", 20000)):
    rows = [x for x in hold if x["wic_run"] == HOLD[h][1]]
    if rows:
        v = med(rows[0]["wic"]["conns" if "connections" in what else "bindings"])
        tgt(f"{what} (target {target})", v, target)

# ---- scale: per-request cost against the one-WWSF figure (run once)
crashed = sorted(os.path.basename(p)[6:-5] for p in glob.glob(os.path.join(res, "crash-*.json")))
def scale_load(n, what):
    p = os.path.join(res, f"scale-{n}-{what}")
    if not os.path.exists(p):
        return None
    with open(p) as fh:
        lines = [l for l in fh.read().splitlines() if l.strip()]
    if not lines:
        return None
    if what.endswith(".txt"):
        return [float(l.split()[0]) for l in lines if l.split()[0:1] and " ok," in l]
    return json.loads(lines[0])

scale = {}
for p in sorted(glob.glob(os.path.join(res, "scale-*-lookup.json")), key=lambda x: int(x.split("-")[-2])):
    n = int(p.split("-")[-2])
    if any(c == f"scale-{n}" for c in crashed):
        continue
    d = {"lookup_ns": scale_load(n, "lookup.json")}
    for m in ("newreg", "refresh", "480", "404"):
        x = scale_load(n, f"{m}.json")
        d[m] = x["rate_per_s"] if x and not sum(x["errors"].values()) else None
    b = scale_load(n, "bind.jsonl")
    d["bind"] = b["milestones"][-1]["rate_per_s"] if b and b.get("milestones") else None
    rl = scale_load(n, "reload.txt") or []
    d["reload_s"] = sorted(rl)[len(rl) // 2] if rl else None
    d["start_s"] = (scale_load(n, "start.json") or {}).get("start_s")
    ar = scale_load(n, "after-reload.json")
    d["after_reload_max_ms"] = ar["lat_ms"]["max"] if ar else None
    mem = scale_load(n, "mem.json")
    if mem:
        rss = sorted(x[1] for x in mem["procs"])
        d["mem"] = {"shm_bytes": mem["shm"], "processes": len(rss),
                    "rss_kb_median": rss[len(rss) // 2] if rss else None,
                    "rss_kb_max": rss[-1] if rss else None,
                    "pss_kb_total": sum(x[2] for x in mem["procs"]),
                    "pkg_used_max": max((x[1] for x in mem["pkg"]), default=None)}
    scale[n] = d
base = scale.get(min(scale)) if scale else None
for n, d in scale.items():
    d["cost_ratio"] = {m: (round(base[m] / d[m], 3) if base and base[m] and d[m] else None)
                       for m in ("newreg", "refresh", "480", "404", "bind")}
out["scale"] = scale
if scale and max(scale) > min(scale):
    top = scale[max(scale)]
    for m in ("newreg", "refresh", "480", "404", "bind"):
        cr = top["cost_ratio"][m]
        targets.append({"name": f"scale {max(scale)} WWSFs / 1: cost of {m}", "value": cr,
                        "target": 1.2, "met": cr is not None and cr <= 1.2})
    targets.append({"name": f"scale reload of {max(scale)} WWSFs (s)", "value": top["reload_s"],
                    "target": 2.0, "met": top["reload_s"] is not None and top["reload_s"] < 2.0})
media = load("media.json")
if media:
    media.pop("_run", None)
out["media"] = media

out["targets"] = targets

once_crashed = crashed
out["crashed_runs"] = [f"round {i + 1}: {c}" for i, r in enumerate(R) for c in r["crashed"]] + once_crashed
out["stop_failures"] = [dict(x, round=i + 1) for i, r in enumerate(R) for x in r["stopfail"] if x]
out["targets"] = targets

with open(os.environ["OUTJSON"], "w") as fh:
    json.dump(out, fh, indent=1)


# ---- table
def f(x, nd=0):
    return "-" if x is None else f"{x:,.{nd}f}"


def spread(a, nd=0):
    """median [min-max]"""
    if not a or a["median"] is None:
        return "-"
    return f"{f(a['median'], nd)} [{f(a['min'], nd)}-{f(a['max'], nd)}]"


print()
print(f"{len(R)} interleaved rounds, {os.environ['DUR']} s per rate run; median [min-max] of the rounds; "
      f"ratio per round; limit = stock + one verification on {NPROC} cores")
print()
print(f"{'measure':32} {'ims_wic/s':>22} {'stock/s':>22} {'ratio':>18} {'limit/s':>22} {'share of limit':>18}  err")
for c in comparisons:
    e = f"{sum(x or 0 for x in c['wic']['errors'])}/{sum(x or 0 for x in c['stock']['errors'])}"
    print(f"{c['name']:32} {spread(c['wic']['rate_per_s']):>22} {spread(c['stock']['rate_per_s']):>22} "
          f"{spread(c['ratio'], 2):>18} {spread(c.get('limit_per_s')):>22} {spread(c.get('share_of_limit'), 2):>18}  {e}")
print()
for a, v in verify.items():
    print(f"4 verify {a}: raw OpenSSL {spread(v['raw_init_per_s'])}/s (ctx copy {spread(v['raw_dup_per_s'])}/s), "
          f"wic_token_verify {spread(v['wic_full_per_s'])}/s -> cost ratio {spread(v['cost_ratio_vs_raw_init'], 2)} "
          f"({spread(v['cost_ratio_vs_raw_dup'], 2)} vs ctx copy); limit uses {spread(v['us_per_verify_limit'], 1)} us; "
          f"no-signature path {f(med(v['us_wic_nosig']), 1)} us, cache hit {f(med(v['us_tcache_hit']), 2)} us")
print()
print(f"{'5 held':16} {'@bindings':>9} {'ims_wic/s':>22} {'stock/s':>22} {'ratio':>18} {'limit/s':>22} {'share of limit':>18}")
for h in hold:
    for k, m in h["milestones"].items():
        print(f"{h['name']:16} {int(k):>9,} {spread(m['wic']):>22} {spread(m['stock']):>22} {spread(m['ratio'], 2):>18} "
              f"{spread(m['limit_per_s']):>22} {spread(m['share_of_limit'], 2):>18}")
print("  (rates: " + "; ".join(f"{h['name']}: {h['rates']}" for h in hold) + ")")
print()
print(f"{'5 held memory':16} {'conns':>7} {'bindings':>9} {'shm B/bind':>11} {'module B/bind':>14} {'PSS B/bind':>11}")
for h in hold:
    for side in ("wic", "stock"):
        x = h[side]
        pb = x["per_binding_bytes"]
        print(f"{h['name'] + ' ' + side:16} {f(med(x['conns'])):>7} {f(med(x['bindings'])):>9} "
              f"{f(med(pb['shm_total'])):>11} {f(med(pb['module_shm'])):>14} {f(med(pb['pss'])):>11}")
print()
if scale:
    print()
    print(f"{'6 scale WWSFs':14} {'newreg/s':>9} {'refresh/s':>10} {'480/s':>8} {'404/s':>8} {'bind/s':>8}  "
          f"{'cost x (newreg refresh 480 404 bind)':>38} {'reload s':>8} {'start s':>7} {'RSS MB/proc':>11} {'PSS MB':>7} {'shm MB':>7}")
    for n, d in scale.items():
        c = d["cost_ratio"]
        m = d.get("mem") or {}
        print(f"{n:>14,} {f(d['newreg']):>9} {f(d['refresh']):>10} {f(d['480']):>8} {f(d['404']):>8} {f(d['bind']):>8}  "
              f"{' '.join(f(c[k], 2) for k in ('newreg', 'refresh', '480', '404', 'bind')):>38} "
              f"{f(d['reload_s'], 3):>8} {f(d['start_s'], 1):>7} "
              f"{f((m.get('rss_kb_median') or 0) / 1024, 1):>11} {f((m.get('pss_kb_total') or 0) / 1024, 0):>7} "
              f"{f((m.get('shm_bytes') or 0) / 1048576, 0):>7}")
    print("  in-process ns (origin issuer admission 480 404 bind-event):")
    for n, d in scale.items():
        x = d["lookup_ns"]["ns"]
        print(f"  {n:>8,}: " + " ".join(f"{x[k]:.0f}" for k in ("origin", "issuer", "range_admission", "range_480", "range_404", "rstate_bind_event"))
              + f"; load {d['lookup_ns']['load_s']:.3f} s, index {d['lookup_ns']['index_bytes']:,} B, provisioning heap {d['lookup_ns']['prov_heap_bytes']:,} B")
print()
if media:
    print(f"{'7 media (AGW)':14} {'calls':>6} {'pkt/s in':>9} {'AGW CPU %':>10} {'% per call':>11} {'calls/core@80%':>15} {'loss a->b %':>12} {'rt loss %':>10}")
    for m in media.values():
        print(f"{m['mode']:14} {m['calls']:>6} {m['packets_per_s_into_agw']:>9,} {m['agw_cpu_pct_of_one_core']:>10} "
              f"{m['agw_cpu_pct_per_call']:>11} {str(m['calls_per_core_at_80pct']):>15} {m['loss_a_to_b_pct']:>12} {m['loss_round_trip_pct']:>10}")
    print()
for t in targets:
    sp = f" [{t['min']}-{t['max']}]" if "min" in t else ""
    v = t["value"] if not isinstance(t["value"], float) else round(t["value"], 3)
    print(f"  [{'MET ' if t['met'] else 'MISS'}] {t['name']}: {v}{sp} (target {t['target']})")
if out["crashed_runs"]:
    print("  Kamailio died during: " + ", ".join(out["crashed_runs"]))
if out["stop_failures"]:
    print("  Kamailio stop failed: " + ", ".join(f"round {x['round']} {x['name']} ({x['how']}, status {x['status']})"
                                                for x in out["stop_failures"]))

# ---- chart data: rates (log) and ratios (linear), median with min-max bars
def g3(a):
    return (a["median"] or 0, a["min"] or 0, a["max"] or 0) if a and a["median"] is not None else (0, 0, 0)


with open(os.path.join(work, "rates.dat"), "w") as fh:
    for c in comparisons:
        fh.write(" ".join([c["name"].replace(" ", "_")] + [str(x) for x in g3(c["wic"]["rate_per_s"]) + g3(c["stock"]["rate_per_s"])]) + "\n")
    for h in hold:
        for k, m in h["milestones"].items():
            fh.write(" ".join([f"{h['name']}_@{int(k) / 1000:g}k".replace(" ", "_").replace(",", "")]
                              + [str(x) for x in g3(m["wic"]) + g3(m["stock"])]) + "\n")
with open(os.path.join(work, "ratios.dat"), "w") as fh:
    for c in comparisons:
        fh.write(" ".join([c["name"].replace(" ", "_")] + [str(x) for x in g3(c["ratio"]) + g3(c.get("share_of_limit"))]) + "\n")
    for h in hold:
        for k, m in h["milestones"].items():
            fh.write(" ".join([f"{h['name']}_@{int(k) / 1000:g}k".replace(" ", "_").replace(",", "")]
                              + [str(x) for x in g3(m["ratio"]) + g3(m["share_of_limit"])]) + "\n")
