"""What the browser tests share: axe-core, a no-navigation guard, focus checks, forms,
checkout steps, and the money the seeded shop should charge."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Request, Response, expect

from qkart.pricing.seed import DEMO_RATES
from qkart.shipping.seed import DEMO_METHODS

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Products of the classic catalogue the journeys buy (stock is ample for every test).
WATCH = "The Minimalist Slim Leather Watch"  # 60.00, the only match for "watch"
WATCH_PRICE = Decimal("60.00")
BOOK = "Thinking, Fast and Slow"  # 15.00, category Books
BOOK_PRICE = Decimal("15.00")
BOOK_SLUG = "thinking-fast-and-slow"
WELCOME_CREDIT = Decimal("5000.00")  # every verified shopper's wallet to start with


# -- accessibility -----------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; its WCAG 2.1 A/AA violations."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci --prefix tools`", False)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target, html: n.html, summary: n.failureSummary,
                })),
            }));
        }""",
        AXE_TAGS,
    )
    return list(result)


ID_PROBLEMS = """() => {
    const problems = [];
    const counts = {};
    for (const el of document.querySelectorAll('[id]')) counts[el.id] = (counts[el.id] || 0) + 1;
    for (const [id, n] of Object.entries(counts)) {
        if (n > 1) problems.push(`id "${id}" is used ${n} times`);
    }
    const refs = ['for', 'aria-describedby', 'aria-labelledby', 'aria-controls', 'form'];
    const controls = ['INPUT', 'BUTTON', 'SELECT', 'TEXTAREA', 'OUTPUT', 'FIELDSET'];
    for (const attr of refs) {
        for (const el of document.querySelectorAll(`[${attr}]`)) {
            if (attr === 'form' && !controls.includes(el.tagName)) continue;
            for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) {
                    const tag = el.tagName.toLowerCase();
                    problems.push(`${attr}="${id}" on <${tag}> points nowhere`);
                }
            }
        }
    }
    return problems;
}"""


def id_problems(page: Page) -> list[str]:
    """Duplicate ids and references to ids that do not exist (axe 4 no longer checks ids)."""
    return list(page.evaluate(ID_PROBLEMS))


def describe_violations(label: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{label}: {len(violations)} axe violation(s)"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    at {json.dumps(node['target'])}")
            lines.append(f"       {node['html'][:300]}")
            for hint in (node["summary"] or "").splitlines():
                lines.append(f"       | {hint}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more element(s)")
    return "\n".join(lines)


@dataclass
class AxeAudit:
    """Audits pages one after another and fails once, at the end, listing everything."""

    failures: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    def check(self, page: Page, label: str) -> None:
        where = f"{label} ({page.url})"
        violations = axe_violations(page)
        self.audited.append(where)
        if violations:
            self.failures.append(describe_violations(where, violations))
        problems = id_problems(page)
        if problems:
            self.failures.append(f"{where}: broken ids\n" + "\n".join(f"  {p}" for p in problems))

    def assert_clean(self) -> None:
        if self.failures:
            pytest.fail("\n\n".join(self.failures), False)


# -- no page load ----------------------------------------------------------------


@dataclass
class NavigationGuard:
    """Counts document loads; htmx swaps make fetch/XHR requests only."""

    page: Page
    documents: list[str] = field(default_factory=list)

    def _on_request(self, request: Request) -> None:
        if request.resource_type == "document" and request.frame == self.page.main_frame:
            self.documents.append(f"{request.method} {request.url}")


@contextmanager
def no_page_load(page: Page) -> Iterator[NavigationGuard]:
    """Inside the block the page must not be reloaded or navigated away from."""
    guard = NavigationGuard(page)
    page.evaluate("() => { window.__marker = 1; }")
    page.on("request", guard._on_request)
    try:
        yield guard
    finally:
        page.remove_listener("request", guard._on_request)
    assert guard.documents == [], f"the page was loaded again: {guard.documents}"
    assert page.evaluate("() => window.__marker") == 1, "the page was reloaded"


