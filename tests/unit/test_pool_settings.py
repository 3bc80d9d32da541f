"""The database connection pool comes from the environment, with PaaS-sized defaults."""

import pytest

from qkart.config import ConfigError, load_config

POSTGRES = "postgres://shop:secret@db.example:5432/shop"
POOL_VARIABLES = (
    "DATABASE_POOL_SIZE",
    "DATABASE_MAX_OVERFLOW",
    "DATABASE_POOL_RECYCLE",
    "DATABASE_POOL_TIMEOUT",
    "DATABASE_POOL_PRE_PING",
)


@pytest.fixture(autouse=True)
def _no_pool_settings(monkeypatch):
    for name in POOL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_postgres_defaults_suit_gunicorn_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    options = load_config(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {
        "pool_pre_ping": True,
        "pool_size": 2,
        "max_overflow": 3,
        "pool_recycle": 1800,
        "pool_timeout": 10,
    }


def test_every_pool_setting_can_be_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    monkeypatch.setenv("DATABASE_POOL_SIZE", "8")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DATABASE_POOL_RECYCLE", "0")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "30")
    monkeypatch.setenv("DATABASE_POOL_PRE_PING", "off")
    options = load_config(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
    # A recycle time of 0 keeps connections for as long as they work (SQLAlchemy's -1).
    assert options == {
        "pool_pre_ping": False,
        "pool_size": 8,
        "max_overflow": 0,
        "pool_recycle": -1,
        "pool_timeout": 30,
    }


def test_sqlite_keeps_its_own_pool(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_POOL_SIZE", "8")
    assert load_config(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_POOL_SIZE", "five"),
        ("DATABASE_MAX_OVERFLOW", "-1"),
        ("DATABASE_POOL_RECYCLE", "1.5"),
        ("DATABASE_POOL_TIMEOUT", "301"),
    ],
)
def test_a_bad_pool_setting_stops_the_boot_naming_it(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name}="):
        load_config(str(tmp_path))
