"""A small closed-loop HTTP/1.1 load generator for the benchmarks (run in its own process).

`python bench/loadgen.py HOST PORT SECONDS CONNECTIONS [RATE] < targets.jsonl` reads lines of
["/path", expected_status] and prints one JSON line: requests, errors, latency percentiles.

Without RATE each connection sends its next request as soon as the last is answered (maximum
throughput; latency there is just queueing, connections / throughput). With RATE the
connections together offer that many requests per second on a fixed schedule, and latency is
measured from when each request was due, so a slow answer also counts against the ones it
delayed (no coordinated omission, as in wrk2).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Iterator


async def one_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      path: str) -> tuple[int, bool]:
    """Send a GET and read the whole answer; return its status and whether it closes."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    status = int((await reader.readline()).split()[1])
    length, closes = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            closes = True
    await reader.readexactly(length)
    return status, closes


async def connection(host: str, port: int, targets: Iterator[tuple[str, int]], deadline: float,
                     interval: float, offset: float, latencies: list[float],
                     errors: list[str]) -> None:
    """Keep one connection busy until the deadline, reconnecting when the server closes it."""
    reader = writer = None
    due = time.perf_counter() + offset
    while time.perf_counter() < deadline:
        path, expected = next(targets)
        if interval:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            started, due = due, due + interval
        else:
            started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            status, closes = await one_request(reader, writer, path)  # type: ignore[arg-type]
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            errors.append(type(exc).__name__)
            writer = None
            continue
        latencies.append(time.perf_counter() - started)
        if status != expected:
            errors.append(f"HTTP {status} for {path.split('?')[0]}")
        if closes:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def run(host: str, port: int, seconds: float, connections: int, rate: float,
              targets: list[tuple[str, int]]) -> dict[str, object]:
    """Drive `connections` connections for `seconds` (at `rate` if given) and summarise."""
    latencies: list[float] = []
    errors: list[str] = []
    cycle = itertools.cycle(targets)
    started = time.perf_counter()
    deadline = started + seconds
    interval = connections / rate if rate else 0.0
    await asyncio.gather(*(connection(host, port, cycle, deadline, interval,
                                      interval * n / connections, latencies, errors)
                           for n in range(connections)))
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed,
            "errors": len(errors), "error_kinds": sorted(set(errors))[:5],
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000}


def main() -> None:
    """Read the targets from stdin, run, print the summary as JSON."""
    host, port, seconds, connections = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
        int(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    targets = [tuple(json.loads(line)) for line in sys.stdin if line.strip()]
    print(json.dumps(asyncio.run(run(host, port, seconds, connections, rate, targets))))


if __name__ == "__main__":
    main()
