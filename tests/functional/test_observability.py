"""What operators see: request ids, JSON log lines, /metrics behind a token, Sentry."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from qkart.observability import logs
from tests.conftest import check_out
from tests.payments.conftest import SECRET_KEY, WEBHOOK_SECRET, post_event
from tests.support.stripe_stub import StripeStub

TOKEN = "metrics-token-for-tests-0123456789"
GENERATED = re.compile(r"[0-9a-f]{16}")


def _boom(token: str = "") -> str:
    logs.log.info("checking the stock ledger of shopper@example.com")
    raise RuntimeError("stock ledger broke for shopper@example.com")


@pytest.fixture
def log_lines() -> Iterator[Any]:
    """QKart's log handler writing into a buffer; its stream and format put back after."""
    handler = logs.handler()
    assert handler is not None
    buffer = io.StringIO()
    old_stream, old_formatter = handler.setStream(buffer), handler.formatter

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _metric(client: Any, name: str, **labels: str) -> float:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    key = (name, tuple(sorted(labels.items())))
    return _samples(response.get_data(as_text=True)).get(key, 0.0)


@pytest.fixture
def metrics_app(make_app: Any) -> Any:
    return make_app(QKART_METRICS_TOKEN=TOKEN)


# -- request ids --------------------------------------------------------------------


def test_every_response_names_its_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


def test_a_safe_incoming_request_id_is_kept(client):
    incoming = "edge-7f3a.9c_01"
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming", ["a" * 65, "<b>hi</b>", "ärger", "two words", "-leading-dash", "id;rm"]
)
def test_an_unsafe_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_the_500_page_shows_the_reference_to_quote(make_app, log_lines):
    app = make_app(QKART_LOG_FORMAT="json")
    app.add_url_rule("/boom", "boom", _boom)
    response = app.test_client().get("/boom", headers={"X-Request-ID": "ref-500-check"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "ref-500-check"
    page = response.get_data(as_text=True)
    assert "please quote this reference: <code>ref-500-check</code>" in page
    assert "Traceback" not in page and "stock ledger" not in page
    [error] = [line for line in log_lines() if line["level"] == "ERROR"]
    assert error["request_id"] == "ref-500-check"
    assert error["message"] == "unhandled error on GET /boom"
    assert "RuntimeError: stock ledger broke for [email]" in error["exc"]
    assert "shopper@example.com" not in json.dumps(log_lines())


# -- JSON log lines -----------------------------------------------------------------


def test_json_access_lines_carry_the_request_and_the_user(make_app, factory, log_lines):
    app = make_app(QKART_LOG_FORMAT="json")
    client = app.test_client()
    user = factory.user()
    client.post("/login", data={"email": user.email, "password": "correct-horse-9"})
    response = client.get("/account", headers={"X-Request-ID": "acct-1"})
    assert response.status_code == 200
    [line] = [line for line in log_lines() if line["request_id"] == "acct-1"]
    duration = line.pop("duration_ms")
    assert isinstance(duration, float) and duration >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line.pop("time"))
    assert line == {
        "level": "INFO",
        "logger": "qkart.request",
        "message": "GET /account 200",
        "request_id": "acct-1",
        "method": "GET",
        "path": "/account",
        "endpoint": "account.overview",
        "status": 200,
        "user_id": user.id,
    }
    text = json.dumps(log_lines())
    assert user.email not in text and "correct-horse-9" not in text


def test_json_lines_hide_tokens_in_urls_and_secrets_in_messages(make_app, log_lines):
    app = make_app(QKART_LOG_FORMAT="json")
    token = "Abc123SecretResetToken"
    app.test_client().get(f"/reset-password/{token}", headers={"X-Request-ID": "reset-1"})
    with app.test_request_context("/"):
        logs.log.warning("card 4242 4242 4242 4242 password=hunter2 for a.b+c@shop.example")
    lines = log_lines()
    [access] = [line for line in lines if line["request_id"] == "reset-1"]
    assert access["path"] == "/reset-password/[redacted]"
    assert access["message"].startswith("GET /reset-password/[redacted] ")
    assert lines[-1]["message"] == "card [card] password=[redacted] for [email]"
    assert token not in json.dumps(lines)


def test_text_logs_are_the_default_outside_production(app):
    handler = logs.handler()
    assert app.config["QKART_LOG_FORMAT"] == "text"
    assert not isinstance(handler.formatter, logs.JsonFormatter)


# -- /metrics -----------------------------------------------------------------------


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Basic bWU6cGFzcw==", 401), ("Bearer ", 401), ("Bearer wrong-token", 403)],
)
def test_metrics_refuse_a_missing_or_wrong_token(metrics_app, authorization, status):
    headers = {"Authorization": authorization} if authorization else {}
    response = metrics_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == status
    assert "qkart_" not in response.get_data(as_text=True)
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_metrics_with_the_token_are_prometheus_text(metrics_app):
    response = metrics_app.test_client().get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    samples = _samples(response.get_data(as_text=True))
    assert samples[("qkart_outbox_jobs", (("state", "failed"),))] == 0.0
    assert ("qkart_payments_failed_total", (("reason", "gateway"),)) in samples


