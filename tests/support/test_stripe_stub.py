"""Proves the Stripe stub behaves like Stripe for the official SDK, used exactly as QKart does."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.support.stripe_stub import API_VERSION, StripeStub, decode_form, sign

SECRET = "whsec_test_stub_secret"
SUCCESS_URL = "http://127.0.0.1:9/checkout/done?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://127.0.0.1:9/cart"


def session_params(**overrides):
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1234,
                    "product_data": {"name": "Enamel mug"},
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 500,
                    "product_data": {"name": "Green tea"},
                },
                "quantity": 1,
            },
        ],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "QK-1",
        "customer_email": "ada@example.com",
        "metadata": {"payment_id": "7"},
        "payment_intent_data": {"metadata": {"order": "QK-1", "payment_id": "7"}},
    }
    params.update(overrides)
    return params


def stub_threads():
    return [t for t in threading.enumerate() if t.name.startswith("stripe-stub")]


@pytest.fixture(autouse=True)
def _no_sdk_telemetry(monkeypatch):
    # stripe-python would otherwise create ~/.config/stripe/telemetry_id and send it along.
    monkeypatch.setattr(stripe, "enable_telemetry", False)


@pytest.fixture
def stub():
    # Other tests may keep a session-wide stub running: only this test's threads count.
    before = stub_threads()
    with StripeStub() as running:
        yield running
    assert [t for t in stub_threads() if t not in before] == []


@pytest.fixture
def client(stub):
    return stripe.StripeClient("sk_test_stub", base_addresses={"api": stub.url})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def browse(url, form=None):
    """GET (or POST a form to) a URL like a browser that does not follow redirects."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with _OPENER.open(urllib.request.Request(url, data=data), timeout=5) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read().decode()


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins the handler threads


