"""Home, catalogue, category and product pages: full pages and htmx fragments."""

import re

import pytest

from tests.conftest import count_queries, htmx


@pytest.fixture
def catalogue(factory):
    fashion = factory.category("Fashion")
    books = factory.category("Books")
    return {
        "shoes": factory.product(
            "Running Shoes", price=5000, stock=40, category=fashion, featured=True
        ),
        "blazer": factory.product("Grey Blazer", price=7500, stock=2, category=fashion),
        "book": factory.product("Thinking, Fast and Slow", price=1500, stock=0, category=books),
        "fashion": fashion,
        "books": books,
    }


def test_home_has_search_categories_and_featured(client, catalogue):
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'name="q"' in page
    assert "Fashion" in page and "Books" in page
    assert "Running Shoes" in page
    assert "Featured products" in page


def test_every_page_has_header_footer_and_cart_badge(client, catalogue):
    page = client.get("/products").get_data(as_text=True)
    assert 'id="cart-count"' in page
    assert "Log in" in page and "Register" in page
    assert "<footer" in page


def test_catalogue_cards_show_what_a_shopper_needs(client, catalogue):
    page = client.get("/products").get_data(as_text=True)
    assert "Running Shoes" in page and "$50.00" in page
    assert "Only 2 left" in page
    assert "Out of stock" in page
    assert page.count(">Add to cart<") == 2  # not for the sold-out book
    assert "Rated 4.0 out of 5" in page
    assert "Showing 1–3 of 3 products" in page


@pytest.mark.parametrize("query", ["shoes", "SHOES", "ShOeS", "  shoes  "])
def test_search_matches_name_case_insensitively(client, catalogue, query):
    page = client.get("/products", query_string={"q": query}).get_data(as_text=True)
    assert "Running Shoes" in page
    assert "Grey Blazer" not in page


def test_search_matches_category_name(client, catalogue):
    page = client.get("/products?q=fashion").get_data(as_text=True)
    assert "Running Shoes" in page and "Grey Blazer" in page
    assert "Thinking, Fast and Slow" not in page


def test_search_treats_wildcards_literally(client, catalogue):
    page = client.get("/products?q=%25").get_data(as_text=True)
    assert "No products found" in page


def test_no_match_says_so_with_a_way_back(client, catalogue):
    response = client.get("/products?q=unicorn")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No products found" in page
    assert 'href="/products"' in page


