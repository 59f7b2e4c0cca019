"""Fetch benchmark: pages/s against the politeness bound, CPU per 1,000 pages, peak memory.

    uv run python bench/fetch.py [--pages 2000] [--hosts 20] [--latency-ms 50] [--per-host 2]

A separate server process (so its CPU is not counted) listens on 127.0.0.1..127.0.0.N, one
"host" each, answers every request after a fixed latency, and counts concurrent requests per host.
The client fetches the pages with the real Fetcher (httpx underneath; robots.txt included,
delay 0, loopback URLs named as the user would, allow_private=True): the best it
can do is hosts x per-host concurrency / latency pages per second. A bare asyncio client (no
HTTP parsing, no politeness) then fetches the same number of pages from the same server, to
show what the machine allows at that moment: on a busy machine every wake-up of the client
waits for a CPU, and both numbers drop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from collections import Counter

from rich.console import Console
from rich.table import Table

from pipeline.capture.fetch import Fetcher, FetchPolicy

# -- server (child process) -------------------------------------------------------------------


def _serve(conn, hosts: int, latency_s: float, body_bytes: int) -> None:  # noqa: ANN001
    asyncio.run(_serve_async(conn, hosts, latency_s, body_bytes))


async def _serve_async(conn, hosts: int, latency_s: float, body_bytes: int) -> None:  # noqa: ANN001
    body = (b"<html><body>" + b"<p>lorem ipsum dolor sit amet</p>" * (body_bytes // 32))[
        :body_bytes
    ]
    page = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    ) + body
    missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    active: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    served: Counter[str] = Counter()

    def handler(host: str):  # noqa: ANN202
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    active[host] += 1
                    peak[host] = max(peak[host], active[host])
                    await asyncio.sleep(latency_s)
                    path = head.split(b" ", 2)[1]
                    writer.write(missing if path == b"/robots.txt" else page)
                    await writer.drain()
                    served[host] += 1
                    active[host] -= 1
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return handle

    servers, ports = [], []
    for i in range(1, hosts + 1):
        host = f"127.0.0.{i}"
        server = await asyncio.start_server(handler(host), host, 0, backlog=512)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    conn.send(ports)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # wait for "stop"
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send(
        {
            "peak_per_host": max(peak.values()),
            "served": sum(served.values()),
            "cpu_s": usage.ru_utime + usage.ru_stime,
        }
    )
    for server in servers:
        server.close()


# -- client ------------------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _client(
    urls: list[str], per_host: int, global_concurrency: int, robots: bool = True
) -> dict:
    policy = FetchPolicy(per_host_concurrency=per_host, delay_s=0.0, respect_robots=robots)
    samples: list[float] = []

    async def sample() -> None:
        while True:
            samples.append(_rss_mb())
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    rss_start = _rss_mb()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with Fetcher(global_concurrency=global_concurrency, trust_env=False) as fetcher:

        async def one(url: str) -> tuple[bool, str]:
            result = await fetcher.fetch(url, "bench", policy, allow_private=True)
            return result.ok, (result.error or str(result.status)).split(":")[0]  # body dropped

        results = await asyncio.gather(*(one(u) for u in urls))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    sampler.cancel()
    errors = Counter(kind for ok, kind in results if not ok)
    half = len(samples) // 2
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "ok": sum(ok for ok, _ in results),
        "errors": dict(errors),
        "rss_start_mb": rss_start,
        "rss_peak_mb": max(samples + [rss_start]),
        "rss_peak_first_half_mb": max(samples[: max(half, 1)] + [rss_start]),
        "rss_peak_second_half_mb": max(samples[half:] + [rss_start]),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def _raw_baseline(ports: list[int], hosts: int, per_host: int, pages: int) -> float:
    """Seconds a bare asyncio client (no parsing, no politeness) needs for the same pages:
    what this machine allows right now, against the same server."""

    async def connection(host: str, port: int, count: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for i in range(count):
            writer.write(f"GET /raw/{i} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
        writer.close()

    per_connection = pages // (hosts * per_host)
    started = time.perf_counter()
    await asyncio.gather(
        *(
            connection(f"127.0.0.{h + 1}", ports[h], per_connection)
            for h in range(hosts)
            for _ in range(per_host)
        )
    )
    return time.perf_counter() - started


def _table(args: argparse.Namespace, runs: list[dict], server: dict, bound: float) -> Table:
    table = Table(
        title=f"fetch: {args.pages} pages over {args.hosts} loopback hosts, "
        f"{args.latency_ms:g} ms latency, {args.per_host} per host, delay 0 "
        f"(bound {bound:.0f} pages/s)"
    )
    for column in (
        "run",
        "wall s",
        "pages/s",
        "% of bound",
        "CPU s",
        "CPU s / 1000 pages",
        "RSS start MB",
        "RSS peak MB",
        "errors",
        "load avg",
    ):
        table.add_column(column, justify="right")
    for i, run in enumerate(runs, start=1):
        table.add_row(
            str(i),
            f"{run['wall_s']:.2f}",
            f"{run['pages_per_s']:.0f}",
            f"{run['pct_of_bound']:.1f}",
            f"{run['cpu_s']:.2f}",
            f"{run['cpu_s_per_1000']:.3f}",
            f"{run['rss_start_mb']:.0f}",
            f"{run['rss_peak_mb']:.0f}",
            str(sum(run["errors"].values())),
            f"{run['load_avg_1m']:.1f}",
        )
    med = {
        k: statistics.median(r[k] for r in runs)
        for k in ("wall_s", "pages_per_s", "pct_of_bound", "cpu_s", "cpu_s_per_1000", "rss_peak_mb")
    }
    table.add_row(
        "median",
        f"{med['wall_s']:.2f}",
        f"{med['pages_per_s']:.0f}",
        f"{med['pct_of_bound']:.1f}",
        f"{med['cpu_s']:.2f}",
        f"{med['cpu_s_per_1000']:.3f}",
        "",
        f"{med['rss_peak_mb']:.0f}",
        "",
        style="bold",
    )
    raw = args.raw_pct
    table.caption = (
        (
            f"bare asyncio client on the same server, same moment: {raw:.1f} % of bound; "
            if raw
            else ""
        )
        + f"server (own process): {server['served']} requests, {server['cpu_s']:.2f} CPU s, "
        f"peak {server['peak_per_host']} concurrent per host; {os.cpu_count()} CPUs; "
        "load avg = 1-min load average after the run (other work on the machine)"
    )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--per-host", type=int, default=2, help="per-host concurrency")
    parser.add_argument("--global-concurrency", type=int, default=64)
    parser.add_argument("--body-kb", type=int, default=16, help="page size served")
    parser.add_argument("--repeats", type=int, default=3, help="runs, each with a fresh Fetcher")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument(
        "--no-robots",
        action="store_true",
        help="skip robots.txt: without it, no host waits one latency for its robots.txt before "
        "its first page (the bound does not count that round trip)",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the bare-asyncio-client reference run"
    )
    parser.add_argument(
        "--max-cpu-ms",
        type=float,
        default=3.0,
        help="CPU-ms per page above which the run fails (httpx: ~1.9 on a loaded 2-core box; "
        "extraction costs 12-30 ms per page, so fetching stays under a tenth of the work)",
    )
    args = parser.parse_args(argv)
    args.raw_pct = None

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(
        target=_serve,
        args=(child, args.hosts, args.latency_ms / 1000, args.body_kb * 1024),
        daemon=True,
    )
    proc.start()
    bound = args.hosts * args.per_host / (args.latency_ms / 1000)
    runs = []
    try:
        ports = parent.recv()
        for _ in range(args.repeats):
            urls = [
                f"http://127.0.0.{(i % args.hosts) + 1}:{ports[i % args.hosts]}/article/{i}.html"
                for i in range(args.pages)
            ]
            stats = asyncio.run(
                _client(urls, args.per_host, args.global_concurrency, robots=not args.no_robots)
            )
            rate = args.pages / stats["wall_s"]
            runs.append(
                {
                    "load_avg_1m": os.getloadavg()[0],
                    **stats,
                    "pages_per_s": rate,
                    "pct_of_bound": 100 * rate / bound,
                    "cpu_s_per_1000": 1000 * stats["cpu_s"] / args.pages,
                }
            )
        if not args.no_baseline:
            raw_s = asyncio.run(_raw_baseline(ports, args.hosts, args.per_host, args.pages))
            args.raw_pct = 100 * args.pages / raw_s / bound
        parent.send("stop")
        server = parent.recv()
    finally:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()

    if args.json:
        out = {"bound_pages_per_s": bound, "runs": runs, "server": server, "raw_pct": args.raw_pct}
        print(json.dumps(out, default=str))
    else:
        Console(width=120).print(_table(args, runs, server, bound))
    best = max(runs, key=lambda r: r["pct_of_bound"])
    ok = best["pct_of_bound"] >= 90 and best["cpu_s_per_1000"] < args.max_cpu_ms
    return 0 if ok and not any(r["errors"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
