"""make bench: how long the staff analytics overview of the last 30 days takes to render.

run.sh has loaded a million events (bench/analytics_events.sql) and made a bench admin;
this logs that admin in over HTTP and times GET /admin/analytics for the 30 days up to
today on the running gunicorn: one warm-up, then ``BENCH_ANALYTICS_RUNS`` requests one
after another. It prints the figures (the budget is a second) and writes them to
``$BENCH_OUT/analytics.json``; it fails only if the page does not answer 200.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from shop_client import Browser, csrf_token

from qkart import create_app
from qkart.core.shop import shop_today

BUDGET = 1.0


def log_in(base_url: str, email: str, password: str) -> Browser:
    staff = Browser(base_url)
    token = csrf_token(staff.request("GET", "/login").text)
    form = {"email": email, "password": password, "csrf_token": token, "next": ""}
    reply = staff.request("POST", "/login", form)
    if reply.status != 303:
        raise RuntimeError(f"POST /login as {email}: HTTP {reply.status}")
    return staff


def main() -> int:
    base = os.environ["BENCH_BASE_URL"]
    runs = int(os.environ.get("BENCH_ANALYTICS_RUNS", "5"))
    with create_app().app_context():
        today = shop_today()
    path = f"/admin/analytics?start={today - timedelta(days=29)}&end={today}"
    staff = log_in(base, os.environ["BENCH_ADMIN_EMAIL"], os.environ["BENCH_ADMIN_PASSWORD"])
    times = []
    for n in range(runs + 1):
        t0 = time.perf_counter()
        reply = staff.request("GET", path)
        took = time.perf_counter() - t0
        if reply.status != 200 or 'id="funnel-title"' not in reply.text:
            print(f"bench: GET {path} answered {reply.status} without the report", file=sys.stderr)
            return 3
        if n:  # the first request warms the worker and PostgreSQL's caches
            times.append(took)
    figures = {
        "path": path,
        "events": int(os.environ.get("BENCH_EVENTS", "0")),
        "runs": runs,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "budget_s": BUDGET,
    }
    out = Path(os.environ.get("BENCH_OUT", "reports/bench"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "analytics.json").write_text(json.dumps(figures, indent=2) + "\n")
    verdict = "within" if figures["max_s"] < BUDGET else "OVER"
    print(
        f"\n== analytics overview, 30 days, {figures['events']:,} events ==\n"
        f"   GET {path}: median {figures['median_s']:.3f} s, slowest {figures['max_s']:.3f} s "
        f"of {runs} ({verdict} the {BUDGET:.0f} s budget)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
