"""Verification, password reset, profile changes, sessions, privacy (issue: users & auth)."""

import json
import re
import time
from urllib.parse import unquote

import pyotp
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from qkart.accounts.models import Address, User
from qkart.extensions import db
from qkart.orders.models import Order
from tests.conftest import PASSWORD, login, wallet_of

NEW_PASSWORD = "brand-new-pass-42"


def _user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _register(client, email="new@example.com"):
    data = {"name": "Nora New", "email": email, "password": PASSWORD, "confirm_password": PASSWORD}
    response = client.post("/register", data=data)
    assert response.status_code == 303
    return email


def _later(monkeypatch, seconds):
    """Make itsdangerous believe ``seconds`` have passed."""
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + seconds)


# -- verification ------------------------------------------------------------------


def test_registration_sends_a_link_and_credit_waits_for_it(app, client, outbox):
    email = _register(client)
    page = client.get("/").get_data(as_text=True)
    assert "Please confirm your e-mail address" in page and "$0.00" in page
    message = outbox.messages(email)[-1]
    assert message["Subject"] == "Confirm your e-mail address"
    assert message.get_body(preferencelist=("html",)) is not None
    link = outbox.link(email, "/verify-email/")
    response = client.get(link)
    assert response.status_code == 200
    assert "your e-mail is confirmed" in response.get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    assert "Please confirm your e-mail address" not in page and "$5,000.00" in page
    again = client.get(link)
    assert again.status_code == 200
    assert "already confirmed" in again.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert wallet_of(app, user.id) == 500_000  # granted once, not twice


def test_verification_link_works_without_being_logged_in(client, outbox):
    email = _register(client)
    client.post("/logout")
    response = client.get(outbox.link(email, "/verify-email/"))
    assert response.status_code == 200 and "confirmed" in response.get_data(as_text=True)


def test_expired_and_tampered_links_get_a_clear_page(client, outbox, monkeypatch):
    email = _register(client)
    link = outbox.link(email, "/verify-email/")
    response = client.get(link[:-3] + "xyz")
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    _later(monkeypatch, 25 * 3600)
    response = client.get(link)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This link has expired" in page and "Send me a new confirmation link" in page


def test_a_reset_token_cannot_verify_an_email(client, factory, outbox):
    user = factory.user(verified=False)
    client.post("/forgot-password", data={"email": user.email})
    token = outbox.link(user.email, "/reset-password/").rsplit("/", 1)[1]
    assert client.get(f"/verify-email/{token}").status_code == 400


def test_resend_sends_a_fresh_link(client, outbox):
    email = _register(client)
    response = client.post("/verify-email/resend")
    assert response.status_code == 303
    assert len(outbox.messages(email)) == 2


# -- password reset ----------------------------------------------------------------


def test_forgot_password_answers_the_same_whether_or_not_the_account_exists(
    client, factory, outbox
):
    user = factory.user()
    known = client.post("/forgot-password", data={"email": user.email})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200

    def strip(response):
        text = response.get_data(as_text=True)
        # CSRF tokens carry the second they were signed in: a slow first answer (the
        # e-mail) may cross one, so they are not part of the comparison.
        text = re.sub(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}", "TOKEN", text)
        return text.replace(user.email, "X").replace("nobody@example.com", "X")

    assert strip(known) == strip(unknown)
    assert len(outbox.messages(user.email)) == 1
    assert outbox.messages("nobody@example.com") == []


