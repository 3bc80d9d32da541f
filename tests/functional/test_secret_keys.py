"""Secret keys: production refuses weak ones; a rotation keeps sessions and links (issue 12)."""

import pytest

from qkart.config import ConfigError, load_config
from tests.conftest import login

OLD = "old-key-8Hk2mQ9vX4pL7tR1wZ5nC3bY6"
NEW = "new-key-3Jd8sF1gK6hL0qW9eR2tY7uI4"


def _production_env(monkeypatch, key):
    monkeypatch.setenv("QKART_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("QKART_BASE_URL", "https://shop.example")


@pytest.mark.parametrize(
    "key", ["dev", "changeme", "test-secret-key", "short-but-random-9", "a" * 64]
)
def test_production_refuses_a_default_or_short_secret_key(tmp_path, monkeypatch, key):
    _production_env(monkeypatch, key)
    with pytest.raises(ConfigError) as error:
        load_config(str(tmp_path))
    assert "SECRET_KEY" in str(error.value) and "token_urlsafe" in str(error.value)


def test_production_takes_a_strong_key_and_its_fallbacks(tmp_path, monkeypatch):
    _production_env(monkeypatch, NEW)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", f"{OLD}, even-older")
    config = load_config(str(tmp_path))
    assert config["SECRET_KEY"] == NEW and config["SECRET_KEY_FALLBACKS"] == [OLD, "even-older"]


def _cookie(response, name):
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "="))
    return header.split(";")[0].split("=", 1)[1]


def test_a_key_rotation_keeps_sessions_remember_me_and_emailed_links(make_app, factory, outbox):
    before = make_app(SECRET_KEY=OLD)
    user = factory.user()
    browser = before.test_client()
    response = login(browser, user, remember="y")
    session, remember = _cookie(response, "session"), _cookie(response, "remember_token")
    before.test_client().post("/forgot-password", data={"email": user.email})
    link = outbox.link(user.email, "/reset-password/")

    rotated = make_app(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD])
    forgotten = make_app(SECRET_KEY=NEW)
    for app, status in ((rotated, 200), (forgotten, 302)):
        by_session = app.test_client()
        by_session.set_cookie("session", session)
        assert by_session.get("/account").status_code == status
        by_remember = app.test_client()
        by_remember.set_cookie("remember_token", remember)
        assert by_remember.get("/account").status_code == status
    assert rotated.test_client().get(link).status_code == 200
    assert forgotten.test_client().get(link).status_code == 400


def test_a_form_opened_before_a_rotation_is_still_accepted_after_it(make_app, factory):
    product = factory.product(stock=5)
    before = make_app(SECRET_KEY=OLD, WTF_CSRF_ENABLED=True)
    browser = before.test_client()
    page = browser.get("/products")
    token = page.get_data(as_text=True).split('"X-CSRFToken": "')[1].split('"')[0]
    session = _cookie(page, "session")

    rotated = make_app(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD], WTF_CSRF_ENABLED=True)
    forgotten = make_app(SECRET_KEY=NEW, WTF_CSRF_ENABLED=True)
    for app, status in ((rotated, 303), (forgotten, 400)):
        client = app.test_client()
        client.set_cookie("session", session)
        sent = client.post("/cart/items", data={"product_id": product.id, "csrf_token": token})
        assert sent.status_code == status
    # After the rotation, new pages carry tokens signed with the new key only.
    fresh = rotated.test_client().get("/products").get_data(as_text=True)
    new_token = fresh.split('"X-CSRFToken": "')[1].split('"')[0]
    assert new_token != token
