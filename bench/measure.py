"""Measure QKart's key pages against the floor app; called by ``bench/run.sh``.

run.sh has already restored the bench database and started both gunicorns; this
script logs the demo shopper in, checks every page answers 200, counts each page's
SQL, loads each page with wrk, then writes reports/bench/latest.json and prints
the table. Settings come from the environment (see bench/README.md).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask
from floor import PRODUCT as FLOOR_SQL
from loadgen import WrkSettings, run_wrk, wait_idle
from report import add_ratios, check_targets, markdown_table, targets_table, write_json
from shop_client import log_in_with_cart, probe
from sqlalchemy import func, select, text
from sqlcount import count_queries

from qkart import create_app
from qkart.catalog.models import Category, Product
from qkart.cli import DEMO_EMAIL, DEMO_PASSWORD
from qkart.extensions import db

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
PHASES: dict[str, float] = {}
BUSY_PERCENT = 20  # other work above this share of the CPU makes absolute figures suspect


@dataclass(frozen=True)
class Page:
    """One URL to measure; ``logged_in`` pages send the demo shopper's cookie."""

    name: str
    label: str
    base: str
    path: str
    logged_in: bool = False
    floor: bool = False

    @property
    def url(self) -> str:
        return self.base + self.path


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def wrk_settings() -> WrkSettings:
    return WrkSettings(
        threads=int(_env("BENCH_THREADS", "2")),
        connections=int(_env("BENCH_CONNECTIONS", "16")),
        duration=int(_env("BENCH_DURATION", "10")),
        timeout=int(_env("BENCH_TIMEOUT", "5")),
        warmup=int(_env("BENCH_WARMUP", "2")),
        floor_duration=int(_env("BENCH_FLOOR_DURATION", "5")),
    )


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time a phase, print it and keep it for the report."""
    started = time.perf_counter()
    print(f"== {name} ==", flush=True)
    yield
    PHASES[name] = round(time.perf_counter() - started, 1)
    print(f"   {name} took {PHASES[name]:.1f}s", flush=True)


def _one(stmt: Any, what: str) -> Any:
    found = db.session.scalar(stmt)
    if found is None:
        raise SystemExit(f"bench: the bench database has no {what}; was it seeded?")
    return found


def plan(app: Flask, products: int) -> tuple[list[Page], list[Product]]:
    """The pages to measure, and two in-stock classic products for the shopper's cart."""
    base, floor = _env("BENCH_BASE_URL", ""), _env("BENCH_FLOOR_URL", "")
    query, category = _env("BENCH_QUERY", "lamp"), _env("BENCH_CATEGORY", "audio")
    with app.app_context():
        middle = f"SYN-{products // 2:07d}"
        product = _one(select(Product).where(Product.sku == middle), f"product {middle}")
        _one(select(Category.id).where(Category.slug == category), f"category {category}")
        stmt = select(Product).where(Product.sku.like("QK-%"), Product.stock >= 5)
        cart = list(db.session.scalars(stmt.order_by(Product.id).limit(2)))
        if len(cart) < 2:
            raise SystemExit("bench: fewer than two classic products in stock for the cart")
        db.session.expunge_all()
    pages = [
        Page("home", "home", base, "/"),
        Page("catalogue_p1", "catalogue p1", base, "/products"),
        Page("catalogue_p20", "catalogue p20", base, "/products?page=20"),
        Page("search", f"search q={query}", base, "/products?" + urlencode({"q": query})),
        Page(
            "category",
            f"category={category}",
            base,
            "/products?" + urlencode({"category": category}),
        ),
        Page("product", "product page", base, f"/products/{product.slug}"),
        Page("cart", "cart (logged in)", base, "/cart", logged_in=True),
        Page("floor", "floor (1 query)", floor, f"/product/{product.id}", floor=True),
    ]
    return pages, cart


def check_pages(pages: list[Page], cookie: str) -> dict[str, dict[str, Any]]:
    """Probe every page; stop the bench if one does not answer 200 with HTML."""
    found = {page.name: probe(page.url, cookie if page.logged_in else None) for page in pages}
    bad = [
        f"{name}: HTTP {info['status']} {info['content_type']}"
        for name, info in found.items()
        if set(info["status"]) != {200} or not str(info["content_type"]).startswith("text/html")
    ]
    if bad:
        raise SystemExit("bench: these pages do not answer 200 with HTML:\n  " + "\n  ".join(bad))
    return found


def sql_counts(pages: list[Page], cookie: str) -> dict[str, dict[str, Any]]:
    """Statements per app page, counted in-process; the floor runs one by construction."""
    paths = {page.name: page.path for page in pages if not page.floor}
    counted = count_queries(paths, {"cart": cookie})
    bad = [name for name, info in counted.items() if info["status"] != 200]
    if bad:
        raise SystemExit(f"bench: the test client got an error on {bad}")
    floor = next(p for p in pages if p.floor)
    counted[floor.name] = {
        "status": 200,
        "queries": 1,
        "request_ms": None,
        "sql_ms": None,
        "sql": [str(FLOOR_SQL)],
    }
    return counted