def test_forgot_password_bad_input_is_422(client):
    response = client.post("/forgot-password", data={"email": "not an email"})
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_reset_works_once_and_logs_out_everywhere(app, factory, outbox):
    user = factory.user()
    other_device, browser = app.test_client(), app.test_client()
    login(other_device, user)
    browser.post("/forgot-password", data={"email": user.email})
    link = outbox.link(user.email, "/reset-password/")
    assert browser.get(link).status_code == 200
    bad = browser.post(link, data={"password": "short", "confirm_password": "short"})
    assert bad.status_code == 422 and "at least 8" in bad.get_data(as_text=True)
    data = {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    response = browser.post(link, data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    # The other device's session is gone.
    assert other_device.get("/account").status_code == 302
    # The link is spent.
    used = browser.post(link, data=data)
    assert used.status_code == 400
    assert "already been used" in used.get_data(as_text=True)
    # The new password works, the old one does not.
    assert (
        browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 422
    )
    login(browser, user, password=NEW_PASSWORD)
    assert any(m["Subject"] == "Your password was changed" for m in outbox.messages(user.email))


def test_reset_link_expires_after_an_hour(client, factory, outbox, monkeypatch):
    user = factory.user()
    client.post("/forgot-password", data={"email": user.email})
    link = outbox.link(user.email, "/reset-password/")
    _later(monkeypatch, 3601)
    response = client.get(link)
    assert response.status_code == 400
    assert "Send me a new reset link" in response.get_data(as_text=True)


# -- profile -----------------------------------------------------------------------


def test_change_name(app, client, logged_in):
    user = logged_in()
    response = client.post("/account/profile", data={"name": "Renamed Person"})
    assert response.status_code == 303
    assert _user(app, user.id).name == "Renamed Person"
    response = client.post("/account/profile", data={"name": ""})
    assert response.status_code == 422 and "Tell us your name." in response.get_data(as_text=True)


def test_change_password_needs_the_current_one_and_logs_out_other_sessions(app, factory, outbox):
    user = factory.user()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    wrong = here.post(
        "/account/password",
        data={
            "current_password": "wrong-pass-1",
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    response = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303
    assert here.get("/account").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/account").status_code == 302  # the other one is out
    assert outbox.messages(user.email)[-1]["Subject"] == "Your password was changed"


def test_change_email_takes_effect_after_confirmation(app, client, factory, logged_in, outbox):
    user = logged_in()
    factory.user("taken@example.com")
    taken = client.post(
        "/account/email", data={"new_email": "taken@example.com", "password": PASSWORD}
    )
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)
    wrong = client.post(
        "/account/email", data={"new_email": "next@example.com", "password": "nope-nope-1"}
    )
    assert wrong.status_code == 422
    response = client.post(
        "/account/email", data={"new_email": "Next@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert _user(app, user.id).email == user.email  # not yet
    notice = outbox.messages(user.email)[-1]
    assert notice["Subject"] == "Your e-mail address is being changed"
    assert "next@example.com" in notice.get_body(preferencelist=("plain",)).get_content()
    link = outbox.link("next@example.com", "/account/email/confirm/")
    response = client.get(link)
    assert response.status_code == 200
    assert "Your e-mail address is changed" in response.get_data(as_text=True)
    assert _user(app, user.id).email == "next@example.com"
    assert client.get(link).status_code == 400  # used


def test_wallet_ledger_lists_credits_and_debits_with_orders(client, factory, logged_in):
    user = logged_in(wallet=100_000)
    address = factory.address(user)
    factory.cart_item(user, factory.product("Lamp", price=2000, stock=3), 1)
    client.post(
        "/checkout",
        data={"address_id": address.id, "payment_method": "wallet", "checkout_key": "a"},
    )
    page = client.get("/account/wallet").get_data(as_text=True)
    assert "Test credit" in page and "$1,000.00" in page
    assert "Order QK-" in page and "-$25.00" in page and "$975.00" in page


# -- privacy -----------------------------------------------------------------------


def test_download_my_data(client, factory, logged_in):
    user = logged_in(wallet=100_000)
    address = factory.address(user, full_name="Private Person")
    factory.cart_item(user, factory.product("Book", price=1500, stock=3), 2)
    client.post(
        "/checkout",
        data={"address_id": address.id, "payment_method": "wallet", "checkout_key": "b"},
    )
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == user.email
    assert data["addresses"][0]["full_name"] == "Private Person"
    assert data["orders"][0]["lines"][0] == {
        "product": "Book",
        "sku": data["orders"][0]["lines"][0]["sku"],
        "unit_price": "15.00",
        "quantity": 2,
    }
    assert [e["amount"] for e in data["wallet_ledger"]] == ["1000.00", "-35.00"]


def test_delete_account_anonymises_and_keeps_the_books(app, client, factory, logged_in):
    user = logged_in(wallet=100_000)
    address = factory.address(user, full_name="Secret Name", line1="1 Hidden Lane")
    factory.cart_item(user, factory.product(price=2000, stock=3), 1)
    client.post(
        "/checkout",
        data={"address_id": address.id, "payment_method": "wallet", "checkout_key": "c"},
    )
    refused = client.post("/account/delete", data={"password": PASSWORD, "confirmation": "delete"})
    assert refused.status_code == 422 and "Type DELETE to confirm." in refused.get_data(
        as_text=True
    )
    refused = client.post(
        "/account/delete", data={"password": "wrong-pass-1", "confirmation": "DELETE"}
    )
    assert refused.status_code == 422
    response = client.post("/account/delete", data={"password": PASSWORD, "confirmation": "DELETE"})
    assert response.status_code == 303
    assert client.get("/account").status_code == 302
    with app.app_context():
        gone = db.session.get(User, user.id)
        assert gone.deleted_at is not None and user.email not in gone.email
        assert gone.name == "Deleted account"
        assert db.session.scalar(select(func.count()).select_from(Address)) == 0
        order = db.session.scalar(select(Order))
        assert order.total == 2500 and order.lines[0].quantity == 1  # $20 + $5 shipping
        assert "Secret Name" not in json.dumps(order.shipping_address)
        assert user.email not in order.contact_email
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 422


# -- two-factor authentication -------------------------------------------------------


def _enable_2fa(app, client, user):
    client.post("/account/two-factor/setup")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = _user(app, user.id).totp_secret
    assert secret in page
    assert 'href="otpauth://totp/' in page  # opens the app on the phone itself
    assert '<button type="button" class="btn btn-small" data-copy="totp-secret" hidden>' in page
    code = pyotp.TOTP(secret).now()
    bad = client.post("/account/two-factor/confirm", data={"code": "000000", "password": PASSWORD})
    assert bad.status_code == 422
    no_password = client.post("/account/two-factor/confirm", data={"code": code, "password": "x1"})
    assert no_password.status_code == 422
    assert "That is not your current password." in no_password.get_data(as_text=True)
    response = client.post("/account/two-factor/confirm", data={"code": code, "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)
    assert len(codes) == 10
    download = re.search(
        r'download="[^"]+\.txt" href="data:text/plain;charset=utf-8,([^"]+)"', page
    )
    assert all(c in unquote(download.group(1)) for c in codes)
    # Shown once only: the two-factor page does not show them again.
    assert codes[0] not in client.get("/account/two-factor").get_data(as_text=True)
    return secret, codes


def test_two_factor_enrolment_login_recovery_and_disable(app, client, factory):
    user = factory.user()
    login(client, user)
    secret, codes = _enable_2fa(app, client, user)
    client.post("/logout")

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/orders"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/login/two-factor"
    assert client.get("/account").status_code == 302  # not logged in yet
    wrong = client.post("/login/two-factor", data={"code": "123456"})
    assert wrong.status_code == 422
    response = client.post("/login/two-factor", data={"code": codes[0]})
    assert response.status_code == 303 and response.headers["Location"] == "/orders"
    client.post("/logout")

    # A recovery code works once.
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.post("/login/two-factor", data={"code": codes[0]}).status_code == 422
    # The code used to confirm the set-up is spent; the next time step's code is accepted
    # (one step of clock drift is allowed).
    totp_code = pyotp.TOTP(secret).at(time.time() + 30)
    assert client.post("/login/two-factor", data={"code": totp_code}).status_code == 303
    client.post("/logout")
    # The same TOTP code cannot be replayed, and the refusal says why.
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    replayed = client.post("/login/two-factor", data={"code": totp_code})
    assert replayed.status_code == 422
    assert "That code was used already. Wait for the next one" in replayed.get_data(as_text=True)
    assert "That code is not right" in wrong.get_data(as_text=True)
    assert client.post("/login/two-factor", data={"code": codes[1]}).status_code == 303

    refused = client.post(
        "/account/two-factor/disable", data={"password": PASSWORD, "code": "000000"}
    )
    assert refused.status_code == 422
    response = client.post(
        "/account/two-factor/disable", data={"password": PASSWORD, "code": codes[2]}
    )
    assert response.status_code == 303
    assert _user(app, user.id).totp_enabled_at is None


def test_second_step_without_a_password_step_goes_back_to_login(client):
    response = client.get("/login/two-factor")
    assert response.status_code == 303 and response.headers["Location"] == "/login"


# -- throttling and roles ----------------------------------------------------------


def test_failed_logins_are_throttled_per_account(make_app, factory):
    user = factory.user()
    throttled = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    client = throttled.test_client()
    for _ in range(5):
        response = client.post("/login", data={"email": user.email, "password": "wrong-pass-1"})
        assert response.status_code == 422
    blocked = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "Too many attempts" in page and "try again in 15 minutes" in page
    # Another account from another address is not affected.
    other = factory.user()
    fresh = throttled.test_client()
    response = fresh.post(
        "/login",
        data={"email": other.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 303


def test_successful_logins_do_not_count(make_app, factory):
    user = factory.user()
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://").test_client()
    for _ in range(7):
        assert login(client, user).status_code == 303
        client.post("/logout")


@pytest.mark.parametrize(
    ("role", "status"), [("customer", 403), ("manager", 200), ("admin", 200), ("owner", 200)]
)
def test_roles(client, factory, role, status):
    login(client, factory.user(role=role))
    assert client.get("/admin/").status_code == status


def test_password_checks_in_settings_are_throttled(make_app, factory):
    user = factory.user()
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://").test_client()
    login(client, user)
    wrong = {
        "current_password": "wrong-pass-1",
        "password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    for _ in range(3):
        assert client.post("/account/password", data=wrong).status_code == 422
    for _ in range(2):  # the same budget, spent through another action
        response = client.post(
            "/account/delete", data={"password": "wrong-pass-1", "confirmation": "DELETE"}
        )
        assert response.status_code == 422
    blocked = client.post(
        "/account/email", data={"new_email": "x@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429


def test_changing_the_password_keeps_remember_me_on_this_device(app, factory):
    user = factory.user()
    client = app.test_client()
    login(client, user, remember="y")
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    restarted = app.test_client()
    restarted.set_cookie("remember_token", cookie.split(";")[0].split("=", 1)[1])
    assert restarted.get("/account").status_code == 200


def test_welcome_credit_once_per_address_even_after_deleting_the_account(app, client, outbox):
    email = _register(client, "farmer@example.com")
    client.get(outbox.link(email, "/verify-email/"))
    client.post("/account/delete", data={"password": PASSWORD, "confirmation": "DELETE"})
    outbox.clear()
    _register(client, "Farmer@Example.com")
    client.get(outbox.link("farmer@example.com", "/verify-email/"))
    with app.app_context():
        again = db.session.scalar(select(User).where(User.email == "farmer@example.com"))
        assert again.is_verified and wallet_of(app, again.id) == 0


def test_forgot_password_takes_any_address_login_takes(client, factory, outbox):
    user = factory.user("demo@qkart.local")
    response = client.post("/forgot-password", data={"email": "demo@qkart.local"})
    assert response.status_code == 200
    assert outbox.messages(user.email)
