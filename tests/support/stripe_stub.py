"""A local stand-in for the Stripe API, to be driven through the official ``stripe`` SDK.

Why this exists: Stripe's servers can never be reached from the machines that run QKart's
tests, yet card payments go through ``stripe.StripeClient``. Pointing the real SDK at this
stub (``StripeClient(key, base_addresses={"api": stub.url})``) exercises everything the SDK
does for real - form encoding, headers, idempotency keys, mapping of errors to exception
classes - against a server that behaves like Stripe for the few endpoints QKart uses. The
stub also plays Stripe's other two roles: the hosted payment page a shopper is sent to, and
the sender of signed webhooks.

Implemented endpoints (anything else gets Stripe's 404 "Unrecognized request URL"):

* ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/<id>``,
  ``POST /v1/checkout/sessions/<id>/expire``
* ``GET /v1/payment_intents/<id>``, ``GET /v1/charges/<id>``
* ``POST /v1/refunds``, ``GET /v1/refunds/<id>``
* ``GET /v1/events/<id>`` (events made by the stub, so a webhook can be re-fetched)
* ``GET|POST /pay/<session id>``: the hosted payment page.

Only 127.0.0.1 is ever bound or contacted. Standard library only.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import socket
import socketserver
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "API_VERSION",
    "Delivery",
    "Recorded",
    "StripeStub",
    "decode_form",
    "sign",
]

#: The API version stripe-python 16.1.0 pins (``stripe._api_version._ApiVersion.CURRENT``);
#: it is sent as ``Stripe-Version`` on every request and used as the events' ``api_version``.
API_VERSION = "2026-10-28.endive"

#: What ``stripe.Webhook.construct_event`` accepts by default, in seconds.
WEBHOOK_TOLERANCE = 300

_LOOPBACK = "127.0.0.1"
_DAY = 24 * 60 * 60


def _names(text: str) -> frozenset[str]:
    """Whitespace-separated parameter names, kept compact and easy to diff against the SDK."""
    return frozenset(text.split())


# Top-level parameters the SDK (16.1.0) types allow, so that a typo in QKart (``sucess_url``)
# fails the way Stripe would ("Received unknown parameter") instead of passing silently.
_SESSION_PARAMS = _names(
    """
    adaptive_pricing after_expiration allow_promotion_codes allowed_payment_method_types
    automatic_tax billing_address_collection branding_settings cancel_url
    client_reference_id consent_collection currency custom_fields custom_text customer
    customer_account customer_creation customer_email customer_update discounts
    excluded_payment_method_types expand expires_at integration_identifier invoice_creation
    line_items locale managed_payments metadata mode name_collection optional_items
    origin_context payment_intent_data payment_method_collection
    payment_method_configuration payment_method_data payment_method_options
    payment_method_types permissions phone_number_collection redirect_on_completion
    return_url saved_payment_method_options setup_intent_data shipping_address_collection
    shipping_options submit_type subscription_data success_url tax_id_collection ui_mode
    wallet_options
    """
)
_LINE_ITEM_PARAMS = _names("adjustable_quantity metadata price price_data quantity tax_rates")
_PRICE_DATA_PARAMS = _names(
    "currency product product_data recurring tax_behavior unit_amount unit_amount_decimal"
)
_PRODUCT_DATA_PARAMS = _names("description images metadata name tax_code tax_details unit_label")
_PI_DATA_PARAMS = _names(
    """
    application_fee_amount capture_method description metadata on_behalf_of receipt_email
    setup_future_usage shipping statement_descriptor statement_descriptor_suffix
    transfer_data transfer_group
    """
)
_REFUND_PARAMS = _names(
    """
    amount charge currency customer expand instructions_email metadata origin payment_intent
    reason refund_application_fee reverse_transfer
    """
)
_REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})

# Stripe's minimum charge amounts (smallest unit) for the currencies a European shop meets;
# Checkout refuses a session whose total is positive but below them.
_MINIMUM_AMOUNTS = {
    "aud": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "huf": 17500,
    "jpy": 50,
    "nok": 300,
    "pln": 200,
    "sek": 300,
    "usd": 50,
}

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_INT_RE = re.compile(r"^-?\d+$")


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Return a ``Stripe-Signature`` header value for ``payload``.

    This is exactly the scheme ``stripe.Webhook.construct_event`` verifies (HMAC-SHA256 of
    ``f"{t}.{payload}"`` keyed with the endpoint secret, tolerance 300 s), so tests can forge
    valid - or deliberately stale, with an old ``timestamp`` - webhook deliveries.
    """
    ts = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode("utf-8"), f"{ts}.".encode() + payload, hashlib.sha256)
    return f"t={ts},v1={mac.hexdigest()}"