# -- keyboard focus ----------------------------------------------------------------

FOCUS_INFO = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || el.value || '').trim(),
        label: el.getAttribute('aria-label') || '', name: el.getAttribute('name') || '',
        boxShadow: style.boxShadow, outlineStyle: style.outlineStyle,
        outlineWidth: style.outlineWidth, href: el.getAttribute('href') || '',
        describedby: el.getAttribute('aria-describedby') || '',
    };
}"""


def focused(page: Page) -> dict[str, Any] | None:
    return page.evaluate(FOCUS_INFO)


def _assert_visible(info: dict[str, Any]) -> dict[str, Any]:
    """The app's :focus-visible rule draws a box-shadow ring (an outline would do too)."""
    outline = info["outlineStyle"] != "none" and info["outlineWidth"] not in ("0px", "")
    assert info["boxShadow"] != "none" or outline, f"focus is invisible on {info}"
    return info


def assert_focus_visible(page: Page) -> dict[str, Any]:
    info = focused(page)
    assert info is not None, "keyboard focus was lost (it is on the page body)"
    return _assert_visible(info)


def tab_until(
    page: Page,
    matches: Callable[[dict[str, Any]], bool],
    *,
    backwards: bool = False,
    limit: int = 80,
) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until ``matches(focus info)``; focus is visible at each stop."""
    key = "Shift+Tab" if backwards else "Tab"
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        info = focused(page)
        if info is None:
            seen.append("<body>")
            continue
        _assert_visible(info)
        seen.append(f"{info['tag']}#{info['id']} {info['text'][:30]!r}")
        if matches(info):
            return info
    pytest.fail(f"{key} never reached the element; focus went through: {seen}", False)


# -- forms and money ---------------------------------------------------------------


def money(amount: Decimal | float) -> str:
    """'$1,234.50' from 1234.5, as the app shows US dollars (Babel, en_US)."""
    return f"${Decimal(str(amount)):,.2f}"


# -- what the seeded shop charges (flask seed: qkart/*/seed.py) ---------------------

CENT = Decimal("0.01")
_US_TAX = DEMO_RATES["US"]  # (label, standard, reduced, zero) in per cent
# Books are "reduced", everything else "standard": one rate prices both here.
assert _US_TAX[1] == _US_TAX[2], "US standard and reduced tax rates differ: price per line"
US_TAX_RATE = Decimal(_US_TAX[1]) / 100
US_TAX_LABEL = f"{_US_TAX[0]} {Decimal(_US_TAX[1]).normalize():f}%"  # "Sales tax 7%"


def _seeded_method(code: str) -> tuple[Any, ...]:
    return next(row for row in DEMO_METHODS if row[0] == code)


def delivery_name(code: str) -> str:
    return str(_seeded_method(code)[1])


def delivery_price(code: str, goods: Decimal) -> Decimal:
    """A value-based method's US price for goods worth ``goods`` (after the discount)."""
    _, _, _, _, basis, _, _, free_over, rates = _seeded_method(code)
    assert basis == "value", f"{code} is priced by weight: not modelled here"
    cents = int(goods * 100)
    steps = [(low, price) for country, low, price in rates if country == "US" and low <= cents]
    _, price = max(steps)
    if free_over is not None and cents >= free_over:
        price = 0
    return Decimal(price) / 100


def percent_off(amount: Decimal, percent: int) -> Decimal:
    """A percentage coupon's discount, rounded half-up to the cent (as the app does)."""
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    """One price breakdown, as the cart, checkout and order pages should show it."""

    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    fee: Decimal
    tax: Decimal
    total: Decimal
    delivery: str  # the delivery method's name

    @property
    def goods(self) -> Decimal:
        return self.subtotal - self.discount


