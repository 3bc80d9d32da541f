"""Every /admin route declares a permission and the guard enforces it, for every role.

The URL map is enumerated, so a new staff page that forgets its permission (or a role
that gains too much) fails here.
"""

from __future__ import annotations

import re

import pytest

from qkart.accounts.models import ROLE_PERMISSIONS
from qkart.blueprints.admin.guard import ANY_STAFF, required_permission
from tests.conftest import login

SAMPLE = {"number": "QK-AAAA-BBBB", "action": "approve"}


def _admin_routes(app) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        url = re.sub(
            r"<(?:(\w+):)?(\w+)>",
            lambda m: "1" if m.group(1) == "int" else SAMPLE.get(m.group(2), "x"),
            rule.rule,
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def test_every_staff_route_declares_a_known_permission(app):
    routes = _admin_routes(app)
    assert len(routes) > 20
    with app.test_request_context():
        for endpoint, _, url in routes:
            needed = required_permission(endpoint)
            assert needed is not None, f"{endpoint} ({url}) declares no permission"
            assert needed == ANY_STAFF or needed in ROLE_PERMISSIONS["owner"], endpoint


def test_visitors_are_sent_to_log_in_and_customers_refused(app, factory):
    visitor = app.test_client()
    customer = app.test_client()
    login(customer, factory.user())
    for endpoint, method, url in _admin_routes(app):
        response = visitor.open(url, method=method)
        assert response.status_code == 302, (endpoint, method)
        assert response.headers["Location"].startswith("/login")
        assert customer.open(url, method=method).status_code == 403, (endpoint, method)


@pytest.mark.parametrize("role", ["manager", "admin", "owner"])
def test_each_role_reaches_exactly_what_its_permissions_allow(app, factory, role):
    client = app.test_client()
    login(client, factory.user(role=role))
    allowed = ROLE_PERMISSIONS[role]
    with app.test_request_context():
        needs = {endpoint: required_permission(endpoint) for endpoint, _, _ in _admin_routes(app)}
    for endpoint, method, url in _admin_routes(app):
        status = client.open(url, method=method).status_code
        if needs[endpoint] == ANY_STAFF or needs[endpoint] in allowed:
            assert status != 403, (role, endpoint, method, status)
        else:
            assert status == 403, (role, endpoint, method, status)


def test_admin_posts_need_a_csrf_token(make_app, factory):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    owner = factory.user(role="owner")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/login", data={"email": owner.email, "password": "correct-horse-9", "csrf_token": token}
    )
    for endpoint, method, url in _admin_routes(app):
        if method == "POST":
            assert client.post(url, data={}).status_code == 400, endpoint


def test_staff_logins_and_writes_are_in_the_audit_log(app, factory):
    owner = factory.user("owner@example.com", role="owner")
    client = app.test_client()
    login(client, owner)
    data = {"country": "US", "tax_class": "standard", "rate": "7", "label": "Sales tax"}
    client.post("/admin/taxes", data=data)
    client.post("/admin/taxes", data={**data, "rate": "8"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "staff.login" in page and "owner@example.com" in page and "127.0.0.1" in page
    assert "tax.rate.set" in page and "rate: 7 → 8" in page
    filtered = client.get("/admin/audit?action=staff.").get_data(as_text=True)
    assert "staff.login" in filtered and "tax.rate.set" not in filtered
    bad = client.get("/admin/audit?since=yesterday")
    assert bad.status_code == 422 and "Enter a day like 2026-12-31." in bad.get_data(as_text=True)
    manager = app.test_client()
    login(manager, factory.user(role="manager"))
    assert manager.get("/admin/audit").status_code == 403
    assert "Audit log" not in manager.get("/admin/").get_data(as_text=True)