def test_latency_is_recorded_per_endpoint_name_not_per_path(metrics_app, factory):
    product = factory.product("Teapot")
    client = metrics_app.test_client()
    labels = {"endpoint": "shop.product", "method": "GET"}
    before = _metric(client, "qkart_request_duration_seconds_count", **labels)
    assert client.get(f"/products/{product.slug}").status_code == 200
    assert client.get(f"/products/{product.slug}?ref=home").status_code == 200
    assert _metric(client, "qkart_request_duration_seconds_count", **labels) == before + 2
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert product.slug not in scraped.get_data(as_text=True)
    assert 'endpoint="metrics.scrape"' not in scraped.get_data(as_text=True)


def test_an_order_placed_moves_the_orders_counter(metrics_app, factory):
    client = metrics_app.test_client()
    product = factory.product("Kettle", price=2500, stock=3)
    before = _metric(client, "qkart_orders_placed_total")
    client.post("/cart/items", data={"product_id": product.id, "quantity": 1})
    assert check_out(client, method="cod").status_code == 303
    assert _metric(client, "qkart_orders_placed_total") == before + 1


def test_an_order_refused_for_stock_is_not_counted(metrics_app, factory, app):
    from qkart.catalog.models import Product
    from qkart.extensions import db

    client = metrics_app.test_client()
    product = factory.product("Last Kettle", price=2500, stock=1)
    client.post("/cart/items", data={"product_id": product.id, "quantity": 1})
    before = _metric(client, "qkart_orders_placed_total")
    with app.app_context():
        db.session.get(Product, product.id).stock = 0  # sold elsewhere meanwhile
        db.session.commit()
    check_out(client, method="cod")
    assert _metric(client, "qkart_orders_placed_total") == before


def test_failed_job_outbox_rows_are_counted(metrics_app, app):
    from qkart.core.db import utcnow
    from qkart.extensions import db
    from qkart.jobs.models import OutboxJob

    with app.app_context():
        db.session.add_all(
            [
                OutboxJob(name="mail.send_order_confirmation", args=[1], failed_at=utcnow()),
                OutboxJob(name="mail.send_order_confirmation", args=[2]),
            ]
        )
        db.session.commit()
    client = metrics_app.test_client()
    assert _metric(client, "qkart_outbox_jobs", state="failed") == 1.0
    assert _metric(client, "qkart_outbox_jobs", state="waiting") == 1.0


# -- payments failing ---------------------------------------------------------------


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[StripeStub]:
    with StripeStub() as stub:
        yield stub


@pytest.fixture
def card_client(make_app: Any, stripe_server: StripeStub, factory: Any) -> Iterator[Any]:
    stripe_server.reset()
    app = make_app(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_server.url,
        QKART_METRICS_TOKEN=TOKEN,
    )
    client = app.test_client()
    lamp = factory.product("Bonsai Lamp", price=6000, stock=4)
    client.post("/cart/items", data={"product_id": lamp.id, "quantity": 1})
    yield client
    stripe_server.reset()


def test_stripe_unreachable_counts_a_gateway_failure(card_client, stripe_server):
    before = _metric(card_client, "qkart_payments_failed_total", reason="gateway")
    stripe_server.fail_next("POST", "/v1/checkout/sessions", status=500, times=3)
    assert check_out(card_client, method="card").status_code == 303
    assert _metric(card_client, "qkart_payments_failed_total", reason="gateway") == before + 1


def test_a_declined_card_counts_a_declined_payment(card_client, stripe_server):
    before = _metric(card_client, "qkart_payments_failed_total", reason="declined")
    location = check_out(card_client, method="card").headers["Location"]
    session_id = location.rsplit("/", 1)[1]
    assert post_event(card_client, stripe_server.decline(session_id)).status_code == 200
    assert _metric(card_client, "qkart_payments_failed_total", reason="declined") == before + 1


# -- Sentry -------------------------------------------------------------------------


def test_without_a_dsn_sentry_is_never_imported(make_app, monkeypatch):
    from qkart.observability.sentry import init_sentry

    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # importing it would now fail
    app = make_app(SENTRY_DSN=None)
    assert init_sentry(app) is False
    assert app.test_client().get("/healthz").status_code == 200


