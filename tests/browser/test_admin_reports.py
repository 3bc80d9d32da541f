"""The sales and cart abandonment reports in Chromium, with JavaScript on and off, axe
clean and fitting a 768px screen: an owner goes from the analytics overview to each
report by its navigation, sees the numbers in tables beside charts that load, and
changes the range (a preset; a backwards range, explained).

The data is made straight in the server's database: a sale and an abandoned cart today,
of a product that is not published, so the shop pages that other tests read never show
it (no "popular" product, no category count changes).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PASSWORD
from tests.browser.helpers import AxeAudit, log_in
from tests.browser.test_admin import assert_fits

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
DESKTOP = {"width": 1280, "height": 800}
PRODUCT = f"Report Lamp {uuid4().hex[:6]}"


@dataclass(frozen=True)
class Owner:
    email: str
    name: str = "Rae Reports"


@pytest.fixture(scope="module")
def owner(shop_app: Any) -> Owner:
    """An owner, with a sale (2 x 45.00) and a cart left with the same lamp today."""
    from qkart.accounts.services import mark_verified, register_user
    from qkart.analytics.models import AnalyticsEvent
    from qkart.catalog.models import Category, Product
    from qkart.extensions import db
    from qkart.orders.models import Order, OrderLine

    with shop_app.app_context():
        user = register_user(Owner.name, f"reports-{uuid4().hex[:10]}@example.com", PASSWORD)
        user.role = "owner"
        mark_verified(user)
        category_id = db.session.scalar(db.select(Category.id).order_by(Category.id).limit(1))
        lamp = Product(
            sku=f"RPT-{uuid4().hex[:6]}",
            slug=f"report-lamp-{uuid4().hex[:6]}",
            name=PRODUCT,
            description="A lamp only the reports know.",
            category_id=category_id,
            price=4_500,
            stock=5,
            image="img/categories/generic.svg",
            is_active=False,
        )
        db.session.add(lamp)
        db.session.flush()
        order = Order(
            number=f"QK-B{secrets.token_hex(4).upper()}",
            user_id=user.id,
            status="paid",
            currency="USD",
            subtotal=9_000,
            shipping=0,
            total=9_000,
            payment_method="wallet",
            shipping_address={"country": "US"},
            contact_email=user.email,
            idempotency_key=secrets.token_hex(16),
        )
        order.lines.append(
            OrderLine(
                product_id=lamp.id,
                product_name=lamp.name,
                sku=lamp.sku,
                unit_price=4_500,
                quantity=2,
                line_total=9_000,
            )
        )
        db.session.add(order)
        db.session.add(
            AnalyticsEvent(
                kind="cart.added",
                session=uuid4().hex,
                product_id=lamp.id,
                value=4_500,
                data={"quantity": 1},
            )
        )
        db.session.commit()
        made = Owner(email=user.email)
        db.session.remove()
    return made


@pytest.fixture(scope="module")
def owner_page(
    browser: Browser, browser_context_args: dict[str, Any], owner: Owner
) -> Iterator[Callable[[bool], Page]]:
    """One logged-in owner's page per JavaScript setting, opened on demand."""
    contexts: dict[bool, BrowserContext] = {}
    pages: dict[bool, Page] = {}

    def _page(js: bool) -> Page:
        if js not in pages:
            contexts[js] = browser.new_context(**browser_context_args, java_script_enabled=js)
            page = contexts[js].new_page()
            page.set_viewport_size(DESKTOP)
            page.goto("/login")
            log_in(page, owner.email, PASSWORD)
            expect(page.locator(".site-header")).to_contain_text(owner.name.split()[0])
            pages[js] = page
        return pages[js]

    yield _page
    for context in contexts.values():
        context.close()


def open_report(page: Page, label: str) -> None:
    """From the analytics overview, through the reports' own navigation."""
    page.goto("/admin/analytics")
    page.get_by_role("navigation", name="Reports").get_by_role("link", name=label).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(label)
    expect(
        page.get_by_role("navigation", name="Reports").locator("[aria-current=page]")
    ).to_have_text(label)


def charts_drawn(page: Page) -> list[int]:
    charts = page.locator("img.chart")
    for n in range(charts.count()):
        charts.nth(n).scroll_into_view_if_needed()
    return charts.evaluate_all(
        "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth, () => 0)))"
    )


@JS
def test_the_sales_report(owner_page: Callable[[bool], Page], js: bool) -> None:
    page = owner_page(js)
    open_report(page, "Sales")
    products = page.get_by_role("table", name=re.compile("Top products by revenue"))
    row = products.get_by_role("row", name=re.compile(PRODUCT))
    expect(row).to_contain_text("$90.00")
    expect(row.get_by_role("link", name=PRODUCT)).to_have_attribute(
        "href", re.compile(r"^/admin/products/\d+$")
    )
    widths = charts_drawn(page)
    assert len(widths) == 5 and all(w > 0 for w in widths), widths
    page.get_by_text("The numbers, day by day").click()  # the table behind the charts
    expect(page.get_by_role("table", name=re.compile("per day"))).to_be_visible()
    page.get_by_role("link", name="7 days").click()
    expect(page.get_by_text(re.compile(r"\(7 days\)"))).to_be_visible()
    if js:  # axe itself needs JavaScript; the page is the same markup either way
        audit = AxeAudit()
        audit.check(page, "sales report")
        audit.assert_clean()
        assert_fits(page, "sales report")  # no sideways scrolling on a 768px screen


@JS
def test_the_cart_abandonment_report(owner_page: Callable[[bool], Page], js: bool) -> None:
    page = owner_page(js)
    open_report(page, "Cart abandonment")
    expect(page.get_by_role("heading", name="Value left in carts")).to_be_visible()
    left = page.get_by_role("table", name=re.compile("Products left in abandoned carts"))
    expect(left.get_by_role("row", name=re.compile(PRODUCT))).to_contain_text("$45.00")
    widths = charts_drawn(page)
    assert len(widths) == 2 and all(w > 0 for w in widths), widths
    page.get_by_label("From", exact=True).fill("2026-11-10")
    page.get_by_label("To", exact=True).fill("2026-11-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("The last day cannot come before the first.")).to_be_visible()
    if js:
        audit = AxeAudit()
        audit.check(page, "cart abandonment report")
        audit.assert_clean()
        assert_fits(page, "cart abandonment report")
