"""Staff run customers (search, wallet, block, verification) and the owner runs the staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qkart.accounts.models import StaffInvitation, User
from qkart.extensions import db
from qkart.payments.models import WalletEntry
from tests.conftest import PASSWORD, find_link, login, wallet_of


@pytest.fixture
def admin(app, factory):
    client = app.test_client()
    login(client, factory.user("admin@example.com", role="admin"))
    return client


def test_find_customers_and_open_one(app, admin, factory):
    ada = factory.user("ada@example.com", name="Ada Lovelace", wallet=1_000)
    factory.user("bob@example.com", name="Bob Builder")
    page = admin.get("/admin/customers?q=love").get_data(as_text=True)
    assert "Ada Lovelace" in page and "Bob Builder" not in page
    detail = admin.get(f"/admin/customers/{ada.id}").get_data(as_text=True)
    assert "ada@example.com" in detail and "Wallet: $10.00" in detail and "Lifetime value" in detail
    found = admin.get("/admin/search?q=ada@").get_data(as_text=True)
    assert "Ada Lovelace" in found


def test_staff_credit_and_debit_a_wallet_with_a_reason(app, admin, factory):
    ada = factory.user(wallet=1_000)
    url = f"/admin/customers/{ada.id}/wallet"
    ok = admin.post(url, data={"direction": "credit", "amount": "5", "reason": "Late parcel"})
    assert ok.status_code == 303 and wallet_of(app, ada.id) == 1_500
    too_much = admin.post(url, data={"direction": "debit", "amount": "20", "reason": "Oops"})
    assert too_much.status_code == 422 and "not have enough balance" in too_much.get_data(
        as_text=True
    )
    assert wallet_of(app, ada.id) == 1_500
    bad = admin.post(url, data={"direction": "credit", "amount": "-1", "reason": ""})
    assert bad.status_code == 422
    with app.app_context():
        entry = db.session.scalars(select(WalletEntry).order_by(WalletEntry.id.desc())).first()
        assert (entry.amount, entry.description) == (500, "Late parcel")
    assert "customer.wallet.credit" in admin.get("/admin/audit").get_data(as_text=True)


def test_a_blocked_customer_is_logged_out_and_cannot_log_in(app, admin, factory):
    ada = factory.user("blocked@example.com")
    shopper = app.test_client()
    login(shopper, ada)
    assert admin.post(f"/admin/customers/{ada.id}/block", data={"block": "1"}).status_code == 303
    assert shopper.get("/account").status_code == 302  # the session ended
    refused = shopper.post("/login", data={"email": ada.email, "password": PASSWORD})
    assert refused.status_code == 422 and "This account is blocked" in refused.get_data(
        as_text=True
    )
    admin.post(f"/admin/customers/{ada.id}/block", data={"block": "0"})
    assert (
        shopper.post("/login", data={"email": ada.email, "password": PASSWORD}).status_code == 303
    )


def test_resend_the_confirmation_link(app, admin, factory, outbox):
    ada = factory.user("late@example.com", verified=False)
    assert admin.post(f"/admin/customers/{ada.id}/verify").status_code == 303
    assert outbox.messages("late@example.com")[-1]["Subject"] == "Confirm your e-mail address"


def test_only_the_owner_manages_staff(app, admin, factory):
    assert admin.get("/admin/staff").status_code == 403
    owner = app.test_client()
    login(owner, factory.user(role="owner"))
    assert owner.get("/admin/staff").status_code == 200


def test_an_invitation_makes_a_new_member_of_staff(app, factory, outbox):
    owner = app.test_client()
    login(owner, factory.user("owner@example.com", role="owner"))
    response = owner.post(
        "/admin/staff/invite", data={"email": "New@Example.com", "role": "manager"}
    )
    assert response.status_code == 303
    link = find_link(outbox.messages("new@example.com")[-1], "/staff/invitation/")
    newcomer = app.test_client()
    page = newcomer.get(link).get_data(as_text=True)
    assert "You are invited as <strong>manager</strong>" in page
    short = newcomer.post(
        link, data={"name": "Nia", "password": "short", "confirm_password": "short"}
    )
    assert short.status_code == 422
    data = {"name": "Nia New", "password": PASSWORD, "confirm_password": PASSWORD}
    assert newcomer.post(link, data=data).status_code == 303
    with app.app_context():
        nia = db.session.scalar(select(User).where(User.email == "new@example.com"))
        assert nia.role == "manager" and nia.is_verified
    assert newcomer.get("/admin/orders").status_code == 200
    assert newcomer.get("/admin/taxes").status_code == 403
    assert app.test_client().get(link).status_code == 400  # used: the link is dead


def test_an_existing_customer_accepts_after_logging_in(app, factory, outbox):
    owner = app.test_client()
    login(owner, factory.user(role="owner"))
    carl = factory.user("carl@example.com")
    owner.post("/admin/staff/invite", data={"email": "carl@example.com", "role": "admin"})
    link = find_link(outbox.messages("carl@example.com")[-1], "/staff/invitation/")
    stranger = app.test_client()
    assert "Log in" in stranger.get(link).get_data(as_text=True)
    login(stranger, carl)
    assert stranger.post(link, data={}).status_code == 303
    with app.app_context():
        assert db.session.get(User, carl.id).role == "admin"


def test_roles_change_and_the_last_owner_stays(app, factory):
    boss = factory.user("boss@example.com", role="owner")
    owner = app.test_client()
    login(owner, boss)
    helper = factory.user(role="manager")
    assert owner.post(f"/admin/staff/{helper.id}/role", data={"role": "admin"}).status_code == 303
    refused = owner.post(
        f"/admin/staff/{boss.id}/role", data={"role": "admin"}, follow_redirects=True
    )
    assert "The shop needs an owner" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, boss.id).role == "owner"
        assert db.session.get(User, helper.id).role == "admin"
    bad = owner.post("/admin/staff/invite", data={"email": "x", "role": "manager"})
    assert bad.status_code == 422
    again = owner.post("/admin/staff/invite", data={"email": "boss@example.com", "role": "manager"})
    assert again.status_code == 422 and "already belongs to a member of staff" in again.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(StaffInvitation)) is None
