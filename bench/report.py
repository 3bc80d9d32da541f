"""Turn the measured pages into reports/bench/latest.json and a readable table.

Ratios compare each page with the floor app measured just before it: p50 ratio is
page p50 / floor p50 (how many times slower a typical request is), rps ratio is
page req/s / floor req/s (what share of the floor's throughput the page keeps).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

COLUMNS = (
    "page",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "p50 / floor",
    "req/s / floor",
    "HTML kB",
    "{enc} kB",
    "gzip kB",
    "SQL",
    "solo ms",
    "SQL ms",
    "errors",
)


# Issue 12's targets: the share of the floor's req/s each page keeps, at least; and
# p99 under P99_MS at the bench's concurrency. Pages without a target are reported only.
RPS_TARGETS = {
    "catalogue_p1": 0.5,
    "catalogue_p20": 0.5,
    "search": 0.5,
    "category": 0.5,
    "product": 0.6,
    "cart": 0.5,
}
P99_MS = 50.0


def check_targets(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each targeted page against its targets (after ``add_ratios``), in table order."""
    checked = []
    for page in pages:
        target = RPS_TARGETS.get(page["name"])
        if target is None:
            continue
        ratio, p99 = page["ratio_to_floor"]["rps"], page["load"]["latency_ms"]["p99"]
        rps_ok = ratio is not None and ratio >= target
        checked.append(
            {
                "name": page["name"],
                "label": page["label"],
                "rps_ratio": ratio,
                "rps_target": target,
                "p99_ms": p99,
                "p99_target_ms": P99_MS,
                "met": rps_ok and p99 < P99_MS,
                "missed": [
                    *([] if rps_ok else [f"req/s {ratio:.2f} of the floor < {target}"]),
                    *([] if p99 < P99_MS else [f"p99 {p99:.1f} ms >= {P99_MS:.0f} ms"]),
                ],
            }
        )
    return checked


def targets_table(checked: list[dict[str, Any]]) -> str:
    """One line per targeted page: its figures beside its targets, and what it missed."""
    width = max((len(c["label"]) for c in checked), default=4)
    lines = []
    for c in checked:
        verdict = "met" if c["met"] else "MISSED: " + "; ".join(c["missed"])
        lines.append(
            f"   {c['label']:<{width}}  req/s/floor {c['rps_ratio']:.2f} (>= {c['rps_target']})"
            f"  p99 {c['p99_ms']:6.1f} ms (< {c['p99_target_ms']:.0f})  {verdict}"
        )
    return "\n".join(lines)


def add_ratios(pages: list[dict[str, Any]]) -> None:
    """Add ``ratio_to_floor``: each page against the floor run just before it."""
    for page in pages:
        load = page["load"]
        floor = load.get("floor", load)  # the floor row is compared with itself
        floor_p50, floor_rps = floor["latency_ms"]["p50"], floor["rps"]
        page["ratio_to_floor"] = {
            "p50": round(load["latency_ms"]["p50"] / floor_p50, 2) if floor_p50 else None,
            "rps": round(load["rps"] / floor_rps, 3) if floor_rps else None,
        }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _kb(size: int) -> str:
    return f"{size / 1000:.1f}"


def _row(page: dict[str, Any]) -> list[str]:
    load, ratio, wire = page["load"], page["ratio_to_floor"], page["wire"]
    latency = load["latency_ms"]
    return [
        page["label"],
        f"{load['rps']:.0f}",
        f"{latency['p50']:.1f}",
        f"{latency['p95']:.1f}",
        f"{latency['p99']:.1f}",
        f"{ratio['p50']:.2f}x",
        f"{ratio['rps']:.2f}",
        _kb(page["html_bytes"]),
        _kb(wire["browser"]["bytes"]),
        _kb(wire["gzip"]["bytes"]),
        str(page["sql_queries"]),
        _ms(page["solo_request_ms"]),
        _ms(page["solo_sql_ms"]),
        str(sum(load["errors"].values())),
    ]


def markdown_table(pages: list[dict[str, Any]]) -> str:
    """A plain markdown table, padded so it also reads well in a terminal."""
    encodings = Counter(page["wire"]["browser"]["encoding"] for page in pages)
    browser_encoding = encodings.most_common(1)[0][0] if encodings else "br"
    header = [column.format(enc=browser_encoding) for column in COLUMNS]
    rows = [header, *(_row(page) for page in pages)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def write_json(report: dict[str, Any], out_dir: Path, products: int) -> Path:
    """``latest.json``, plus ``latest-<products>[-<what-if>].json`` to keep each kind of run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2) + "\n"
    extra = report["database"]["extra_sql"]
    suffix = f"-{Path(extra).stem}" if extra else ""
    (out_dir / f"latest-{products}{suffix}.json").write_text(text, encoding="utf-8")
    path = out_dir / "latest.json"
    path.write_text(text, encoding="utf-8")
    return path