def decode_form(body: str) -> dict[str, Any]:
    """Decode a form body the way Stripe reads the SDK's encoding.

    The SDK flattens nested params into bracketed keys (``line_items[0][quantity]=2``,
    ``metadata[order]=QK-1``, ``expand[0]=payment_intent``). This rebuilds the nesting: dicts
    whose keys are all indices become lists (ordered by index), ``a[]=x`` appends, and every
    leaf stays a string, because that is all Stripe receives. Raises ``ValueError`` when a key
    is used both as a value and as a hash (``a=1&a[b]=2``).
    """
    root: dict[str, Any] = {}
    for raw_key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        match = _KEY_RE.match(raw_key)
        if match:
            parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        else:
            parts = [raw_key]
        node = root
        for depth, part in enumerate(parts):
            name = str(len(node)) if part == "" else part
            if depth == len(parts) - 1:
                if isinstance(node.get(name), dict):
                    raise ValueError(f"Invalid hash: {raw_key} is also used as a hash")
                node[name] = value
            else:
                child = node.setdefault(name, {})
                if not isinstance(child, dict):
                    raise ValueError(f"Invalid hash: {raw_key} nests into a plain value")
                node = child
    return {key: _listify(value) for key, value in root.items()}


def _listify(value: Any) -> Any:
    """Turn ``{"0": a, "1": b}`` into ``[a, b]``, recursively (see ``decode_form``)."""
    if not isinstance(value, dict):
        return value
    items = {key: _listify(child) for key, child in value.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


class _Headers(dict):
    """Request headers with case-insensitive lookups (keys are stored lower-case).

    HTTP header names are case-insensitive, and the SDK's spelling (``Idempotency-Key``,
    ``Stripe-Version``) should not matter to a test asserting on them.
    """

    def __init__(self, items: Any = ()) -> None:
        super().__init__((str(key).lower(), value) for key, value in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        """Case-insensitive ``dict.get``."""
        return super().get(key.lower(), default)


@dataclass(frozen=True)
class Recorded:
    """One request as the stub received it, so tests can assert on what QKart sent."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    headers: dict[str, str]


@dataclass(frozen=True)
class Delivery:
    """One webhook POST made by the stub; ``status`` is 0 when the app could not be reached."""

    event_id: str
    event_type: str
    url: str
    status: int
    body: str


class _ApiError(Exception):
    """A Stripe-shaped error response; ``store=False`` for validation failures, which Stripe
    does not save under an idempotency key (the endpoint never started executing)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        store: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.store = store

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        for name in ("code", "param", "decline_code"):
            if getattr(self, name) is not None:
                error[name] = getattr(self, name)
        return {"error": error}


@dataclass
class _FailRule:
    method: str
    path_prefix: str
    status: int
    error_type: str
    message: str
    code: str | None
    remaining: int | None
    after_processing: bool

    def error(self) -> _ApiError:
        return _ApiError(self.status, self.message, type_=self.error_type, code=self.code)


@dataclass(frozen=True)
class _Stored:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: dict[str, Any]
    request_id: str


_DROP = object()  # "answer nothing, close the socket" (a simulated network failure)


def _missing(param: str) -> _ApiError:
    return _ApiError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param, store=False
    )


def _invalid(message: str, param: str) -> _ApiError:
    return _ApiError(400, message, code="parameter_invalid", param=param, store=False)


def _check_known(params: Any, allowed: frozenset[str], prefix: str = "") -> dict[str, Any]:
    if not isinstance(params, dict):
        raise _invalid("Invalid object", prefix)
    for key in params:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise _ApiError(
                400,
                f"Received unknown parameter: {name}",
                code="parameter_unknown",
                param=name,
                store=False,
            )
    return params


def _to_int(value: Any, param: str, minimum: int | None = None) -> int:
    text = str(value)
    if not _INT_RE.match(text):
        raise _invalid(f"Invalid integer: {text}", param)
    number = int(text)
    if minimum is not None and number < minimum:
        raise _invalid(f"This value must be greater than or equal to {minimum}.", param)
    return number


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid("Invalid object", param)
    if len(value) > 50:
        raise _invalid("Invalid metadata: metadata can have up to 50 keys.", param)
    out: dict[str, str] = {}
    for key, item in value.items():
        name = f"{param}[{key}]"
        if not isinstance(item, str):
            raise _invalid(f"Invalid value type: {name} must be a string", name)
        if len(key) > 40:
            raise _invalid("Invalid metadata: keys can be at most 40 characters long.", name)
        if len(item) > 500:
            raise _invalid("Invalid metadata: values can be at most 500 characters long.", name)
        if item != "":  # an empty string unsets a key in Stripe
            out[key] = item
    return out


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency.upper()}"


