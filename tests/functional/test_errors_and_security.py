"""Error pages, CSRF, headers, health checks, staff-only pages."""

import re

from tests.conftest import login


def test_friendly_404(client):
    response = client.get("/no/such/page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "We could not find that page" in page and 'href="/"' in page


def test_friendly_500_with_reference_and_no_traceback(app, client, monkeypatch):
    from qkart.blueprints.shop import routes

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(routes.catalog, "get_product", boom)
    response = client.get("/products/anything")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "secret internals" not in page and "Traceback" not in page
    assert response.headers["X-Request-ID"] in page


def test_method_not_allowed_is_friendly(client):
    response = client.get("/cart/items")
    assert response.status_code == 405
    assert "That action is not available here" in response.get_data(as_text=True)


def test_nul_characters_are_refused_with_400(client):
    response = client.get("/products?q=a%00b")
    assert response.status_code == 400
    assert "character we cannot accept" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/products")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["X-Request-ID"]


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok"}


def test_readiness_reports_a_missing_redis(make_app):
    broken = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("error")


def test_csrf_is_enforced_on_posts(make_app, factory):
    product = factory.product(stock=5)
    guarded = make_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    response = client.post("/cart/items", data={"product_id": product.id})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    # The same request with the page's token (as htmx sends it, in a header) works.
    page = client.get("/products").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = client.post(
        "/cart/items", data={"product_id": product.id}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 303


def test_staff_pages(client, factory):
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    login(client, factory.user())
    assert client.get("/admin/").status_code == 403
    client.post("/logout")
    login(client, factory.user(role="admin"))
    page = client.get("/admin/").get_data(as_text=True)
    assert "Shop overview" in page and "Last 7 days" in page


def test_account_pages_need_login(client):
    for url in ("/account", "/account/addresses", "/orders", "/orders/QK-AAAA-BBBB"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")


def test_static_files_are_cacheable(client):
    response = client.get("/static/css/qkart.css")
    assert response.status_code == 200
    assert "max-age" in response.headers["Cache-Control"]
    response.close()


def test_htmx_request_after_the_session_ended_redirects_the_whole_page(client):
    response = client.post(
        "/account/addresses",
        data={"full_name": "x"},
        headers={
            "HX-Request": "true",
            "HX-Target": "addresses",
            "Referer": "http://localhost/account/addresses",
        },
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2Faccount%2Faddresses"


def test_assets_are_versioned_and_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert re.fullmatch(r"/static/css/qkart\.[0-9a-f]{10}\.css", href)
    response = client.get(href)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()
