"""The load generator, a process of its own: ``python -m bench.load`` reads
``{"scenario", "ctx", "port", "concurrency", "duration", "warmup"}`` as JSON on
stdin and prints the result as JSON.

One OS process per connection (not threads: a thread waiting for the GIL after
its response arrived would add that wait to the latency). Each keeps its
connection open while the server allows (gunicorn's sync workers close it after
every response, so there each request includes a loopback TCP connect, as it
would behind a proxy). Only 127.0.0.1 is ever contacted.

Every response is checked (status and marker); one wrong response fails the
scenario. Requests starting in the warm-up are sent and checked but not timed;
rps is the number of requests completed in the timed window over its length.
"""

import http.client
import json
import multiprocessing
import sys
import time

HOST = "127.0.0.1"


def worker(args):
    scenario_name, ctx, port, start, warm_until, stop, worker_no = args
    from bench.scenarios import all_scenarios

    scenario = all_scenarios()[scenario_name]
    latencies_us: list[int] = []
    wrong: list[str] = []
    wrong_count = 0
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    while time.monotonic() < start:
        time.sleep(0.001)
    i = worker_no * 1_000_000
    while True:
        t0 = time.monotonic()
        if t0 >= stop:
            break
        method, path, headers, body = scenario.request(ctx, i)
        i += 1
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            status = response.status
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status, content = 0, f"{type(exc).__name__}: {exc}".encode()
        t1 = time.monotonic()
        problem = scenario.check(status, content)
        if problem:
            wrong_count += 1
            if len(wrong) < 3:
                wrong.append(f"{method} {path}: {problem}; body starts {content[:160]!r}")
        elif t0 >= warm_until:
            latencies_us.append(round((t1 - t0) * 1e6))
    conn.close()
    return {"latencies_us": latencies_us, "wrong_count": wrong_count, "wrong": wrong}


def run(spec: dict) -> dict:
    concurrency, duration, warmup = spec["concurrency"], spec["duration"], spec["warmup"]
    start = time.monotonic() + 0.5  # every process connected and waiting
    warm_until = start + warmup
    stop = warm_until + duration
    jobs = [
        (spec["scenario"], spec["ctx"], spec["port"], start, warm_until, stop, n)
        for n in range(concurrency)
    ]
    with multiprocessing.get_context("fork").Pool(concurrency) as pool:
        parts = pool.map(worker, jobs)
    latencies = sorted(x for p in parts for x in p["latencies_us"])
    wrong_count = sum(p["wrong_count"] for p in parts)
    out = {
        "requests": len(latencies),
        "wrong_responses": wrong_count,
        "wrong_samples": [w for p in parts for w in p["wrong"]][:5],
    }
    if wrong_count or not latencies:
        out["failed"] = (
            f"{wrong_count} wrong responses"
            if wrong_count
            else "no response completed in the timed window"
        )
        return out
    out.update(
        rps=round(len(latencies) / duration, 1),
        p50_ms=round(percentile(latencies, 50) / 1000, 2),
        p99_ms=round(percentile(latencies, 99) / 1000, 2),
        max_ms=round(latencies[-1] / 1000, 2),
    )
    return out


def percentile(sorted_values: list[int], pct: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.stdin.read()))))
