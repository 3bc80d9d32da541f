"""Reports too heavy for a page, computed by a worker (see ``qkart.analytics.cache``)."""

from __future__ import annotations

from qkart.analytics import cache


def build_report(run_id: int) -> bool:
    """Compute report run ``run_id``, committing its progress as it goes."""
    return cache.build(run_id)
