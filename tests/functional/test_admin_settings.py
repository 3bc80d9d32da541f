"""Staff change the shop's settings from the browser; the change takes effect everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qkart.audit.models import AuditEntry
from qkart.extensions import db
from qkart.settings.models import ShopSetting
from qkart.settings.services import setting
from tests.conftest import login, wallet_of

CURRENT = {
    "QKART_SHOP_NAME": "QKart",
    "QKART_CONTACT_EMAIL": "help@qkart.example",
    "QKART_LOCALE": "en_US",
    "QKART_TIMEZONE": "UTC",
    "QKART_RETURN_WINDOW_DAYS": "14",
    "QKART_WELCOME_CREDIT": "5000.00",
    "QKART_LOW_STOCK_DEFAULT": "5",
}


@pytest.fixture
def owner(app, factory):
    client = app.test_client()
    login(client, factory.user("owner@example.com", role="owner"))
    return client


def _stored(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(ShopSetting.key, ShopSetting.value)).all())


def test_the_form_shows_the_environment_values_until_staff_change_them(owner):
    page = owner.get("/admin/settings").get_data(as_text=True)
    assert 'value="QKart"' in page and 'value="help@qkart.example"' in page
    assert '<option selected value="en_US">' in page or 'value="en_US" selected' in page
    assert "Secrets and services" in page  # says what is not here


def test_a_new_name_contact_and_locale_show_on_the_shop_at_once(app, owner, factory):
    factory.product(name="Desk lamp", price=123_456)
    changed = {
        **CURRENT,
        "QKART_SHOP_NAME": "Lampworks",
        "QKART_CONTACT_EMAIL": "Care@Lampworks.example",
        "QKART_LOCALE": "de_DE",
    }
    response = owner.post("/admin/settings", data=changed)
    assert response.status_code == 303
    assert "Settings saved." in owner.get("/admin/settings").get_data(as_text=True)
    page = app.test_client().get("/products").get_data(as_text=True)
    assert "Lampworks" in page and "QKart" not in page.split("<main", 1)[0]
    assert 'href="mailto:care@lampworks.example"' in page
    assert "1.234,56" in page  # German number format
    with app.app_context():
        assert setting("QKART_SHOP_NAME") == "Lampworks"
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "settings.update")
        ).one()
        assert entry.before["QKART_SHOP_NAME"] == "QKart"
        assert entry.after["QKART_LOCALE"] == "de_DE"
        assert "QKART_RETURN_WINDOW_DAYS" not in entry.after  # only what changed
    assert _stored(app)["QKART_CONTACT_EMAIL"] == "care@lampworks.example"


def test_no_welcome_credit_means_new_accounts_start_at_zero(app, owner):
    owner.post("/admin/settings", data={**CURRENT, "QKART_WELCOME_CREDIT": "0"})
    shopper = app.test_client()
    shopper.post(
        "/register",
        data={
            "name": "New Shopper",
            "email": "new@example.com",
            "password": "cobol1959",
            "confirm_password": "cobol1959",
        },
    )
    with app.app_context():
        from qkart.accounts.models import User

        user = db.session.scalars(select(User).where(User.email == "new@example.com")).one()
    assert wallet_of(app, user.id) == 0


def test_saving_the_same_values_changes_nothing(app, owner):
    response = owner.post("/admin/settings", data=CURRENT)
    assert response.status_code == 303
    assert "Nothing changed." in owner.get("/admin/settings").get_data(as_text=True)
    assert _stored(app) == {}
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert "settings.update" not in actions


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("QKART_SHOP_NAME", "", "Give the shop a name."),
        ("QKART_CONTACT_EMAIL", "not an address", "Enter an e-mail address like"),
        ("QKART_LOCALE", "xx_YY", "Not a valid choice"),
        ("QKART_RETURN_WINDOW_DAYS", "400", "Use 0 to 365 days."),
        ("QKART_RETURN_WINDOW_DAYS", "ten", ""),
        ("QKART_WELCOME_CREDIT", "-5", ""),
        ("QKART_LOW_STOCK_DEFAULT", "", ""),
    ],
)
def test_bad_values_are_refused_beside_the_field_and_nothing_is_stored(
    app, owner, field, value, message
):
    response = owner.post("/admin/settings", data={**CURRENT, field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'class="error"' in page
    assert _stored(app) == {}


def test_a_manager_cannot_open_the_settings(app, factory):
    manager = app.test_client()
    login(manager, factory.user("manager@example.com", role="manager"))
    assert manager.get("/admin/settings").status_code == 403
    assert manager.post("/admin/settings", data=CURRENT).status_code == 403
    assert _stored(app) == {}


def test_dates_show_in_the_shops_time_zone(app, owner):
    from datetime import UTC, datetime

    from qkart.core.filters import date_text, datetime_text

    late = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    response = owner.post("/admin/settings", data={**CURRENT, "QKART_TIMEZONE": "Asia/Tokyo"})
    assert response.status_code == 303
    with app.test_request_context():
        assert date_text(late) == "Dec 3, 2026"  # already the next day in Tokyo
        assert "8:30" in datetime_text(late) and "Dec 3, 2026" in datetime_text(late)
    bad = owner.post("/admin/settings", data={**CURRENT, "QKART_TIMEZONE": "Mars/Olympus"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
