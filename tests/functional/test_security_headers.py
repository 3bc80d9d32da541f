"""Security headers on every page (issue 12)."""

import pytest


@pytest.mark.parametrize("path", ["/", "/login", "/cart", "/no-such-page"])
def test_every_page_sends_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["form-action"].split() == ["'self'", "https://checkout.stripe.com"]
    assert csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
