"""The welcome credit goes to a mailbox once, however its address is spelled (issue 12)."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from qkart.accounts.models import User
from qkart.core.mailbox import mailbox
from qkart.extensions import db
from qkart.settings.services import save
from tests.conftest import PASSWORD, wallet_of


def _register_and_verify(client, outbox, email):
    data = {
        "name": "Fay Farmer",
        "email": email,
        "password": PASSWORD,
        "confirm_password": PASSWORD,
    }
    assert client.post("/register", data=data).status_code == 303
    client.get(outbox.link(email.lower(), "/verify-email/"))
    client.post("/logout")


def _wallet(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email.lower()))
        return wallet_of(app, user.id)


@pytest.mark.parametrize(
    ("spelling", "same"),
    [
        ("Me+1@Example.com", "me@example.com"),
        ("j.doe+shop@gmail.com", "jdoe@gmail.com"),
        ("J.Doe@googlemail.com", "jdoe@gmail.com"),
        ("j.doe@example.com", "j.doe@example.com"),  # dots matter outside Gmail
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_mailbox_of_an_address(spelling, same):
    assert mailbox(spelling) == same


def test_plus_addresses_of_one_mailbox_get_the_credit_once(app, outbox):
    client = app.test_client()
    for n, email in enumerate(["me@example.com", "me+1@example.com", "Me+2@example.com"]):
        _register_and_verify(client, outbox, email)
        assert _wallet(app, email) == (500_000 if n == 0 else 0)
    _register_and_verify(client, outbox, "other@example.com")
    assert _wallet(app, "other@example.com") == 500_000


def test_gmail_dots_are_one_mailbox(app, outbox):
    client = app.test_client()
    _register_and_verify(client, outbox, "jane.doe@gmail.com")
    _register_and_verify(client, outbox, "janedoe+x@gmail.com")
    assert _wallet(app, "jane.doe@gmail.com") == 500_000
    assert _wallet(app, "janedoe+x@gmail.com") == 0


def test_staff_can_turn_the_welcome_credit_off(app, outbox):
    with app.app_context():
        save({"QKART_WELCOME_CREDIT": Decimal("0")}, actor_id=None)
        db.session.commit()
    client = app.test_client()
    _register_and_verify(client, outbox, "zero@example.com")
    assert _wallet(app, "zero@example.com") == 0


def test_registration_is_throttled_per_address(make_app, outbox):
    throttled = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    client = throttled.test_client()
    data = {"name": "Bo Bot", "password": PASSWORD, "confirm_password": PASSWORD}
    for n in range(5):
        assert (
            client.post("/register", data={**data, "email": f"bot{n}@example.com"}).status_code
            == 303
        )
        client.post("/logout")
    response = client.post("/register", data={**data, "email": "bot9@example.com"})
    assert response.status_code == 429 and "Too many attempts" in response.get_data(as_text=True)
    other = throttled.test_client()
    response = other.post(
        "/register",
        data={**data, "email": "real@example.com"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert response.status_code == 303