def priced(
    subtotal: Decimal,
    *,
    discount: Decimal = Decimal(0),
    delivery: str = "standard",
    fee: Decimal = Decimal(0),
) -> Totals:
    """The seeded US pricing: delivery on the goods after discount, then sales tax on the
    goods after discount plus shipping and fee, rounded once, half-up; prices exclude tax."""
    goods = subtotal - discount
    shipping = delivery_price(delivery, goods)
    tax = ((goods + shipping + fee) * US_TAX_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
    return Totals(
        subtotal=subtotal,
        discount=discount,
        shipping=shipping,
        fee=fee,
        tax=tax,
        total=goods + shipping + fee + tax,
        delivery=delivery_name(delivery),
    )


def expect_totals(page: Page, prefix: str, totals: Totals) -> None:
    """The breakdown macro (``_totals.html``) with ids ``<prefix>-subtotal`` ... ``-total``."""
    expect(page.locator(f"#{prefix}-subtotal")).to_have_text(money(totals.subtotal))
    discount = page.locator(f"#{prefix}-discount")
    if totals.discount:
        expect(discount).to_have_text(f"−{money(totals.discount)}")
    else:
        expect(discount).to_have_count(0)
    shipping = page.locator(f"#{prefix}-shipping")
    expect(shipping).to_have_text("Free" if not totals.shipping else money(totals.shipping))
    row = page.locator("dl.totals > div")
    expect(row.filter(has=shipping)).to_contain_text(f"({totals.delivery})")
    fee = page.locator(f"#{prefix}-fee")
    if totals.fee:
        expect(fee).to_have_text(money(totals.fee))
    else:
        expect(fee).to_have_count(0)
    tax = page.locator(f"#{prefix}-tax")
    expect(tax).to_have_text(money(totals.tax))
    expect(row.filter(has=tax).locator("dt")).to_have_text(US_TAX_LABEL)
    expect(page.locator(f"#{prefix}-total")).to_have_text(money(totals.total))


# -- checkout ---------------------------------------------------------------------

CHECKOUT_STEPS = ("contact", "address", "shipping", "payment", "review")


def step(page: Page, name: str) -> Locator:
    """One checkout step (``<li id="step-<name>">``): contact, address, shipping, payment,
    review."""
    assert name in CHECKOUT_STEPS, name
    return page.locator(f"#step-{name}")


def expect_answered(page: Page, name: str, answer: str | re.Pattern[str]) -> None:
    """The step shows its answer and a "Change" link instead of its form."""
    answered = step(page, name)
    expect(answered).to_have_class(re.compile(r"\bis-done\b"))
    expect(answered.locator(".step-answer")).to_contain_text(answer)
    expect(answered.get_by_role("link", name=re.compile(r"^Change\b"))).to_be_visible()
    expect(answered.locator("form")).to_have_count(0)


@contextmanager
def posts_answered_with_303(page: Page) -> Iterator[list[Response]]:
    """Every POST made inside the block is answered with a 303 (and there is one)."""
    posts: list[Response] = []

    def record(response: Response) -> None:
        if response.request.method == "POST":
            posts.append(response)

    page.on("response", record)
    try:
        yield posts
    finally:
        page.remove_listener("response", record)
    assert posts, "no form was posted"
    assert [r.status for r in posts] == [303] * len(posts), [
        f"{r.request.url} -> {r.status}" for r in posts
    ]


def fill_address(page: Page, full_name: str) -> None:
    """Fill the shipping-address form by its labels (optional fields left empty)."""
    scope = page.locator("form:has(input[name=line1])").first
    scope.get_by_label("Full name").fill(full_name)
    scope.get_by_label("Address line 1").fill("42 Journey Road")
    scope.get_by_label("Town or city").fill("Springfield")
    scope.get_by_label("Postal code").fill("62704")
    scope.get_by_label("Country").select_option("US")


def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def cart_badge(page: Page) -> Any:
    return page.locator("#cart-count")


def expect_badge(page: Page, count: int) -> None:
    word = "item" if count == 1 else "items"
    expect(cart_badge(page)).to_have_text(re.compile(rf"^\s*{count}\s+{word}\s*$"))
