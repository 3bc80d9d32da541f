"""A tiny HTTP client for the bench: log the demo shopper in and probe each page.

It speaks HTTP/1.1 to the gunicorn under test with the standard library only, keeps
cookies by hand and never follows redirects, so a 303 to /login or an error page is
seen for what it is instead of being benchmarked as if it were the page.
"""

from __future__ import annotations

import html
import http.client
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

BROWSER_ENCODING = "gzip, deflate, br, zstd"
TIMEOUT = 30


@dataclass
class Reply:
    """One response, body left as sent on the wire (compressed if it was)."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _InputParser(HTMLParser):
    """Collects ``<input name=... value=...>`` pairs: enough to find a CSRF token."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            values = dict(attrs)
            self.inputs.append((values.get("name") or "", values.get("value") or ""))


def csrf_token(page: str) -> str:
    """The first ``csrf_token`` field of a page's forms."""
    parser = _InputParser()
    parser.feed(page)
    for name, value in parser.inputs:
        if name == "csrf_token" and value:
            return value
    raise RuntimeError("no csrf_token field on the page")


@dataclass
class Browser:
    """Cookies plus GET/POST against one origin; enough to act as the demo shopper."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> Reply:
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, TIMEOUT)
        sent = {"Accept-Encoding": "identity", **headers}
        if self.cookies:
            sent["Cookie"] = self.cookie_header()
        body = urlencode(form) if form is not None else None
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            conn.close()
        self._keep_cookies(reply)
        return reply

    def _keep_cookies(self, reply: Reply) -> None:
        for line in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def parse_cookie_header(header: str) -> dict[str, str]:
    """``"a=1; b=2"`` as a dict, to start a Browser with the shopper's cookies."""
    pairs = (item.strip().partition("=") for item in header.split(";") if item.strip())
    return {name: value for name, _, value in pairs}


def _expect(reply: Reply, status: int, what: str) -> Reply:
    if reply.status != status:
        raise RuntimeError(
            f"{what}: expected HTTP {status}, got {reply.status}: {reply.text[:300]}"
        )
    return reply


def log_in_with_cart(
    base_url: str, email: str, password: str, products: list[tuple[int, str, str]]
) -> str:
    """Log in over HTTP and add ``products`` (id, slug, name); returns the Cookie header.

    The CSRF token is read again after logging in because login starts a new session.
    """
    shopper = Browser(base_url)
    token = csrf_token(_expect(shopper.request("GET", "/login"), 200, "GET /login").text)
    form = {"email": email, "password": password, "csrf_token": token, "next": ""}
    _expect(shopper.request("POST", "/login", form), 303, "POST /login")
    for product_id, slug, _ in products:
        page = _expect(shopper.request("GET", f"/products/{slug}"), 200, f"GET /products/{slug}")
        form = {"product_id": str(product_id), "quantity": "1", "csrf_token": csrf_token(page.text)}
        _expect(shopper.request("POST", "/cart/items", form), 303, "POST /cart/items")
    cart = _expect(shopper.request("GET", "/cart"), 200, "GET /cart").text
    missing = [name for _, _, name in products if html.escape(name) not in cart]
    if missing:
        raise RuntimeError(f"the cart page does not list {missing}: login or add-to-cart failed")
    return shopper.cookie_header()


def probe(url: str, cookie: str | None) -> dict[str, object]:
    """Status, HTML size and compressed sizes of one page, as a browser and as gzip-only."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    client = Browser(f"{parts.scheme}://{parts.netloc}", parse_cookie_header(cookie or ""))
    plain = client.request("GET", path)
    wire = {
        label: client.request("GET", path, **{"Accept-Encoding": encoding})
        for label, encoding in (("browser", BROWSER_ENCODING), ("gzip", "gzip"))
    }
    return {
        "status": [plain.status, *(reply.status for reply in wire.values())],
        "content_type": plain.headers.get("Content-Type", ""),
        "html_bytes": len(plain.body),
        "wire": {
            label: {
                "encoding": reply.headers.get("Content-Encoding", "identity"),
                "bytes": len(reply.body),
            }
            for label, reply in wire.items()
        },
    }