def test_live_search_returns_only_the_results_fragment(client, catalogue):
    response = client.get("/products?q=blazer", headers=htmx("results"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Grey Blazer" in page and "Running Shoes" not in page
    assert "<html" not in page and "<footer" not in page
    assert "HX-Target" in response.headers["Vary"]


def test_history_restore_gets_the_full_page(client, catalogue):
    headers = htmx("results", **{"HX-History-Restore-Request": "true"})
    page = client.get("/products?q=blazer", headers=headers).get_data(as_text=True)
    assert "<html" in page


def test_boosted_request_without_matching_target_gets_full_page(client, catalogue):
    page = client.get("/products", headers=htmx("main")).get_data(as_text=True)
    assert "<html" in page


def test_category_filter_and_category_page(client, catalogue):
    page = client.get("/products?category=books").get_data(as_text=True)
    assert "Thinking, Fast and Slow" in page and "Running Shoes" not in page
    page = client.get("/categories/fashion").get_data(as_text=True)
    assert (
        '<h1 id="listing-title">Fashion</h1>' in page
        and "Running Shoes" in page
        and "Thinking" not in page
    )
    assert client.get("/categories/nope").status_code == 404


def test_filters_and_sorting(client, catalogue):
    page = client.get("/products?sort=price_desc").get_data(as_text=True)
    assert page.index("Grey Blazer") < page.index("Running Shoes") < page.index("Thinking")
    page = client.get("/products?in_stock=1").get_data(as_text=True)
    assert "Thinking, Fast and Slow" not in page
    page = client.get("/products?min_price=60&max_price=100").get_data(as_text=True)
    assert "Grey Blazer" in page and "Running Shoes" not in page


@pytest.mark.parametrize(
    "query",
    [
        "min_price=abc",
        "max_price=-5",
        "sort=bogus",
        "per_page=1000",
        "rating=9",
        "category=nope",
        "q=" + "x" * 300,
    ],
)
def test_bad_filters_are_explained_not_crashed(client, catalogue, query):
    response = client.get(f"/products?{query}")
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_pagination(client, factory):
    for n in range(30):
        factory.product(f"Widget {n:02d}")
    first = client.get("/products?per_page=12").get_data(as_text=True)
    assert "Showing 1–12 of 30 products" in first
    assert "Page 1 of 3" in first and 'rel="next"' in first
    third = client.get("/products?per_page=12&page=3").get_data(as_text=True)
    assert "Showing 25–30 of 30 products" in third
    assert client.get("/products?per_page=12&page=99").status_code == 404


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999999999"])
def test_odd_page_numbers_mean_the_first_page(client, catalogue, page):
    response = client.get(f"/products?page={page}")
    assert response.status_code == 200
    assert "Showing 1–3 of 3 products" in response.get_data(as_text=True)


def test_catalogue_query_count_is_fixed(app, client, factory):
    for n in range(50):
        factory.product(f"Gadget {n}")
    client.get("/")  # the visit's analytics session starts here, not in the count
    counts = []
    for per_page in (12, 48):
        with count_queries(app) as statements:
            assert client.get(f"/products?per_page={per_page}").status_code == 200
        counts.append(len(statements))
    # The count, the page, and three grouped facet counts (category, brand, rating and
    # stock): flat in the page size. The categories were read (and kept) by "/"; a
    # second visit reads only the page's products (tests/functional/test_render_cache.py).
    assert counts == [5, 5], counts


def test_home_query_count_is_fixed(app, client, factory):
    for n in range(20):
        factory.product(f"Thing {n}", featured=True)
    with count_queries(app) as statements:
        client.get("/")
    assert len(statements) <= 4, statements


def test_product_page(client, catalogue):
    response = client.get(f"/products/{catalogue['blazer'].slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1" in page and "Grey Blazer" in page
    assert "$75.00" in page and "Only 2 left" in page
    assert 'name="quantity"' in page and ">Add to cart<" in page
    assert "A fine Grey Blazer." in page


def test_sold_out_product_page(client, catalogue):
    page = client.get(f"/products/{catalogue['book'].slug}").get_data(as_text=True)
    assert "Out of stock" in page and ">Add to cart<" not in page


def test_unknown_and_retired_products_are_404(client, factory):
    retired = factory.product("Old", is_active=False)
    assert client.get("/products/nothing-here").status_code == 404
    response = client.get(f"/products/{retired.slug}")
    assert response.status_code == 404
    assert "We could not find that product" in response.get_data(as_text=True)


def test_robots_txt_keeps_private_pages_out_of_search_engines(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "User-agent: *" in text and "Disallow: /checkout" in text
    assert "Disallow: /products" not in text


def test_product_page_query_count(app, client, catalogue):
    with count_queries(app) as statements:
        client.get(f"/products/{catalogue['shoes'].slug}")
    # The product and the footer's categories (2), reviews and questions (5), the view
    # recorded in a savepoint (3: SAVEPOINT, upsert, RELEASE), "customers also bought"
    # and its category fallback (2), the analytics events of the visit in one INSERT
    # (1). Each part is flat: see its own query-count test.
    assert len(statements) <= 13, statements


def test_short_searches_match_the_start_of_a_word(client, factory):
    factory.product("Apple iPad Pro")
    factory.product("Desk Lamp")
    page = client.get("/products?q=ip").get_data(as_text=True)
    assert "Apple iPad Pro" in page and "Desk Lamp" not in page
    assert "Apple iPad Pro" not in client.get("/products?q=ad").get_data(as_text=True)
    page = client.get("/products?q=amp").get_data(as_text=True)  # three letters: anywhere
    assert "Desk Lamp" in page and "Apple iPad Pro" not in page


def test_punctuation_alone_finds_nothing_quickly(client, catalogue):
    for q in ("%", "_", "%_", "()", "--"):
        assert "No products found" in client.get("/products", query_string={"q": q}).get_data(
            as_text=True
        )


def test_a_form_sent_without_htmx_focuses_its_first_error(client):
    response = client.post("/register", data={"name": "", "email": "not-an-address"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count(" autofocus") == 1
    tag = re.search(r"<input[^>]* autofocus[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in tag
    live = client.post("/register", data={"name": "", "email": "x"}, headers=htmx("register-form"))
    assert " autofocus" not in live.get_data(as_text=True)