class _Server(ThreadingHTTPServer):
    """A threading server that remembers its connection threads so ``stop()`` can end them."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, stub: StripeStub) -> None:
        self.stub = stub
        self._conns: dict[threading.Thread, socket.socket] = {}
        self._conns_lock = threading.Lock()
        super().__init__((_LOOPBACK, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup we neither need nor want.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_one,
            args=(request, client_address),
            name="stripe-stub-conn",
            daemon=True,
        )
        with self._conns_lock:
            self._conns[thread] = request
        thread.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Only socket-level trouble (a client hanging up) gets here: stay quiet.
        return

    def close_connections(self, grace: float = 0.5) -> None:
        """Wait briefly for in-flight requests, then cut idle connections (e.g. a browser's
        speculative pre-connect) so no thread outlives the stub."""
        deadline = time.monotonic() + grace
        with self._conns_lock:
            pending = list(self._conns.items())
        for thread, _ in pending:
            thread.join(max(0.0, deadline - time.monotonic()))
        for thread, sock in pending:
            if thread.is_alive():
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                thread.join(1.0)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers after a test
    server_version = "StripeStub/1.0"
    sys_version = ""
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by design: tests read ``stub.requests`` instead of a log on stderr.
        return

    def do_GET(self) -> None:
        self.server.stub._handle(self)

    do_POST = do_GET
    do_DELETE = do_GET


class StripeStub:
    """A fake Stripe API on 127.0.0.1 plus the hosted payment page and webhook sender.

    Use as ``with StripeStub() as stub: ...`` or ``stub = StripeStub().start()`` /
    ``stub.stop()``. Set ``webhook_url`` and ``webhook_secret`` to have the hosted page
    deliver ``checkout.session.completed`` / ``payment_intent.payment_failed`` to the app;
    set ``api_key`` to insist on one exact key (otherwise any ``sk_test_``/``rk_test_`` key).
    """

    def __init__(self) -> None:
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.api_key: str | None = None
        self.requests: list[Recorded] = []
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self._lock = threading.RLock()
        self._objects: dict[str, dict[str, Any]] = {}
        self._pi_data: dict[str, dict[str, Any]] = {}
        self._idempotency: dict[tuple[str, str], _Stored] = {}
        self._fail_rules: list[_FailRule] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> StripeStub:
        """Bind a free port on 127.0.0.1 and serve from a daemon thread; returns ``self``."""
        if self._server is not None:
            raise RuntimeError("StripeStub is already running")
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-stub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and wait for every thread the stub started."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(5)

    def __enter__(self) -> StripeStub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base address for ``StripeClient(..., base_addresses={"api": stub.url})``."""
        if self._server is None:
            raise RuntimeError("StripeStub is not running; call start() first")
        return f"http://{_LOOPBACK}:{self._server.server_port}"

    def reset(self) -> None:
        """Forget every object, recorded request, idempotency key, failure switch, event and
        delivery, so one running stub can serve many tests (webhook settings are kept)."""
        with self._lock:
            self.requests.clear()
            self.events.clear()
            self.deliveries.clear()
            self._objects.clear()
            self._pi_data.clear()
            self._idempotency.clear()
            self._fail_rules.clear()

    # -- inspection ----------------------------------------------------------------------

    def calls(self, method: str, path_prefix: str = "/") -> list[Recorded]:
        """Recorded requests with this method whose path starts with ``path_prefix``."""
        with self._lock:
            return [
                rec
                for rec in self.requests
                if rec.method == method.upper() and rec.path.startswith(path_prefix)
            ]

    def get(self, object_id: str) -> dict[str, Any]:
        """A copy of a stored object (session, intent, charge, refund, event) by id."""
        with self._lock:
            return copy.deepcopy(self._objects[object_id])

    def all(self, object_type: str) -> list[dict[str, Any]]:
        """Copies of every stored object of a type, e.g. ``stub.all("checkout.session")``."""
        with self._lock:
            return [
                copy.deepcopy(obj)
                for obj in self._objects.values()
                if obj.get("object") == object_type
            ]

    def refunded(self, payment_intent_id: str) -> int:
        """Total refunded so far on a PaymentIntent (its charge's ``amount_refunded``)."""
        with self._lock:
            charge_id = self._objects[payment_intent_id].get("latest_charge")
            return self._objects[charge_id]["amount_refunded"] if charge_id else 0

    # -- failure switches -------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int = 500,
        error_type: str = "api_error",
        message: str = "Something went wrong on Stripe's end. (injected by StripeStub)",
        code: str | None = None,
        times: int | None = 1,
        *,
        after_processing: bool = False,
    ) -> None:
        """Make the next ``times`` matching requests fail (``times=None``: until
        ``clear_failures()``), to test QKart's error handling.

        ``status=0`` drops the connection without an answer (the SDK raises
        ``APIConnectionError``). With ``after_processing=True`` the request is carried out
        (and saved under its idempotency key) before the error replaces the answer: the
        "Stripe did it but the reply was lost" case, which a retry with the same key must
        recover from. Errors with ``status >= 500`` are never saved for idempotency.
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for 'until cleared')")
        rule = _FailRule(
            method.upper(), path_prefix, status, error_type, message, code, times, after_processing
        )
        with self._lock:
            self._fail_rules.append(rule)

    def fail_refunds(
        self,
        message: str = "You have insufficient funds in your Stripe account for this refund.",
        code: str | None = "balance_insufficient",
        times: int | None = 1,
    ) -> None:
        """Shortcut: refuse the next refund(s) with a 400 ``invalid_request_error``."""
        self.fail_next("POST", "/v1/refunds", 400, "invalid_request_error", message, code, times)

    def clear_failures(self) -> None:
        """Remove every pending ``fail_next`` / ``fail_refunds`` switch."""
        with self._lock:
            self._fail_rules.clear()

    def _take_rule(self, method: str, path: str) -> _FailRule | None:
        with self._lock:
            for rule in self._fail_rules:
                if rule.method == method and path.startswith(rule.path_prefix):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining <= 0:
                            self._fail_rules.remove(rule)
                    return rule
        return None

    # -- driving a payment (what the hosted page and Stripe's backend would do) ------------

    def complete(self, session_id: str) -> dict[str, Any]:
        """Pay an open session: it becomes complete/paid with a succeeded PaymentIntent
        (amount_total, metadata from ``payment_intent_data``) and a charge. Returns the
        ``checkout.session.completed`` event (not delivered: see ``deliver``)."""
        with self._lock:
            session = self._open_session(session_id)
            intent = self._intent_for(session)
            charge_id = self._new_id("ch")
            self._objects[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": intent["amount"],
                "amount_captured": intent["amount"],
                "amount_refunded": 0,
                "captured": True,
                "currency": intent["currency"],
                "metadata": copy.deepcopy(intent["metadata"]),
                "paid": True,
                "payment_intent": intent["id"],
                "refunded": False,
                "status": "succeeded",
                "created": int(time.time()),
                "livemode": False,
            }
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                latest_charge=charge_id,
                last_payment_error=None,
            )
            session.update(status="complete", payment_status="paid", url=None)
            return self.event("checkout.session.completed", session)

    def decline(self, session_id: str) -> dict[str, Any]:
        """Simulate a declined card: the session's PaymentIntent is created (or updated) with
        ``requires_payment_method`` and a ``card_declined`` error; the session stays open.
        Returns the ``payment_intent.payment_failed`` event."""
        with self._lock:
            session = self._open_session(session_id)
            intent = self._intent_for(session)
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                },
            )
            return self.event("payment_intent.payment_failed", intent)

    def expire_session(self, session_id: str) -> dict[str, Any]:
        """Expire an open session (as Stripe does at ``expires_at``); returns the
        ``checkout.session.expired`` event."""
        with self._lock:
            return self._expire(self._open_session(session_id))

    def event(self, type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Build (and remember, see ``events`` and ``GET /v1/events/<id>``) a v1 event whose
        ``data.object`` is a snapshot of ``obj``, shaped like Stripe's webhook payloads."""
        event_id = self._new_id("evt")
        event = {
            "id": event_id,
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }
        with self._lock:
            self._objects[event_id] = event
            self.events.append(event)
            return copy.deepcopy(event)

    def deliver(self, event: dict[str, Any], url: str, secret: str, timeout: float = 10) -> int:
        """POST ``event`` to the app like Stripe's webhook sender and return the HTTP status.

        The body is ``json.dumps(event)``, signed with a fresh ``Stripe-Signature``; redirects
        are not followed (Stripe counts a 3xx as a failed delivery). Only
        ``http://127.0.0.1`` URLs are allowed. Connection errors propagate as ``URLError``.
        """
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or parts.hostname != _LOOPBACK:
            raise ValueError(f"StripeStub only delivers to http://{_LOOPBACK}, not {url!r}")
        payload = json.dumps(event).encode()
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign(payload, secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        try:
            with opener.open(request, timeout=timeout) as response:
                status, text = response.status, response.read(4000)
        except urllib.error.HTTPError as exc:
            with exc:
                status, text = exc.code, exc.read(4000)
        self._record_delivery(event, url, status, text.decode("utf-8", "replace"))
        return status

    def _record_delivery(self, event: dict[str, Any], url: str, status: int, body: str) -> None:
        with self._lock:
            self.deliveries.append(
                Delivery(str(event.get("id")), str(event.get("type")), url, status, body)
            )

    # -- object helpers (call with the lock held) ------------------------------------------

    @staticmethod
    def _new_id(prefix: str) -> str:
        return f"{prefix}_test_{secrets.token_hex(12)}"

    def _open_session(self, session_id: str) -> dict[str, Any]:
        session = self._objects.get(session_id)
        if session is None or session.get("object") != "checkout.session":
            raise KeyError(f"no such Checkout Session: {session_id!r}")
        if session["status"] != "open":
            raise ValueError(f"Checkout Session {session_id} is {session['status']}, not open")
        return session

    def _intent_for(self, session: dict[str, Any]) -> dict[str, Any]:
        existing = session.get("payment_intent")
        if existing and existing in self._objects:
            return self._objects[existing]
        data = self._pi_data.get(session["id"], {})
        intent_id = self._new_id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": session["currency"],
            "description": data.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "metadata": copy.deepcopy(data.get("metadata", {})),
            "status": "requires_payment_method",
            "created": int(time.time()),
            "livemode": False,
        }
        self._objects[intent_id] = intent
        session["payment_intent"] = intent_id
        return intent

    def _expire(self, session: dict[str, Any]) -> dict[str, Any]:
        session.update(status="expired", url=None)
        return self.event("checkout.session.expired", session)

    def _find(self, object_id: str, object_type: str, param: str | None = None) -> dict:
        obj = self._objects.get(object_id)
        if obj is None or obj.get("object") != object_type:
            # An unknown id in the URL is a 404; an unknown id passed as a parameter is a 400.
            raise _ApiError(
                404 if param is None else 400,
                f"No such {object_type}: '{object_id}'",
                code="resource_missing",
                param=param or "id",
                store=param is None,
            )
        return obj

    def _view(self, obj: dict[str, Any], expand: Any) -> dict[str, Any]:
        """A copy of ``obj`` with the ``expand`` paths replaced by the objects they name."""
        out = copy.deepcopy(obj)
        if expand in (None, ""):
            return out
        paths = [expand] if isinstance(expand, str) else expand
        if not isinstance(paths, list):
            raise _invalid("Invalid array", "expand")
        for path in paths:
            self._expand_path(out, str(path).split("."), str(path))
        return out

    def _expand_path(self, node: Any, parts: list[str], full: str) -> None:
        name = parts[0]
        if not isinstance(node, dict) or name not in node:
            raise _invalid(f"This property cannot be expanded ({full}).", "expand")
        value = node[name]
        if isinstance(value, str):
            if value not in self._objects:
                raise _invalid(f"This property cannot be expanded ({full}).", "expand")
            value = node[name] = copy.deepcopy(self._objects[value])
        if len(parts) > 1 and value is not None:
            self._expand_path(value, parts[1:], full)

    # -- API endpoints (called with the lock held) -----------------------------------------

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        _check_known(params, _SESSION_PARAMS)
        mode = params.get("mode")
        if not mode:
            raise _missing("mode")
        if mode not in ("payment", "setup", "subscription"):
            raise _invalid(
                f"Invalid mode: must be one of payment, setup, or subscription (got {mode})",
                "mode",
            )
        if mode != "payment":
            raise _invalid("StripeStub only implements mode=payment Checkout Sessions.", "mode")
        items = params.get("line_items")
        if not items:
            raise _missing("line_items")
        if not isinstance(items, list):
            raise _invalid("Invalid array", "line_items")
        total, currency = 0, None
        for index, item in enumerate(items):
            amount, item_currency = self._line_item_amount(item, f"line_items[{index}]")
            if currency is not None and item_currency != currency:
                raise _invalid("All line items must use the same currency.", f"line_items[{index}]")
            currency = item_currency
            total += amount
        assert currency is not None
        minimum = _MINIMUM_AMOUNTS.get(currency)
        if minimum is not None and 0 < total < minimum:
            raise _invalid(
                "The Checkout Session's total amount due must add up to at least "
                f"{_money(minimum, currency)}",
                "line_items",
            )
        now = int(time.time())
        expires_at = now + _DAY
        if params.get("expires_at") not in (None, ""):
            expires_at = _to_int(params["expires_at"], "expires_at")
            if not now + 30 * 60 - 10 <= expires_at <= now + _DAY + 10:
                raise _invalid(
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours "
                    "from Checkout Session creation.",
                    "expires_at",
                )
        for name in ("success_url", "cancel_url"):
            value = params.get(name)
            if value is not None and not re.match(r"^https?://[^/\s]+", str(value)):
                raise _invalid("Not a valid URL", name)
        reference = params.get("client_reference_id")
        if reference is not None and len(str(reference)) > 200:
            raise _invalid(
                "client_reference_id must be at most 200 characters.", "client_reference_id"
            )
        email = params.get("customer_email")
        if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", str(email)):
            raise _invalid(f"Invalid email address: {email}", "customer_email")
        pi_data = _check_known(
            params.get("payment_intent_data", {}), _PI_DATA_PARAMS, "payment_intent_data"
        )
        pi_metadata = _metadata(pi_data.get("metadata"), "payment_intent_data[metadata]")
        metadata = _metadata(params.get("metadata"), "metadata")

        session_id = self._new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": reference,
            "created": now,
            "currency": currency,
            "customer": params.get("customer"),
            "customer_email": email,
            "expires_at": expires_at,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "ui_mode": params.get("ui_mode", "hosted"),
            "url": f"{self.url}/pay/{session_id}",
        }
        self._objects[session_id] = session
        self._pi_data[session_id] = {
            "metadata": pi_metadata,
            "description": pi_data.get("description"),
        }
        return self._view(session, params.get("expand"))

    @staticmethod
    def _line_item_amount(item: Any, prefix: str) -> tuple[int, str]:
        _check_known(item, _LINE_ITEM_PARAMS, prefix)
        if "price" in item:
            if "price_data" in item:
                raise _invalid(
                    "You may only specify one of these parameters: price, price_data.", prefix
                )
            # The stub keeps no Price objects: use price_data (as QKart does).
            raise _ApiError(
                400,
                f"No such price: '{item['price']}'",
                code="resource_missing",
                param=f"{prefix}[price]",
                store=False,
            )
        if "price_data" not in item:
            raise _missing(f"{prefix}[price_data]")
        price = _check_known(item["price_data"], _PRICE_DATA_PARAMS, f"{prefix}[price_data]")
        currency = str(price.get("currency") or "").lower()
        if not currency:
            raise _missing(f"{prefix}[price_data][currency]")
        if not re.match(r"^[a-z]{3}$", currency):
            raise _invalid(f"Invalid currency: {currency}", f"{prefix}[price_data][currency]")
        if "recurring" in price:
            raise _invalid(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                f"{prefix}[price_data][recurring]",
            )
        if "product" not in price:
            product = price.get("product_data")
            if product is None:
                raise _missing(f"{prefix}[price_data][product_data]")
            _check_known(product, _PRODUCT_DATA_PARAMS, f"{prefix}[price_data][product_data]")
            if not product.get("name"):
                raise _missing(f"{prefix}[price_data][product_data][name]")
        if "unit_amount" in price:
            unit = _to_int(price["unit_amount"], f"{prefix}[price_data][unit_amount]", 0)
        elif "unit_amount_decimal" in price:
            param = f"{prefix}[price_data][unit_amount_decimal]"
            try:
                decimal = Decimal(str(price["unit_amount_decimal"]))
            except InvalidOperation:
                raise _invalid("Invalid decimal", param) from None
            if decimal != decimal.to_integral_value() or decimal < 0:
                raise _invalid("StripeStub only supports whole unit_amount_decimal values", param)
            unit = int(decimal)
        else:
            raise _missing(f"{prefix}[price_data][unit_amount]")
        if "quantity" not in item:
            raise _ApiError(
                400,
                f"Quantity is required. Add `quantity` to `{prefix}`.",
                code="parameter_missing",
                param=f"{prefix}[quantity]",
                store=False,
            )
        quantity = _to_int(item["quantity"], f"{prefix}[quantity]", 1)
        return unit * quantity, currency

    def _get_session(self, params: dict[str, Any], session_id: str) -> dict[str, Any]:
        _check_known(params, frozenset({"expand"}))
        return self._view(self._find(session_id, "checkout.session"), params.get("expand"))

    def _api_expire_session(self, params: dict[str, Any], session_id: str) -> dict[str, Any]:
        _check_known(params, frozenset({"expand"}))
        session = self._find(session_id, "checkout.session")
        if session["status"] != "open":
            raise _ApiError(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
                f'Session has a status of "{session["status"]}".',
                code="checkout_session_not_open",
            )
        self._expire(session)  # the event lands in ``stub.events``; tests deliver it if needed
        return self._view(session, params.get("expand"))

    def _get_payment_intent(self, params: dict[str, Any], intent_id: str) -> dict[str, Any]:
        _check_known(params, frozenset({"expand", "client_secret"}))
        return self._view(self._find(intent_id, "payment_intent"), params.get("expand"))

    def _get_charge(self, params: dict[str, Any], charge_id: str) -> dict[str, Any]:
        _check_known(params, frozenset({"expand"}))
        return self._view(self._find(charge_id, "charge"), params.get("expand"))

    def _get_refund(self, params: dict[str, Any], refund_id: str) -> dict[str, Any]:
        _check_known(params, frozenset({"expand"}))
        return self._view(self._find(refund_id, "refund"), params.get("expand"))

    def _get_event(self, params: dict[str, Any], event_id: str) -> dict[str, Any]:
        _check_known(params, frozenset({"expand"}))
        return self._view(self._find(event_id, "event"), params.get("expand"))

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        _check_known(params, _REFUND_PARAMS)
        if params.get("payment_intent"):
            intent = self._find(str(params["payment_intent"]), "payment_intent", "payment_intent")
        elif params.get("charge"):
            charge = self._find(str(params["charge"]), "charge", "charge")
            intent = self._find(charge["payment_intent"], "payment_intent", "charge")
        else:
            raise _ApiError(
                400,
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
                store=False,
            )
        reason = params.get("reason")
        if reason not in (None, "") and reason not in _REFUND_REASONS:
            raise _invalid(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                "reason",
            )
        metadata = _metadata(params.get("metadata"), "metadata")
        amount = None
        if params.get("amount") not in (None, ""):
            amount = _to_int(params["amount"], "amount")
            if amount < 1:
                raise _invalid("Invalid positive integer", "amount")
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise _ApiError(
                400,
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                code="payment_intent_unexpected_state",
                param="payment_intent",
            )
        charge = self._objects[intent["latest_charge"]]
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise _ApiError(
                400,
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise _ApiError(
                400,
                f"Refund amount ({_money(amount, charge['currency'])}) is greater than "
                f"unrefunded amount on charge ({_money(remaining, charge['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        refund_id = self._new_id("re")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "metadata": metadata,
            "payment_intent": intent["id"],
            "reason": reason or None,
            "status": "succeeded",
        }
        self._objects[refund_id] = refund
        return self._view(refund, params.get("expand"))

    _ROUTES = (
        ("POST", re.compile(r"^/v1/checkout/sessions$"), _create_session),
        ("GET", re.compile(r"^/v1/checkout/sessions/([^/]+)$"), _get_session),
        ("POST", re.compile(r"^/v1/checkout/sessions/([^/]+)/expire$"), _api_expire_session),
        ("GET", re.compile(r"^/v1/payment_intents/([^/]+)$"), _get_payment_intent),
        ("GET", re.compile(r"^/v1/charges/([^/]+)$"), _get_charge),
        ("POST", re.compile(r"^/v1/refunds$"), _create_refund),
        ("GET", re.compile(r"^/v1/refunds/([^/]+)$"), _get_refund),
        ("GET", re.compile(r"^/v1/events/([^/]+)$"), _get_event),
    )

    def _dispatch(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        for route_method, pattern, endpoint in self._ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                groups = [urllib.parse.unquote(group) for group in match.groups()]
                return endpoint(self, params, *groups)
        raise _ApiError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
            store=False,
        )

    # -- HTTP plumbing -------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        """Entry point for every request: record it, then serve the page or the API."""
        split = urllib.parse.urlsplit(handler.path)
        method, path = handler.command.upper(), split.path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode("utf-8", "replace") if length > 0 else ""
        headers = _Headers(handler.headers.items())
        parse_error = None
        try:
            params = decode_form(split.query)
            if body:
                params.update(decode_form(body))
        except ValueError as exc:
            params, parse_error = {}, _ApiError(400, str(exc), store=False)
        key = headers.get("idempotency-key") or None
        with self._lock:
            self.requests.append(Recorded(method, path, copy.deepcopy(params), key, headers))
        rule = self._take_rule(method, path)
        if path.startswith("/pay/") and (rule is None or rule.status != 0):
            if rule is None:
                self._serve_page(handler, method, path, params)
            else:  # an injected failure of the hosted page itself
                page = _page("Something went wrong", f"<p>{html.escape(rule.message)}</p>")
                self._html(handler, rule.status, page)
            return
        request_id = f"req_{secrets.token_hex(7)}"
        result = self._api(method, path, params, headers, key, rule, parse_error, request_id)
        if result is _DROP:
            handler.close_connection = True
            return
        status, payload, extra = result
        extra["Request-Id"] = request_id
        extra["Stripe-Version"] = headers.get("stripe-version") or API_VERSION
        if key and method == "POST":
            extra["Idempotency-Key"] = key
        self._send(handler, status, json.dumps(payload).encode(), "application/json", extra)

    def _api(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        headers: _Headers,
        key: str | None,
        rule: _FailRule | None,
        parse_error: _ApiError | None,
        request_id: str,
    ) -> Any:
        """Compute ``(status, body, extra headers)`` for an API request, or ``_DROP``."""
        scope = (headers.get("authorization", ""), key or "")
        remember = method == "POST" and bool(key)
        if rule is not None and not rule.after_processing:
            # The injected failure wins even over a stored answer: "the next request fails".
            if rule.status == 0:
                return _DROP
            status, payload = rule.status, rule.error().body()
            if remember and status < 500:
                stored = _Stored(method, path, copy.deepcopy(params), status, payload, request_id)
                with self._lock:
                    self._idempotency.setdefault(scope, stored)
            return status, payload, {}
        for error in (parse_error, self._auth_error(headers)):
            if error is not None:
                return error.status, error.body(), {}
        if key is not None and len(key) > 255:
            error = _invalid("Idempotency-Key must be at most 255 characters.", "Idempotency-Key")
            return error.status, error.body(), {}
        with self._lock:
            stored = self._idempotency.get(scope) if remember else None
            if stored is not None:
                return self._replay(stored, method, path, params, str(key))
            try:
                status, payload, store = 200, self._dispatch(method, path, params), True
            except _ApiError as exc:
                status, payload, store = exc.status, exc.body(), exc.store
            except Exception as exc:  # a bug in the stub: answer like Stripe's 500
                error = _ApiError(500, f"StripeStub crashed: {exc!r}", type_="api_error")
                status, payload, store = 500, error.body(), False
            if remember and store and status < 500:
                self._idempotency[scope] = _Stored(
                    method, path, copy.deepcopy(params), status, payload, request_id
                )
        if rule is not None and rule.after_processing:
            return _DROP if rule.status == 0 else (rule.status, rule.error().body(), {})
        return status, payload, {}

    @staticmethod
    def _replay(
        stored: _Stored, method: str, path: str, params: dict[str, Any], key: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if (stored.method, stored.path) != (method, path):
            message = (
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{stored.method} {stored.path}' vs '{method} {path}'). Try "
                f"using a key other than '{key}' if you meant to execute a different request."
            )
        elif stored.params != params:
            message = (
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
        else:
            return (
                stored.status,
                copy.deepcopy(stored.body),
                {"Idempotent-Replayed": "true", "Original-Request": stored.request_id},
            )
        error = _ApiError(400, message, type_="idempotency_error", store=False)
        return error.status, error.body(), {}

    def _auth_error(self, headers: _Headers) -> _ApiError | None:
        auth = headers.get("authorization", "")
        key = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        if not key:
            return _ApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
                store=False,
            )
        wrong = key != self.api_key if self.api_key is not None else False
        if wrong or not key.startswith(("sk_test_", "rk_test_")):
            masked = key[:8] + "*" * max(0, len(key) - 12) + key[-4:]
            return _ApiError(
                401, f"Invalid API Key provided: {masked}", code="api_key_invalid", store=False
            )
        return None

    @staticmethod
    def _send(
        handler: _Handler,
        status: int,
        body: bytes,
        content_type: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Cache-Control", "no-cache, no-store")
        for name, value in (extra or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    # -- hosted payment page -------------------------------------------------------------

    def _serve_page(
        self, handler: _Handler, method: str, path: str, params: dict[str, Any]
    ) -> None:
        """What Stripe's hosted Checkout page does, reduced to two buttons."""
        session_id = urllib.parse.unquote(path[len("/pay/") :].strip("/"))
        with self._lock:
            found = self._objects.get(session_id)
            session = (
                copy.deepcopy(found) if found and found["object"] == "checkout.session" else None
            )
        if session is None:
            self._html(handler, 404, _page("Payment page not found", "<p>No such payment.</p>"))
            return
        if method == "GET":
            self._html(handler, 200, _render_pay_page(session))
            return
        if method != "POST":
            self._html(handler, 405, _page("Method not allowed", "<p>Use GET or POST.</p>"))
            return
        action = params.get("action")
        if action not in ("pay", "decline"):
            self._html(handler, 400, _render_pay_page(session, error="Choose Pay or Decline."))
            return
        try:
            event = self.complete(session_id) if action == "pay" else self.decline(session_id)
        except ValueError:  # not open any more (a double submit, or expired meanwhile)
            session = self.get(session_id)
            if session["status"] == "complete" and session.get("success_url"):
                self._redirect(handler, session)
            else:
                self._html(handler, 409, _render_pay_page(session))
            return
        if self.webhook_url:
            if not self.webhook_secret:
                message = "StripeStub.webhook_url is set but webhook_secret is not."
                self._html(handler, 500, _page("Stub misconfigured", f"<p>{message}</p>"))
                return
            # Synchronously, with the lock released: the app may call back into the stub.
            try:
                self.deliver(event, self.webhook_url, self.webhook_secret)
            except (
                OSError
            ) as exc:  # the app is down: Stripe would retry later, the shopper moves on
                self._record_delivery(event, self.webhook_url, 0, repr(exc))
            except ValueError as exc:  # not a 127.0.0.1 URL
                self._html(
                    handler, 500, _page("Stub misconfigured", f"<p>{html.escape(str(exc))}</p>")
                )
                return
        session = self.get(session_id)
        if action == "decline":
            self._html(handler, 402, _render_pay_page(session, error="Your card was declined."))
        elif session.get("success_url"):
            self._redirect(handler, session)
        else:
            self._html(handler, 200, _render_pay_page(session))

    def _redirect(self, handler: _Handler, session: dict[str, Any]) -> None:
        location = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
        body = _page("Redirecting", f'<p><a href="{html.escape(location)}">Continue</a></p>')
        self._send(handler, 303, body.encode(), "text/html; charset=utf-8", {"Location": location})

    def _html(self, handler: _Handler, status: int, page: str) -> None:
        self._send(handler, status, page.encode(), "text/html; charset=utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Webhook deliveries must not follow redirects: Stripe treats a 3xx as a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _page(title: str, content: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n{content}\n</main>\n</body>\n</html>\n"
    )


def _render_pay_page(session: dict[str, Any], error: str | None = None) -> str:
    success = session.get("success_url")
    if session["status"] != "open":
        title = (
            "This payment is complete"
            if session["status"] == "complete"
            else "This payment page has expired"
        )
        link = ""
        if success:
            href = html.escape(str(success).replace("{CHECKOUT_SESSION_ID}", session["id"]))
            link = f'<p><a href="{href}">Return to QKart</a></p>'
        return _page(title, link)
    amount = f"{session['amount_total'] / 100:.2f} {str(session['currency']).upper()}"
    parts = [f'<p>Amount due: <strong id="amount">{html.escape(amount)}</strong></p>']
    if error:
        parts.append(f'<p role="alert">{html.escape(error)}</p>')
    action = html.escape(f"/pay/{session['id']}")
    parts.append(
        f'<form method="post" action="{action}">\n'
        '<button type="submit" name="action" value="pay">Pay</button>\n'
        '<button type="submit" name="action" value="decline">Use a declined card</button>\n'
        "</form>"
    )
    if session.get("cancel_url"):
        parts.append(
            f'<p><a href="{html.escape(str(session["cancel_url"]))}">Cancel and go back</a></p>'
        )
    return _page("Pay QKart", "\n".join(parts))
