"""Drive wrk at a fixed concurrency for a fixed time and read its figures.

Every run is bounded twice: by wrk's own ``-d`` and by a subprocess timeout, so a
stuck server cannot hang ``make bench``.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shop_client import BROWSER_ENCODING

LUA = Path(__file__).with_name("report.lua")
MARKER = "BENCH_JSON "
IDLE_WAIT = 180
FAST = 0.05  # seconds: a health check of an idle worker answers in about one millisecond


@dataclass(frozen=True)
class WrkSettings:
    """wrk's knobs, from BENCH_THREADS, BENCH_CONNECTIONS, BENCH_DURATION, ..."""

    threads: int = 2
    connections: int = 16
    duration: int = 10
    timeout: int = 5
    warmup: int = 2
    floor_duration: int = 5

    def as_dict(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "connections": self.connections,
            "duration_s": self.duration,
            "timeout_s": self.timeout,
            "warmup_s": self.warmup,
            "floor_duration_s": self.floor_duration,
            "accept_encoding": BROWSER_ENCODING,
        }


def _command(url: str, cookie: str | None, settings: WrkSettings, seconds: int) -> list[str]:
    command = ["wrk", f"-t{settings.threads}", f"-c{settings.connections}", f"-d{seconds}s"]
    command += [f"--timeout={settings.timeout}s", "-s", str(LUA)]
    # Load as a browser would: compression is part of what each page costs.
    command += ["-H", f"Accept-Encoding: {BROWSER_ENCODING}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    return [*command, url]


def _parse(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"wrk printed no figures:\n{output}")


def run_wrk(url: str, cookie: str | None, settings: WrkSettings, seconds: int) -> dict[str, Any]:
    """One wrk run of ``seconds``; requests/s, latencies in ms, errors."""
    done = subprocess.run(
        _command(url, cookie, settings, seconds),
        capture_output=True,
        text=True,
        timeout=seconds + settings.timeout + 30,
        check=True,
    )
    raw = _parse(done.stdout)
    duration = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / duration, 1) if duration else 0.0,
        "latency_ms": {
            key: round(raw[f"{key}_us"] / 1000, 2)
            for key in ("p50", "p90", "p95", "p99", "max", "mean")
        },
        "transfer_bytes_per_s": round(raw["bytes"] / duration) if duration else 0,
        "errors": raw["errors"],
    }


def _healthz_seconds(base: str) -> float:
    parts = urlsplit(base)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, IDLE_WAIT)
    try:
        conn.request("GET", "/healthz")
        conn.getresponse().read()
    finally:
        conn.close()
    return time.perf_counter() - started


def wait_idle(base: str, workers: int = 2) -> float:
    """Wait until the server has worked off requests a finished wrk run left queued.

    When wrk stops, gunicorn's sync workers still serve every request already in
    the listen queue; on a slow page that is seconds of work that would otherwise
    be billed to the next run. The server counts as idle when ``workers`` health
    checks sent at once all answer fast, twice in a row: one busy worker would hold
    one of them back. Returns the seconds waited.
    """
    started = time.perf_counter()
    fast_in_a_row = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while fast_in_a_row < 2:
            if time.perf_counter() - started > IDLE_WAIT:
                raise RuntimeError(f"{base} still busy after {IDLE_WAIT} s")
            times = list(pool.map(_healthz_seconds, [base] * workers))
            fast_in_a_row = fast_in_a_row + 1 if max(times) < FAST else 0
    return round(time.perf_counter() - started, 2)