def test_with_a_dsn_errors_go_to_sentry_without_personal_data(make_app, monkeypatch):
    import sentry_sdk
    import sentry_sdk.client
    from sentry_sdk.transport import Transport

    sent: list[Any] = []

    class Recording(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            sent.append(envelope)

    monkeypatch.setattr(sentry_sdk.client, "make_transport", lambda options: Recording(options))
    dsn = "https://public-key@127.0.0.1/42"
    try:
        app = make_app(SENTRY_DSN=dsn)
        client = sentry_sdk.get_client()
        assert client.dsn == dsn
        assert client.should_send_default_pii() is False
        assert client.options["environment"] == "testing"
        app.add_url_rule("/boom/<token>", "boom", _boom)
        response = app.test_client().get(
            "/boom/SecretLinkToken42", headers={"Cookie": "session=secret-cookie"}
        )
        assert response.status_code == 500
        client.flush(timeout=2)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
    events = [
        item.payload.json for envelope in sent for item in envelope.items if item.type == "event"
    ]
    [event] = events
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "stock ledger broke for [email]"
    assert event["request"]["url"] == "http://localhost/boom/[redacted]"
    assert "secret-cookie" not in json.dumps(event)
    assert "SecretLinkToken42" not in json.dumps(event)
    crumbs = [crumb["message"] for crumb in event["breadcrumbs"]["values"]]
    assert "checking the stock ledger of [email]" in crumbs
    frames = exception["stacktrace"]["frames"]
    assert frames and not any("vars" in frame for frame in frames)  # no local variables
    besides_source = {key: value for key, value in event.items() if key != "exception"}
    assert "shopper@example.com" not in json.dumps(besides_source)
    assert "user" not in event


def test_metrics_still_answer_when_redis_is_down(make_app):
    app = make_app(QKART_METRICS_TOKEN=TOKEN, REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "qkart_job_queue_depth" not in text
    assert 'qkart_outbox_jobs{state="failed"} 0.0' in text


# -- several processes, settings, the worker ---------------------------------------

COUNT_ONE_ORDER = "from qkart.observability.metrics import ORDERS_PLACED; ORDERS_PLACED.inc()"
SCRAPE = (
    "from qkart.observability.metrics import process_metrics; print(process_metrics().decode())"
)


def test_multiprocess_mode_adds_up_every_worker_process(tmp_path):
    """As under gunicorn: two processes count, a third one answers the scrape."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", COUNT_ONE_ORDER], env=env, check=True, timeout=60)
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, check=True, timeout=60, capture_output=True
    ).stdout.decode()
    assert _samples(scraped)[("qkart_orders_placed_total", ())] == 2.0


def test_log_format_is_json_in_production_and_checked(monkeypatch, tmp_path):
    from qkart.config import ConfigError, load_config

    production = {
        "QKART_ENV": "production",
        "SECRET_KEY": "k3y-for-the-observability-tests-9a8b7c6d5e4f",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}",
        "REDIS_URL": "redis://127.0.0.1:6379/8",
        "QKART_BASE_URL": "https://shop.example",
    }
    for name, value in production.items():
        monkeypatch.setenv(name, value)
    assert load_config(str(tmp_path))["QKART_LOG_FORMAT"] == "json"
    monkeypatch.setenv("QKART_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="QKART_LOG_FORMAT='xml': use json or text"):
        load_config(str(tmp_path))


def test_the_worker_logs_json_lines_naming_its_job(make_app, log_lines):
    rq_log = logging.getLogger("rq.worker")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    rq_log.addHandler(handler)
    try:
        logs.configure_worker_logging(make_app(QKART_LOG_FORMAT="json"))
        token = logs.job_context.set({"job_id": "qkart-outbox-7", "job": "qkart.jobs.runner.run"})
        try:
            rq_log.warning("job failed for buyer@example.com")
        finally:
            logs.job_context.reset(token)
    finally:
        rq_log.removeHandler(handler)
    line = json.loads(buffer.getvalue())
    assert line["logger"] == "rq.worker"
    assert line["message"] == "job failed for [email]"
    assert (line["job_id"], line["job"]) == ("qkart-outbox-7", "qkart.jobs.runner.run")
    assert line["request_id"] == "-"


def test_made_up_methods_and_unknown_urls_share_one_series_each(metrics_app):
    client = metrics_app.test_client()
    labels = {"endpoint": "unmatched", "method": "other", "status": "405"}
    before = _metric(client, "qkart_requests_total", **labels)
    assert client.open("/healthz", method="BREW").status_code == 405
    assert client.open("/healthz", method="XYZZY").status_code == 405
    assert _metric(client, "qkart_requests_total", **labels) == before + 2
    missing = {**labels, "method": "GET", "status": "404"}
    before = _metric(client, "qkart_requests_total", **missing)
    assert client.get("/no/such/page/7").status_code == 404
    assert _metric(client, "qkart_requests_total", **missing) == before + 1
