"""Register, log in, log out over HTTP."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import func, select

from qkart.accounts.models import User
from qkart.extensions import db
from tests.conftest import PASSWORD, login

GOOD = {
    "name": "Grace Hopper",
    "email": "Grace@Example.com",
    "password": "cobol1959",
    "confirm_password": "cobol1959",
}


def _users(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_register_page_has_labelled_fields(client):
    page = client.get("/register").get_data(as_text=True)
    for field in ("name", "email", "password", "confirm_password"):
        assert f'<label for="{field}"' in page
    assert ">Register<" in page


def test_register_logs_in_and_stores_a_normalised_email(app, client):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert "Grace" in page and "Log out" in page
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "grace@example.com"
        assert user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Tell us your name."),
        ({"name": "x" * 101}, "name", "Keep your name under 100 characters."),
        ({"email": "not-an-email"}, "email", "Enter an e-mail address like name@example.com."),
        ({"email": "a" * 250 + "@x.com"}, "email", "That e-mail address is too long."),
        ({"password": "short1", "confirm_password": "short1"}, "password", "at least 8"),
        (
            {"password": "longenough", "confirm_password": "longenough"},
            "password",
            "a letter and a digit",
        ),
        ({"confirm_password": "different1"}, "confirm_password", "do not match"),
    ],
)
def test_register_refusals_are_422_beside_the_field(app, client, changes, field, message):
    response = client.post("/register", data={**GOOD, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page
    assert _users(app) == 0


def test_email_is_unique_regardless_of_case(app, client, factory):
    factory.user("grace@example.com")
    response = client.post("/register", data=GOOD)
    assert response.status_code == 422
    assert "An account with this e-mail already exists" in response.get_data(as_text=True)
    assert _users(app) == 1


def test_login_with_wrong_password_does_not_say_which_part_was_wrong(client, factory):
    user = factory.user()
    wrong = client.post("/login", data={"email": user.email, "password": "nope-nope-1"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "nope-nope-1"})
    assert wrong.status_code == unknown.status_code == 422
    message = "That e-mail and password do not match an account."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_login_is_case_insensitive_on_email(client, factory):
    user = factory.user("mixed@example.com")
    response = client.post("/login", data={"email": "MIXED@example.com", "password": PASSWORD})
    assert response.status_code == 303
    assert user.first_name in client.get("/").get_data(as_text=True)


def test_login_form_refusals(client):
    response = client.post("/login", data={"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your e-mail address." in page and "Enter your password." in page


def test_logout_is_a_post(client, factory):
    login(client, factory.user())
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 303
    assert "Log in" in client.get("/").get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_header_shows_name_and_wallet_when_logged_in(client, factory):
    user = factory.user(name="Linus Torvalds", wallet=123_456)
    login(client, user)
    page = client.get("/").get_data(as_text=True)
    assert "Linus" in page and "$1,234.56" in page


def test_remember_me_keeps_a_shopper_for_30_days_and_logout_ends_it(app, client, factory):
    user = factory.user()
    response = login(client, user, remember="y")
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert 29 <= (expires - datetime.now(UTC)).days <= 30
    assert "HttpOnly" in cookie
    # A browser restart drops the session cookie; the remember cookie logs the shopper back in.
    token = cookie.split(";")[0].split("=", 1)[1]
    restarted = app.test_client()
    restarted.set_cookie("remember_token", token)
    assert restarted.get("/account").status_code == 200
    restarted.post("/logout")
    assert restarted.get("/account").status_code == 302


def test_without_remember_me_the_session_ends_with_the_browser(client, factory):
    response = login(client, factory.user())
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token=") for c in cookies)
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "Expires=" not in session_cookie
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
