"""/metrics reads the real RQ queue's depth and failed-job registry from Redis."""

from __future__ import annotations

import uuid

import pytest
from rq import Queue

from qkart.extensions import db, queue
from tests.integration.conftest import REDIS_URL

pytestmark = pytest.mark.services
TOKEN = "metrics-token-for-tests-0123456789"


def _lines(client) -> list[str]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return response.get_data(as_text=True).splitlines()


def test_queue_depth_counts_jobs_waiting_in_redis(make_app, redis_conn):
    name = f"qkart-metrics-{uuid.uuid4().hex[:8]}"
    app = make_app(REDIS_URL=REDIS_URL, QKART_QUEUE=name, QKART_METRICS_TOKEN=TOKEN)
    try:
        with app.app_context():
            for order_id in (1, 2, 3):
                queue.after_commit(db.session(), "mail.send_order_confirmation", order_id)
            db.session.commit()  # sent to RQ; no worker listens on this queue
        lines = _lines(app.test_client())
        assert f'qkart_job_queue_depth{{queue="{name}"}} 3.0' in lines
        assert f'qkart_jobs_failed{{queue="{name}"}} 0.0' in lines
        assert 'qkart_outbox_jobs{state="waiting"} 3.0' in lines
    finally:
        Queue(name, connection=redis_conn).delete(delete_jobs=True)