def all_idle(bases: set[str]) -> float:
    """Seconds spent waiting until every server under test is idle."""
    workers = int(_env("BENCH_WORKERS", "2"))
    return sum(wait_idle(base, workers) for base in sorted(bases))


def load(
    page: Page, cookie: str, settings: WrkSettings, bases: set[str], *, floor_run: bool = False
) -> dict[str, Any]:
    """The measured wrk run from idle servers, after a warm-up (the floor is kept warm)."""
    sent = cookie if page.logged_in else None
    if settings.warmup and not floor_run:
        all_idle(bases)
        run_wrk(page.url, sent, settings, settings.warmup)
    idle_wait = all_idle(bases)
    seconds = settings.floor_duration if floor_run else settings.duration
    result = run_wrk(page.url, sent, settings, seconds)
    result["idle_wait_s"] = round(idle_wait, 2)
    note = f"  ERRORS {result['errors']}" if any(result["errors"].values()) else ""
    latency = result["latency_ms"]
    print(
        f"   {page.label:<22} {result['rps']:>8.1f} req/s  p50 {latency['p50']:>8.2f} ms"
        f"  p99 {latency['p99']:>8.2f} ms{note}",
        flush=True,
    )
    return result


def cpu_busy_percent(seconds: float = 1.0) -> float | None:
    """Share of all cores busy over ``seconds``, from /proc/stat.

    Taken while the servers under test are idle, this is other work on the machine,
    which the load average (a one-minute decay that includes our own last run) is not.
    """

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total_1, idle_1 = sample()
        time.sleep(seconds)
        total_2, idle_2 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_2 - total_1
    return round(100 * (1 - (idle_2 - idle_1) / total), 1) if total else None


def load_all(pages: list[Page], cookie: str, settings: WrkSettings) -> dict[str, Any]:
    """Every page, each right after a short floor run that its ratios are computed against.

    Other work on the machine comes and goes within minutes; a floor measured seconds
    before each page cancels most of it out of the ratios, where one floor run for the
    whole bench would not. The floor is warmed up once, first.
    """
    floor = next(p for p in pages if p.floor)
    bases = {page.base for page in pages}
    all_idle(bases)
    results: dict[str, Any] = {"floor_runs": [], "cpu_busy_before": cpu_busy_percent()}
    if settings.warmup:
        run_wrk(floor.url, None, settings, settings.warmup)
    for page in pages:
        if not page.floor:
            floor_result = load(floor, cookie, settings, bases, floor_run=True)
            results["floor_runs"].append(floor_result)
            results[page.name] = load(page, cookie, settings, bases)
            results[page.name]["floor"] = floor_result
    all_idle(bases)
    results["cpu_busy_after"] = cpu_busy_percent()
    return results


