"""Small pure rules: passwords, safe redirects, configuration."""

from decimal import Decimal

import pytest

from qkart.accounts.addresses import countries
from qkart.accounts.services import normalise_email, password_problem
from qkart.blueprints.common import safe_next
from qkart.config import ConfigError, load_config, normalise_database_url


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short1", False),
        ("abcdefgh", False),
        ("12345678", False),
        ("abcdefg1", True),
        ("Correct horse 9", True),
        ("x1" * 200, False),
    ],
)
def test_password_rule(password, ok):
    assert (password_problem(password) is None) == ok


def test_email_normalised_for_case_insensitive_uniqueness():
    assert normalise_email("  Sam@Example.COM ") == "sam@example.com"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/checkout", "/checkout"),
        ("/products?q=watch", "/products?q=watch"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("checkout", "/"),
        ("", "/"),
        (None, "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
    ],
)
def test_safe_next_stays_inside_the_shop(target, expected):
    assert safe_next(target, "/") == expected


def test_countries_are_iso_codes_from_babel():
    codes = dict(countries("en_US"))
    assert codes["US"] == "United States"
    assert codes["DE"] == "Germany"
    assert all(len(code) == 2 and code.isalpha() for code in codes)
    assert "ZZ" not in codes


def test_database_url_from_paas_gets_a_driver():
    assert normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_defaults_give_a_working_shop(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "QKART_ENV", "QKART_WELCOME_CREDIT"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["REDIS_URL"] is None
    assert config["QKART_WELCOME_CREDIT"] == Decimal("5000.00")
    assert len(config["SECRET_KEY"]) > 30
    # The generated key is kept, so development sessions survive a restart.
    assert load_config(str(tmp_path))["SECRET_KEY"] == config["SECRET_KEY"]


def test_production_refuses_to_boot_without_its_services(tmp_path, monkeypatch):
    monkeypatch.setenv("QKART_ENV", "production")
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "QKART_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as error:
        load_config(str(tmp_path))
    assert "SECRET_KEY" in str(error.value) and "REDIS_URL" in str(error.value)
    assert "QKART_BASE_URL" in str(error.value)  # e-mailed links must not point at localhost


def test_bad_money_setting_stops_the_boot(tmp_path, monkeypatch):
    monkeypatch.setenv("QKART_WELCOME_CREDIT", "lots")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path))


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("QKART_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "kq3J9vWm2xT7pLr4sZ8nB1cY6dF0gH5a")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("QKART_BASE_URL", "https://shop.example")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["REMEMBER_COOKIE_DURATION"].days == 30


def test_behind_a_proxy_the_shoppers_address_is_used(tmp_path, monkeypatch):
    from qkart import create_app

    monkeypatch.setenv("QKART_PROXY_HOPS", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k" * 32})

    @app.get("/whoami")
    def whoami():
        from flask import request

        return request.remote_addr or ""

    response = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"
