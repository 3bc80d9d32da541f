"""Category pages (description, subcategories with counts, their products included), the
page of all categories, and a home page and footer that stay tidy with 40 categories."""

from __future__ import annotations

import re

from sqlalchemy import update

from qkart.catalog.models import Category
from qkart.extensions import db


def _nest(app, child, parent, description: str = "") -> None:
    with app.app_context():
        db.session.execute(
            update(Category)
            .where(Category.id == child.id)
            .values(parent_id=parent.id if parent else None)
        )
        if description:
            db.session.execute(
                update(Category).where(Category.id == parent.id).values(description=description)
            )
        db.session.commit()


def test_a_category_page_shows_its_subcategories_and_their_products(app, client, factory):
    home = factory.category("Home")
    lamps = factory.category("Lamps")
    _nest(app, lamps, home, "Everything for the house.")
    factory.product("Sofa", category=home)
    factory.product("Desk Lamp", category=lamps)
    factory.product("Floor Lamp", category=lamps)
    page = client.get("/categories/home").get_data(as_text=True)
    assert "Everything for the house." in page
    assert re.search(r'href="/categories/lamps">Lamps <span class="chip-count">2</span>', page)
    for name in ("Sofa", "Desk Lamp", "Floor Lamp"):
        assert name in page  # the products of its subcategories too
    lamp_page = client.get("/categories/lamps").get_data(as_text=True)
    assert "Sofa" not in lamp_page and "Desk Lamp" in lamp_page


def test_all_categories_as_a_tree_with_counts(app, client, factory):
    home = factory.category("Home")
    lamps = factory.category("Lamps")
    _nest(app, lamps, home)
    factory.product("Desk Lamp", category=lamps)
    factory.product("Draft", category=lamps, is_active=False)
    page = client.get("/categories").get_data(as_text=True)
    assert "<h1>All categories</h1>" in page
    assert re.search(r'>Home</a> <span class="small">\(1 product\)</span>', page)
    assert re.search(r'>Lamps</a> <span class="small">\(1 product\)</span>', page)
    assert page.index(">Home<") < page.index(">Lamps<")


def test_forty_categories_keep_home_and_footer_tidy(client, factory):
    for n in range(40):
        factory.category(f"Department {n:02d}")
    home = client.get("/").get_data(as_text=True)
    footer = home.split('<footer class="site-footer">', 1)[1]
    assert len(re.findall(r'href="/categories/department-', footer)) == 8
    assert 'href="/categories">All categories</a>' in footer
    main = home.split("<main", 1)[1].split("</main>", 1)[0]
    assert len(re.findall(r'class="category-chip" href="/categories/department-', main)) == 12
    assert 'href="/categories">All categories</a>' in main
