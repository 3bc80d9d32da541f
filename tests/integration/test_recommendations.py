"""'Customers also bought' on a real database: co-occurrence, the fallback, the chore's
guard; and the prune chore of recently viewed products."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

from sqlalchemy import func, select

from qkart.cart.services import CartOwner
from qkart.core.db import utcnow
from qkart.extensions import db as _db
from qkart.orders.models import Order, OrderLine
from qkart.recommendations import services as recommendations
from qkart.recommendations.models import ProductRecommendation
from qkart.wishlist import services as wishlist
from qkart.wishlist.models import RecentlyViewed
from tests.conftest import count_queries

_numbers = count(1)


def order(*products: Any, status: str = "paid", age: timedelta = timedelta(days=1)) -> Order:
    """An order of one unit of each product, as checkout would have left it."""
    n = next(_numbers)
    placed = Order(
        number=f"T-{n:06d}",
        status=status,
        currency="USD",
        subtotal=0,
        shipping=0,
        total=0,
        payment_method="wallet",
        shipping_address={"country": "US"},
        contact_email="buyer@example.com",
        idempotency_key=f"rec-{n}",
        created_at=utcnow() - age,
        lines=[
            OrderLine(
                product_id=p.id,
                product_name=p.name,
                sku=p.sku,
                unit_price=p.price,
                quantity=1,
                line_total=p.price,
            )
            for p in products
        ],
    )
    _db.session.add(placed)
    _db.session.flush()
    return placed


def names(suggestions: recommendations.Suggestions) -> list[str]:
    return [p.name for p in suggestions.products]


def products(db: Any, factory: Any, *names: str, **kwargs: Any) -> list[Any]:
    """Products made by the factory (its own session, so first), then in this session."""
    made = [factory.product(name, **kwargs) for name in names]
    return [db.session.merge(p) for p in made]


def test_pairs_come_from_orders_bought_together(db, factory):
    lamp, bulb, shade, desk = products(db, factory, "Lamp", "Bulb", "Shade", "Desk")
    order(lamp, bulb, shade)
    order(lamp, bulb)
    order(lamp, desk, status="cancelled")  # never bought: does not count
    order(lamp, desk, status="awaiting_payment")
    order(lamp, desk, age=timedelta(days=400))  # too old to say anything
    assert recommendations.compute_also_bought() == 6  # lamp-bulb, lamp-shade, bulb-shade, each way

    found = recommendations.also_bought(lamp)
    assert found.from_orders and names(found)[:2] == ["Bulb", "Shade"]
    score = db.session.scalar(
        select(ProductRecommendation.score).where(
            ProductRecommendation.product_id == lamp.id,
            ProductRecommendation.other_product_id == bulb.id,
        )
    )
    assert score == 2
    assert "Desk" in names(found)  # only as the category's best seller, after the pairs


def test_only_products_on_sale_and_in_stock_are_shown(db, factory):
    lamp, bulb, shade, cable = products(db, factory, "Lamp", "Bulb", "Shade", "Cable")
    order(lamp, bulb, shade, cable)
    recommendations.compute_also_bought()
    bulb.stock = 0
    shade.is_active = False
    db.session.flush()
    assert names(recommendations.also_bought(lamp)) == ["Cable"]


def test_without_pairs_the_category_best_sellers_fill_in(db, factory):
    books, garden = factory.category("Books"), factory.category("Garden")
    sold = {"Atlas": 5, "Poems": 50, "Diary": 20, "Essays": 1, "Comics": 9}
    (spade,) = products(db, factory, "Spade", category=garden)
    shown, *others = products(db, factory, "Novel", *sold, category=books)
    for other in others:
        other.sold_count = sold[other.name]
        other.stock = 0 if other.name == "Poems" else 5
    spade.sold_count = 999
    db.session.flush()

    found = recommendations.also_bought(shown)
    assert not found.from_orders
    assert names(found) == ["Diary", "Comics", "Atlas", "Essays"]


def test_each_product_keeps_only_its_best_pairs(db, factory, monkeypatch):
    monkeypatch.setattr(recommendations, "KEEP_PER_PRODUCT", 2)
    hub, *spokes = products(db, factory, "Hub", *(f"Spoke {n}" for n in range(4)))
    for times, spoke in enumerate(spokes, start=1):
        for _ in range(times):
            order(hub, spoke)
    recommendations.compute_also_bought()
    kept = db.session.scalars(
        select(ProductRecommendation.other_product_id)
        .where(ProductRecommendation.product_id == hub.id)
        .order_by(ProductRecommendation.score.desc())
    ).all()
    assert kept == [spokes[3].id, spokes[2].id]


def test_the_chore_recomputes_at_most_every_few_hours(db, factory):
    lamp, bulb, shade = products(db, factory, "Lamp", "Bulb", "Shade")
    order(lamp, bulb)
    now = utcnow()
    assert recommendations.refresh_recommendations(now) == 2
    order(lamp, shade)
    assert recommendations.refresh_recommendations(now + timedelta(hours=1)) is None
    assert recommendations.refresh_recommendations(now + timedelta(hours=7)) == 4


def test_the_chore_runs_with_every_tick(app):
    from qkart.jobs.maintenance import chores, run_chores

    names = [chore.__name__ for chore in chores()]
    assert "refresh_recommendations" in names and "prune_recently_viewed" in names
    with app.app_context():
        results = run_chores()
    assert results["refresh_recommendations"] == "0"
    assert results["prune_recently_viewed"] == "0"


def test_suggestions_cost_two_queries_however_many_pairs(app, db, factory):
    lamp, *others = products(db, factory, "Lamp", *(f"Part {n}" for n in range(10)))
    order(lamp, others[0])
    recommendations.compute_also_bought()
    db.session.commit()
    db.session.refresh(lamp)
    with count_queries(app) as one_pair:
        recommendations.also_bought(lamp)
    for other in others[1:]:
        order(lamp, other)
    recommendations.compute_also_bought()
    db.session.commit()
    db.session.refresh(lamp)
    with count_queries(app) as many_pairs:
        assert len(recommendations.also_bought(lamp).products) == 4
    assert len(one_pair) == 2 and len(many_pairs) == 1


def test_pruning_keeps_each_viewers_last_twelve(db, factory):
    user = factory.user()
    things = products(db, factory, *(f"Thing {n}" for n in range(15)))
    shopper, visitor = CartOwner(user_id=user.id), CartOwner(token="visitor-token")
    for p in things:
        wishlist.record_view(shopper, p.id)
        wishlist.record_view(visitor, p.id)
    old = CartOwner(token="gone-for-long")
    wishlist.record_view(old, things[0].id)
    db.session.execute(
        RecentlyViewed.__table__.update()
        .where(RecentlyViewed.visitor_token == old.token)
        .values(viewed_at=utcnow() - timedelta(days=40))
    )
    assert wishlist.prune_recently_viewed() == 3 + 3 + 1

    def kept(owner: CartOwner) -> int:
        column = RecentlyViewed.user_id if owner.user_id else RecentlyViewed.visitor_token
        value = owner.user_id or owner.token
        return db.session.scalar(select(func.count()).where(column == value))

    assert kept(shopper) == kept(visitor) == 12 and kept(old) == 0
    assert wishlist.recently_viewed(shopper)[0].name == "Thing 14"


def test_the_product_page_shows_them(app, client, factory):
    lamps, garden = factory.category("Lamps"), factory.category("Garden")
    lamp = factory.product("Desk Lamp", category=lamps)
    bulb = factory.product("LED Bulb", category=garden)
    shade = factory.product("Paper Shade", category=lamps)
    with app.app_context():
        page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
        assert "Popular in Lamps" in page and "Paper Shade" in page and "LED Bulb" not in page
        order(lamp, bulb)
        recommendations.compute_also_bought()
        _db.session.commit()
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    section = page[page.index('id="also-title"') :]
    assert "Customers also bought" in section
    assert section.index("LED Bulb") < section.index("Paper Shade")  # pairs first, then fill
    assert f'id="add-{bulb.id}"' in section and f'id="wish-{bulb.id}"' in section
    assert f'id="add-{shade.id}"' in section
