"""An order's life after checkout: packing, shipping with tracking, delivery, cancelling,
returns and refunds, invoices and the e-mails at each step."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from qkart.catalog.models import Product
from qkart.core.db import utcnow
from qkart.extensions import db
from qkart.invoices.models import Invoice
from qkart.jobs.mail import send_order_update
from qkart.orders.models import Order
from qkart.payments.models import Payment, Refund
from qkart.returns.models import Return
from tests.conftest import check_out, login, wallet_of


@pytest.fixture
def shop(app, factory):
    """A shopper with 1,000.00 of credit who bought 2 lamps (40.00 each) from the wallet,
    and a signed-in member of staff, each with their own browser."""
    buyer = factory.user("lena@example.com", name="Lena Lamp", wallet=100_000)
    factory.address(buyer)
    lamp = factory.product("Desk Lamp", price=4_000, stock=5)
    factory.cart_item(buyer, lamp, 2)
    shopper = app.test_client()
    login(shopper, buyer)
    placed = check_out(shopper, method="wallet", email=None)
    assert placed.status_code == 303
    staff = app.test_client()
    login(staff, factory.user("boss@example.com", role="admin"))
    with app.app_context():
        number = db.session.scalar(select(Order.number))
    return {"buyer": buyer, "lamp": lamp, "shopper": shopper, "staff": staff, "number": number}


def _order(app) -> Order:
    with app.app_context():
        order = db.session.scalar(select(Order))
        db.session.expunge_all()
        return order


def _stock(app, product) -> int:
    with app.app_context():
        return db.session.get(Product, product.id).stock


def _staff(shop, path: str, **data):
    return shop["staff"].post(f"/admin/orders/{shop['number']}{path}", data=data)


def _deliver(app, shop, *, days_ago: int = 0):
    assert _staff(shop, "/status", status="processing").status_code == 303
    assert _staff(shop, "/ship", carrier="ups", tracking_number="1Z 999 AA1").status_code == 303
    assert _staff(shop, "/status", status="delivered").status_code == 303
    if days_ago:
        with app.app_context():
            db.session.execute(
                update(Order).values(delivered_at=utcnow() - timedelta(days=days_ago))
            )
            db.session.commit()


def test_staff_ship_with_tracking_and_the_shopper_follows_it(app, shop, outbox):
    page = shop["staff"].get(f"/admin/orders/{shop['number']}").get_data(as_text=True)
    assert "Start packing" in page and "Cancel order" in page
    assert _staff(shop, "/status", status="processing").status_code == 303
    bad = _staff(shop, "/ship", carrier="ups", tracking_number="<x>")
    assert bad.status_code == 422 and "Use letters, digits, spaces or dashes." in bad.get_data(
        as_text=True
    )
    assert _staff(shop, "/ship", carrier="ups", tracking_number="1Z 999 AA1").status_code == 303
    order = _order(app)
    assert (order.status, order.carrier, order.tracking_number) == ("shipped", "ups", "1Z 999 AA1")
    text = shop["shopper"].get(f"/orders/{shop['number']}").get_data(as_text=True)
    assert "https://www.ups.com/track?tracknum=1Z%20999%20AA1" in text
    assert "Cancel this order" not in text
    [mail] = outbox.messages("lena@example.com")[-1:]
    assert mail["Subject"] == f"Your order {shop['number']} is on its way"
    assert "1Z 999 AA1" in mail.get_body(preferencelist=("plain",)).get_content()
    # A retried job sends nothing more.
    with app.app_context():
        send_order_update(order.id, "shipped")
        db.session.commit()
    assert len([m for m in outbox.messages() if "on its way" in m["Subject"]]) == 1


def test_a_step_that_is_not_open_is_refused(app, shop):
    response = _staff(shop, "/status", status="delivered")
    assert response.status_code == 409
    assert "That step is not open to this order now." in response.get_data(as_text=True)
    assert _order(app).status == "paid"


def test_shopper_cancels_before_shipping_and_gets_stock_and_money_back(app, shop, outbox):
    assert _stock(app, shop["lamp"]) == 3
    assert wallet_of(app, shop["buyer"].id) == 100_000 - 8_500  # 80.00 + 5.00 shipping
    response = shop["shopper"].post(f"/orders/{shop['number']}/cancel")
    assert response.status_code == 303
    assert _order(app).status == "cancelled"
    assert _stock(app, shop["lamp"]) == 5
    assert wallet_of(app, shop["buyer"].id) == 100_000
    with app.app_context():
        assert db.session.scalar(select(Payment.status)) == "refunded"
    assert any("is cancelled" in m["Subject"] for m in outbox.messages("lena@example.com"))


def test_a_shipped_order_cannot_be_cancelled(app, shop):
    _staff(shop, "/status", status="processing")
    _staff(shop, "/ship", carrier="dhl", tracking_number="JD0123456789")
    response = shop["shopper"].post(f"/orders/{shop['number']}/cancel")
    assert response.status_code == 409
    assert "can no longer be cancelled" in response.get_data(as_text=True)
    assert _order(app).status == "shipped" and _stock(app, shop["lamp"]) == 3


def test_someone_else_cannot_cancel_or_see_the_order(app, shop, factory):
    other = app.test_client()
    login(other, factory.user())
    assert other.post(f"/orders/{shop['number']}/cancel").status_code == 404
    assert _order(app).status == "paid"


def test_a_return_from_request_to_refund(app, shop, outbox):
    _deliver(app, shop)
    order = _order(app)
    with app.app_context():
        line_id = db.session.scalar(select(Order).where(Order.id == order.id)).lines[0].id
    page = shop["shopper"].get(f"/orders/{shop['number']}").get_data(as_text=True)
    assert "Return items" in page and f'name="qty-{line_id}"' in page
    data = {f"qty-{line_id}": "1", "reason": "It arrived damaged", "refund_to": "wallet"}
    response = shop["shopper"].post(f"/orders/{shop['number']}/returns", data=data)
    assert response.status_code == 303
    assert _order(app).status == "return_requested"
    with app.app_context():
        ret = db.session.scalar(select(Return))
        return_id = ret.id
    base = f"/returns/{return_id}"
    assert _staff(shop, f"{base}/approve").status_code == 303
    assert (
        _staff(shop, f"{base}/receive", **{f"resellable-{_return_line_id(app)}": "y"}).status_code
        == 303
    )
    assert _order(app).status == "returned"
    assert _stock(app, shop["lamp"]) == 4  # resellable: back on sale
    before = wallet_of(app, shop["buyer"].id)
    assert _staff(shop, f"{base}/refund").status_code == 303
    assert wallet_of(app, shop["buyer"].id) == before + 4_000
    assert _order(app).status == "partly_refunded"
    page = shop["shopper"].get(f"/orders/{shop['number']}").get_data(as_text=True)
    assert "Refunded" in page and "$40.00 refunded" in page
    subjects = [m["Subject"] for m in outbox.messages("lena@example.com")]
    assert f"We received your return for order {shop['number']}" in subjects
    assert f"Your refund for order {shop['number']}" in subjects


def _return_line_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Return)).lines[0].id


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ({"qty-LINE": "3"}, "You can return at most 2 of Desk Lamp."),
        ({"qty-LINE": "0"}, "Choose at least one item to return."),
        ({"qty-999999": "1"}, "That item is not part of this order."),
        ({"qty-LINE": "one"}, "as a whole number"),
    ],
)
def test_bad_return_requests_change_nothing(app, shop, quantities, message):
    _deliver(app, shop)
    with app.app_context():
        line_id = db.session.scalar(select(Order)).lines[0].id
    data = {k.replace("LINE", str(line_id)): v for k, v in quantities.items()}
    response = shop["shopper"].post(
        f"/orders/{shop['number']}/returns", data={**data, "reason": "Because"}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _order(app).status == "delivered"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Return)) == 0


def test_no_returns_after_the_window(app, shop):
    _deliver(app, shop, days_ago=15)
    with app.app_context():
        line_id = db.session.scalar(select(Order)).lines[0].id
    page = shop["shopper"].get(f"/orders/{shop['number']}").get_data(as_text=True)
    assert "Return items" not in page
    response = shop["shopper"].post(
        f"/orders/{shop['number']}/returns", data={f"qty-{line_id}": "1", "reason": "Late"}
    )
    assert response.status_code == 422
    assert "The return window of this order closed on" in response.get_data(as_text=True)


def test_a_rejected_return_puts_the_order_back(app, shop):
    _deliver(app, shop)
    with app.app_context():
        line_id = db.session.scalar(select(Order)).lines[0].id
    shop["shopper"].post(
        f"/orders/{shop['number']}/returns", data={f"qty-{line_id}": "2", "reason": "Too bright"}
    )
    with app.app_context():
        return_id = db.session.scalar(select(Return.id))
    _staff(shop, f"/returns/{return_id}/reject", note="Used items cannot be returned.")
    assert _order(app).status == "delivered"
    # Rejected twice over: the second click finds it decided.
    again = _staff(shop, f"/returns/{return_id}/approve")
    assert again.status_code == 422


def test_staff_refund_part_of_a_delivered_order_but_not_more_than_was_paid(app, shop):
    _deliver(app, shop)
    too_much = _staff(shop, "/refund", amount="100.00", reason="Goodwill")
    assert too_much.status_code == 422 and "At most $85.00 can be refunded." in too_much.get_data(
        as_text=True
    )
    assert _staff(shop, "/refund", amount="10.00", reason="Scratched").status_code == 303
    assert _order(app).status == "partly_refunded"
    assert _staff(shop, "/refund", amount="75.00", reason="The rest").status_code == 303
    assert _order(app).status == "refunded"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 2


def test_the_invoice_is_a_real_pdf_attached_and_downloadable(app, outbox, shop, factory):
    [mail] = [m for m in outbox.messages("lena@example.com") if shop["number"] in m["Subject"]]
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    year = utcnow().year
    assert f"Invoice INV-{year}-000001" in text
    assert "Desk Lamp" in text and "$80.00" in text and "$85.00" in text and "Lena Lamp" in text
    page = shop["shopper"].get(f"/orders/{shop['number']}").get_data(as_text=True)
    link = re.search(r'href="(/orders/[^"]+/documents/\d+\.pdf)"', page).group(1)
    response = shop["shopper"].get(link)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].endswith(f'INV-{year}-000001.pdf"')
    other = app.test_client()
    login(other, factory.user())
    assert other.get(link).status_code == 404


def test_a_refund_gets_a_credit_note(app, shop):
    _deliver(app, shop)
    _staff(shop, "/refund", amount="10.00", reason="Scratched")
    with app.app_context():
        note = db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
        assert note.number == f"CN-{utcnow().year}-000001" and note.amount == 1_000
        text = PdfReader(io.BytesIO(note.pdf)).pages[0].extract_text()
    assert "Credit note" in text and "$10.00" in text and "Scratched" in text


def test_cash_on_delivery_is_paid_when_delivered(app, factory, outbox):
    buyer = factory.user()
    factory.address(buyer)
    factory.cart_item(buyer, factory.product(price=2_000, stock=3), 1)
    shopper = app.test_client()
    login(shopper, buyer)
    check_out(shopper, method="cod", email=None)
    staff = app.test_client()
    login(staff, factory.user(role="admin"))
    number = _order(app).number
    for data in ({"status": "processing"},):
        staff.post(f"/admin/orders/{number}/status", data=data)
    staff.post(
        f"/admin/orders/{number}/ship", data={"carrier": "usps", "tracking_number": "9400 1000"}
    )
    staff.post(f"/admin/orders/{number}/status", data={"status": "delivered"})
    with app.app_context():
        assert db.session.scalar(select(Payment.status)) == "succeeded"
        assert db.session.scalar(select(Invoice.number)).startswith("INV-")


def test_staff_order_pages_are_staff_only(app, shop, factory):
    for url in ("/admin/orders", f"/admin/orders/{shop['number']}"):
        assert shop["shopper"].get(url).status_code == 403
        assert shop["staff"].get(url).status_code == 200
    assert (
        shop["shopper"].post(f"/admin/orders/{shop['number']}/refund", data={}).status_code == 403
    )
    listing = shop["staff"].get("/admin/orders?status=paid").get_data(as_text=True)
    assert shop["number"] in listing
    assert shop["number"] not in shop["staff"].get("/admin/orders?status=shipped").get_data(
        as_text=True
    )


def test_the_return_window_staff_set_applies(app, shop):
    from qkart.settings.services import save

    with app.app_context():
        save({"QKART_RETURN_WINDOW_DAYS": 3}, actor_id=None)
        db.session.commit()
    _deliver(app, shop, days_ago=5)
    page = shop["shopper"].get(f"/orders/{shop['number']}").get_data(as_text=True)
    assert "Return items" not in page
