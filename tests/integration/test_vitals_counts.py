"""Web-vital counts under concurrent beacons (PostgreSQL): the upsert loses no update."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from qkart.analytics.models import WebVitalCount
from qkart.analytics.vitals import Beacon, record_beacon
from qkart.extensions import db as _db

pytestmark = pytest.mark.postgres

BEACONS = 16


def test_simultaneous_beacons_for_one_bucket_are_all_counted(app):
    day = date(2026, 11, 20)
    beacon = Beacon("product", "mobile", {"LCP": Decimal("2410"), "CLS": Decimal("0.02")})
    start = threading.Barrier(BEACONS)
    failures: list[BaseException] = []

    def send() -> None:
        with app.app_context():
            start.wait()
            try:
                record_beacon(beacon, day)
                _db.session.commit()
            except BaseException as error:  # reported below, not lost in the thread
                failures.append(error)

    threads = [threading.Thread(target=send) for _ in range(BEACONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    with app.app_context():
        rows = _db.session.execute(
            select(WebVitalCount.metric, WebVitalCount.upper, WebVitalCount.count).order_by(
                WebVitalCount.metric
            )
        ).all()
    assert [tuple(row) for row in rows] == [("CLS", 20, BEACONS), ("LCP", 2500, BEACONS)]