@pytest.fixture
def receiver():
    """A stand-in for QKart's webhook endpoint that records what it is sent."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers.get("Stripe-Signature"), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            return

    server = _ReceiverServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/webhooks/stripe", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_decode_form_rebuilds_the_sdk_nesting():
    body = (
        "mode=payment&line_items[0][price_data][unit_amount]=1234&line_items[0][quantity]=2"
        "&line_items[1][quantity]=1&metadata[payment_id]=7&expand[0]=payment_intent"
        "&payment_intent_data[metadata][order]=QK-1&tags[]=a&tags[]=b&note=a+b%26c&empty="
    )
    assert decode_form(body) == {
        "mode": "payment",
        "line_items": [{"price_data": {"unit_amount": "1234"}, "quantity": "2"}, {"quantity": "1"}],
        "metadata": {"payment_id": "7"},
        "expand": ["payment_intent"],
        "payment_intent_data": {"metadata": {"order": "QK-1"}},
        "tags": ["a", "b"],
        "note": "a b&c",
        "empty": "",
    }
    with pytest.raises(ValueError):
        decode_form("a=1&a[b]=2")


def test_create_session_builds_a_checkout_session(stub, client):
    session = client.v1.checkout.sessions.create(params=session_params())

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.url == f"{stub.url}/pay/{session.id}"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.amount_total == 2 * 1234 + 500
    assert session.currency == "eur"
    assert session.metadata.to_dict() == {"payment_id": "7"}
    assert session.client_reference_id == "QK-1"
    assert session.customer_email == "ada@example.com"
    assert session.success_url == SUCCESS_URL
    assert session.payment_intent is None
    assert session.livemode is False
    assert session.expires_at - time.time() == pytest.approx(24 * 3600, abs=5)
    assert session.last_response.headers["Request-Id"].startswith("req_")

    (call,) = stub.calls("POST", "/v1/checkout/sessions")
    assert call.params["line_items"][0]["price_data"]["unit_amount"] == "1234"  # strings
    assert call.params["payment_intent_data"] == {"metadata": {"order": "QK-1", "payment_id": "7"}}
    assert call.headers["Authorization"] == "Bearer sk_test_stub"
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.headers["Stripe-Version"] == API_VERSION
    assert call.idempotency_key  # the SDK invents one for every POST


def test_same_idempotency_key_replays_and_different_params_are_refused(stub, client):
    options = {"idempotency_key": "k1"}
    first = client.v1.checkout.sessions.create(params=session_params(), options=options)
    again = client.v1.checkout.sessions.create(params=session_params(), options=options)

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert again.last_response.idempotency_key == "k1"
    assert len(stub.all("checkout.session")) == 1
    assert [c.idempotency_key for c in stub.calls("POST", "/v1/checkout")] == ["k1", "k1"]

    with pytest.raises(stripe.IdempotencyError) as excinfo:
        client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="QK-2"), options=options
        )
    assert excinfo.value.http_status == 400
    assert len(stub.all("checkout.session")) == 1

    # Stripe also ties a key to its endpoint.
    with pytest.raises(stripe.IdempotencyError):
        client.v1.refunds.create(params={"payment_intent": "pi_x"}, options=options)

    # GETs carry no key at all.
    client.v1.checkout.sessions.retrieve(first.id)
    assert stub.calls("GET", "/v1/checkout/sessions")[0].idempotency_key is None


def test_invalid_parameters_fail_like_stripe(client, stub):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.create(params=session_params(sucess_url="http://x"))
    assert excinfo.value.param == "sucess_url"
    assert "unknown parameter" in excinfo.value.user_message

    items = [{"price_data": {"currency": "eur", "unit_amount": 100, "product_data": {"name": "A"}}}]
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.create(params=session_params(line_items=items))
    assert excinfo.value.param == "line_items[0][quantity]"

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.create(params=session_params(expires_at=int(time.time()) + 60))
    assert excinfo.value.param == "expires_at"

    # A validation failure is not saved under the key: fixing the request with it works.
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(
            params=session_params(mode=None), options={"idempotency_key": "fix-me"}
        )
    fixed = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "fix-me"}
    )
    assert stub.all("checkout.session") == [stub.get(fixed.id)]


def test_retrieve_expire_and_unknown_ids(client, stub):
    session = client.v1.checkout.sessions.create(params=session_params())
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    assert stub.events[-1]["type"] == "checkout.session.expired"

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.expire(session.id)
    assert excinfo.value.http_status == 400
    assert "open" in excinfo.value.user_message

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert excinfo.value.http_status == 404
    assert excinfo.value.code == "resource_missing"

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.raw_request("get", "/v1/customers/cus_1")
    assert excinfo.value.http_status == 404
    assert "Unrecognized request URL" in excinfo.value.user_message


def test_complete_then_refund_in_parts(client, stub):
    session = client.v1.checkout.sessions.create(params=session_params())
    event = stub.complete(session.id)

    assert event["type"] == "checkout.session.completed"
    assert event["object"] == "event"
    assert event["id"].startswith("evt_test_")
    assert event["data"]["object"]["payment_status"] == "paid"
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.payment_intent.status == "succeeded"

    intent = client.v1.payment_intents.retrieve(event["data"]["object"]["payment_intent"])
    assert intent.object == "payment_intent"
    assert (intent.amount, intent.amount_received, intent.currency) == (2968, 2968, "eur")
    assert intent.metadata.to_dict() == {"order": "QK-1", "payment_id": "7"}
    assert intent.latest_charge.startswith("ch_test_")

    part = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 1000, "metadata": {"return": "R-1"}},
        options={"idempotency_key": "refund-1"},
    )
    assert (part.object, part.status, part.amount, part.currency) == (
        "refund",
        "succeeded",
        1000,
        "eur",
    )
    assert part.payment_intent == intent.id
    assert part.metadata.to_dict() == {"return": "R-1"}
    replay = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 1000, "metadata": {"return": "R-1"}},
        options={"idempotency_key": "refund-1"},
    )
    assert replay.id == part.id
    assert stub.refunded(intent.id) == 1000

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5000})
    assert excinfo.value.code == "amount_too_large"

    rest = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert rest.amount == 1968
    assert stub.refunded(intent.id) == 2968
    assert client.v1.charges.retrieve(intent.latest_charge).refunded is True

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert excinfo.value.code == "charge_already_refunded"

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create(params={"payment_intent": "pi_test_nope"})
    assert (excinfo.value.http_status, excinfo.value.param) == (400, "payment_intent")


def test_decline_keeps_the_session_open_and_a_later_payment_succeeds(client, stub):
    session = client.v1.checkout.sessions.create(params=session_params())
    failed = stub.decline(session.id)

    assert failed["type"] == "payment_intent.payment_failed"
    declined = failed["data"]["object"]
    assert declined["status"] == "requires_payment_method"
    assert declined["last_payment_error"]["code"] == "card_declined"
    assert declined["metadata"] == {"order": "QK-1", "payment_id": "7"}
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    with pytest.raises(stripe.InvalidRequestError):  # nothing to refund yet
        client.v1.refunds.create(params={"payment_intent": declined["id"]})

    paid = stub.complete(session.id)["data"]["object"]
    assert paid["payment_intent"] == declined["id"]
    assert client.v1.payment_intents.retrieve(declined["id"]).status == "succeeded"


def test_fail_next_gives_the_matching_sdk_errors(client, stub):
    stub.fail_next("POST", "/v1/checkout/sessions")
    with pytest.raises(stripe.APIError) as excinfo:
        client.v1.checkout.sessions.create(
            params=session_params(), options={"idempotency_key": "a"}
        )
    assert excinfo.value.http_status == 500
    assert len(stub.calls("POST", "/v1/checkout/sessions")) == 1  # StripeClient did not retry
    # A 5xx is not saved under the key: the retry does the work, once.
    retried = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "a"}
    )
    assert [s["id"] for s in stub.all("checkout.session")] == [retried.id]

    stub.fail_next(
        "POST",
        "/v1/checkout/sessions",
        402,
        "card_error",
        "Your card was declined.",
        "card_declined",
    )
    for _ in range(2):  # a 4xx is saved: the same key replays it
        with pytest.raises(stripe.CardError) as excinfo:
            client.v1.checkout.sessions.create(
                params=session_params(), options={"idempotency_key": "b"}
            )
        assert excinfo.value.code == "card_declined"

    stub.fail_refunds()
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create(params={"payment_intent": "pi_x"})
    assert excinfo.value.code == "balance_insufficient"


def test_lost_response_is_recovered_by_retrying_with_the_same_key(client, stub):
    stub.fail_next("POST", "/v1/checkout/sessions", status=0, after_processing=True)
    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(
            params=session_params(), options={"idempotency_key": "c"}
        )
    (created,) = stub.all("checkout.session")  # Stripe did the work...
    again = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "c"}
    )
    assert again.id == created["id"]  # ...and the retry gets that same session
    assert len(stub.all("checkout.session")) == 1


def test_only_test_keys_are_accepted(stub):
    live = stripe.StripeClient("sk_live_oops", base_addresses={"api": stub.url})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.checkout.sessions.create(params=session_params())
    assert stub.all("checkout.session") == []


def test_signature_is_what_the_sdk_verifies():
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {}}).encode()
    event = stripe.Webhook.construct_event(payload, sign(payload, SECRET), SECRET)
    assert event.id == "evt_1"

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign(payload, "whsec_other"), SECRET)
    stale = sign(payload, SECRET, timestamp=int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stale, SECRET)


def test_event_and_deliver(stub, receiver):
    url, received = receiver
    event = stub.event("charge.refunded", {"id": "ch_1", "object": "charge"})
    assert event["api_version"] == API_VERSION
    assert event["livemode"] is False
    assert event["pending_webhooks"] == 1
    assert event["data"] == {"object": {"id": "ch_1", "object": "charge"}}

    assert stub.deliver(event, url, SECRET) == 200
    ((path, signature, body),) = received
    assert path == "/webhooks/stripe"
    assert json.loads(body) == event
    assert stripe.Webhook.construct_event(body, signature, SECRET).type == "charge.refunded"
    assert stub.deliveries[-1].status == 200

    with pytest.raises(ValueError):
        stub.deliver(event, "http://example.com/webhooks/stripe", SECRET)


def test_hosted_page_pay_redirects_after_delivering_the_webhook(client, stub, receiver):
    url, received = receiver
    stub.webhook_url, stub.webhook_secret = url, SECRET
    session = client.v1.checkout.sessions.create(params=session_params())

    status, headers, page = browse(session.url)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    assert "<title>" in page
    assert "<main>" in page
    assert "<h1>Pay QKart</h1>" in page
    assert "29.68 EUR" in page
    assert '<button type="submit" name="action" value="pay">Pay</button>' in page
    assert "Use a declined card" in page
    assert f'<a href="{CANCEL_URL}">Cancel and go back</a>' in page

    status, headers, _ = browse(session.url, {"action": "pay"})
    assert status == 303
    assert headers["Location"] == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session.id)
    ((_, signature, body),) = received  # delivered before the redirect
    event = stripe.Webhook.construct_event(body, signature, SECRET)
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"

    status, _, page = browse(session.url)
    assert "This payment is complete" in page


def test_hosted_page_decline_shows_the_error_and_delivers(client, stub, receiver):
    url, received = receiver
    stub.webhook_url, stub.webhook_secret = url, SECRET
    session = client.v1.checkout.sessions.create(params=session_params())

    status, _, page = browse(session.url, {"action": "decline"})
    assert status == 402
    assert "Your card was declined." in page
    assert 'value="pay"' in page  # still payable
    ((_, signature, body),) = received
    event = stripe.Webhook.construct_event(body, signature, SECRET)
    assert event.type == "payment_intent.payment_failed"
    assert event.data.object.metadata.to_dict() == {"order": "QK-1", "payment_id": "7"}
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_hosted_page_of_an_expired_session(client, stub):
    session = client.v1.checkout.sessions.create(params=session_params())
    stub.expire_session(session.id)

    status, _, page = browse(session.url)
    assert status == 200
    assert "This payment page has expired" in page
    assert "Pay</button>" not in page
    status, _, _ = browse(session.url, {"action": "pay"})
    assert status == 409
    assert browse(f"{stub.url}/pay/cs_test_nope")[0] == 404


def test_lifecycle_reset_and_no_leftover_threads():
    before = stub_threads()
    stub = StripeStub()
    with pytest.raises(RuntimeError):
        _ = stub.url
    assert stub.start() is stub
    client = stripe.StripeClient("sk_test_stub", base_addresses={"api": stub.url})
    client.v1.checkout.sessions.create(params=session_params())
    stub.reset()
    assert stub.requests == []
    assert stub.all("checkout.session") == []

    idle = socket.create_connection(("127.0.0.1", int(stub.url.rsplit(":", 1)[1])))
    try:
        started = time.monotonic()
        stub.stop()
        assert time.monotonic() - started < 3
    finally:
        idle.close()
    stub.stop()  # a second stop is harmless
    assert [t for t in stub_threads() if t not in before] == []