def mean_floor(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The floor row of the table: the mean of its runs, with their spread."""
    latency = {
        key: round(statistics.mean(run["latency_ms"][key] for run in runs), 2)
        for key in runs[0]["latency_ms"]
    }
    errors = {key: sum(run["errors"][key] for run in runs) for key in runs[0]["errors"]}
    rates = [run["rps"] for run in runs]
    return {
        "requests": sum(run["requests"] for run in runs),
        "rps": round(statistics.mean(rates), 1),
        "rps_min": min(rates),
        "rps_max": max(rates),
        "latency_ms": latency,
        "errors": errors,
    }


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor()


def _git_commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return ""
    return found.stdout.strip()


def machine(app: Flask) -> dict[str, Any]:
    with app.app_context():
        postgres = db.session.scalar(text("SHOW server_version"))
        active = db.session.scalar(
            select(func.count()).select_from(Product).where(Product.is_active.is_(True))
        )
        db.session.rollback()
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "active_products": active,
        "note": "wrk, both gunicorns and PostgreSQL share these cores",
    }


def assemble(pages: list[Page], probes: dict, sql: dict, loads: dict) -> list[dict[str, Any]]:
    rows = []
    for page in pages:
        measured = loads[page.name] if not page.floor else loads["floor"]
        info = probes[page.name]
        rows.append(
            {
                **asdict(page),
                "url": page.url,
                "html_bytes": info["html_bytes"],
                "wire": info["wire"],
                "sql_queries": sql[page.name]["queries"],
                "solo_request_ms": sql[page.name]["request_ms"],
                "solo_sql_ms": sql[page.name]["sql_ms"],
                "sql": sql[page.name]["sql"],
                "load": measured,
            }
        )
    return rows


def timed(name: str, work: Callable[[], T]) -> T:
    with phase(name):
        return work()


def build_report(
    app: Flask, products: int, settings: WrkSettings, rows: list[dict[str, Any]], loads: dict
) -> dict[str, Any]:
    """Everything latest.json records: when, where, what was loaded how, and the pages."""
    info = machine(app)
    info["cpu_busy_percent_before"] = loads["cpu_busy_before"]
    info["cpu_busy_percent_after"] = loads["cpu_busy_after"]
    info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "machine": info,
        "products": {"synthetic": products, "active": info.pop("active_products")},
        "database": {
            "name": _env("BENCH_DB", ""),
            "source": _env("BENCH_DB_SOURCE", ""),
            "dump": _env("BENCH_DUMP", ""),
            "extra_sql": _env("BENCH_EXTRA_SQL", ""),
        },
        "servers": {"gunicorn_workers": int(_env("BENCH_WORKERS", "2")), "worker_class": "sync"},
        "wrk": settings.as_dict(),
        "phases_s": {**_shell_phases(), **PHASES},
        "pages": rows,
    }


def main() -> int:
    products = int(_env("BENCH_PRODUCTS", "10000"))
    settings = wrk_settings()
    app = create_app()
    pages, cart = timed("plan", lambda: plan(app, products))
    cart_items = [(p.id, p.slug, p.name) for p in cart]
    base = pages[0].base
    cookie = timed("log in", lambda: log_in_with_cart(base, DEMO_EMAIL, DEMO_PASSWORD, cart_items))
    probes = timed("check pages answer 200", lambda: check_pages(pages, cookie))
    sql = timed("count and time SQL per page", lambda: sql_counts(pages, cookie))
    loads = timed("load with wrk", lambda: load_all(pages, cookie, settings))
    loads["floor"] = mean_floor(loads.pop("floor_runs"))
    rows = assemble(pages, probes, sql, loads)
    add_ratios(rows)
    report = build_report(app, products, settings, rows, loads)
    report["targets"] = check_targets(rows)
    path = write_json(report, ROOT / _env("BENCH_OUT", "reports/bench"), products)
    print_summary(report, path)
    return check_errors(rows) or check_met(report["targets"])


def check_met(checked: list[dict[str, Any]]) -> int:
    """A page below its target fails the run (exit 4), unless BENCH_CHECK=0."""
    missed = [c["label"] for c in checked if not c["met"]]
    if not missed:
        print("bench: every page met its targets")
        return 0
    if _env("BENCH_CHECK", "1") == "0":
        print(f"bench: pages below their targets (not failing, BENCH_CHECK=0): {missed}")
        return 0
    print(f"bench: pages below their targets: {missed}")
    return 4


def check_errors(rows: list[dict[str, Any]]) -> int:
    """Non-2xx answers under load void a page's figures: say so and fail the run."""
    failed = [row["label"] for row in rows if row["load"]["errors"]["status"]]
    slow = [row["label"] for row in rows if row["load"]["errors"]["timeout"]]
    if slow:
        print(f"bench: requests slower than the wrk timeout (not in the latencies): {slow}")
    if failed:
        print(f"bench: pages answered errors under load, their figures are void: {failed}")
        return 3
    return 0


def _shell_phases() -> dict[str, float]:
    """Phases run.sh timed before calling us, passed as ``name=seconds;name=seconds``."""
    pairs = (item.partition("=") for item in _env("BENCH_PHASES", "").split(";") if item)
    return {name: float(seconds) for name, _, seconds in pairs}


def print_summary(report: dict[str, Any], path: Path) -> None:
    wrk, machine_info = report["wrk"], report["machine"]
    print("\n== phases ==")
    for name, seconds in report["phases_s"].items():
        print(f"   {name:<28} {seconds:>7.1f}s")
    print(
        f"\nQKart bench, {report['products']['active']} active products, "
        f"{machine_info['cores']} cores ({machine_info['cpu']}), PostgreSQL "
        f"{machine_info['postgresql']}, gunicorn {report['servers']['gunicorn_workers']} sync "
        f"workers, wrk -t{wrk['threads']} -c{wrk['connections']} -d{wrk['duration_s']}s, "
        f"{report['date']}"
    )
    if report["database"]["extra_sql"]:
        print(f"With BENCH_EXTRA_SQL={report['database']['extra_sql']} applied after the restore.")
    print()
    print(markdown_table(report["pages"]))
    print("\nTargets (issue 12), each page against the floor run just before it:")
    print(targets_table(report["targets"]))
    before, after = machine_info["cpu_busy_percent_before"], machine_info["cpu_busy_percent_after"]
    print(f"\nCPU busy with other work, before/after the wrk runs: {before}% / {after}%", end="")
    busy = max(before or 0, after or 0) > BUSY_PERCENT
    print(" (the machine was busy: compare ratios, not absolute figures)" if busy else "")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"\nWritten to {shown}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except subprocess.CalledProcessError as error:
        sys.exit(f"bench: {error.cmd[0]} failed ({error.returncode}): {error.stderr}")
