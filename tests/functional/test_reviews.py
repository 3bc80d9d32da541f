"""Reviews on the product page: who may write one, the rating figures and their cache,
sorting and pages, helpful votes, staff moderation, and the shopper's data."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from qkart.audit.models import AuditEntry
from qkart.catalog.models import Product
from qkart.core import events
from qkart.extensions import db
from qkart.reviews.models import Review, ReviewVote
from tests.conftest import PASSWORD, count_queries, htmx, login
from tests.support.orders import order_of

RECEIVED = ["delivered", "return_requested", "returned", "partly_refunded"]
NOT_RECEIVED = ["placed", "paid", "processing", "shipped", "cancelled", "refunded"]
GOOD = {"rating": "4", "title": "Comfortable", "body": "Wore them for a month, still great."}


@pytest.fixture
def product(factory):
    return factory.product("Trail Shoes", rating="4.0")


def _buyer(app, factory, product, status="delivered", **kwargs):
    user = factory.user(**kwargs)
    order_of(app, user, product, status)
    return user


def _page(client, product, **args):
    return client.get(f"/products/{product.slug}", query_string=args).get_data(as_text=True)


def _post(client, product, **overrides):
    return client.post(f"/products/{product.slug}/reviews", data={**GOOD, **overrides})


def _reviews(app):
    with app.app_context():
        return db.session.scalars(select(Review).order_by(Review.id)).all()


def _fresh(app, product):
    with app.app_context():
        return db.session.get(Product, product.id)


def _review_as(app, factory, product, rating, title="Fine", **kwargs):
    """A new buyer posts a review through the page; returns (client, user)."""
    client = app.test_client()
    user = _buyer(app, factory, product, **kwargs)
    login(client, user)
    response = _post(client, product, rating=str(rating), title=title)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client, user


# -- who may review ------------------------------------------------------------------


@pytest.mark.parametrize("status", RECEIVED)
def test_a_shopper_who_received_the_product_reviews_it(app, client, factory, product, status):
    login(client, _buyer(app, factory, product, status))
    assert "Post your review" in _page(client, product)
    response = _post(client, product)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/products/{product.slug}#reviews")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your review." in page
    assert "Comfortable" in page and "Verified purchase" in page


@pytest.mark.parametrize("status", NOT_RECEIVED)
def test_a_shopper_who_did_not_receive_it_may_not(app, client, factory, product, status):
    login(client, _buyer(app, factory, product, status))
    page = _page(client, product)
    assert "Post your review" not in page
    assert "Reviews come from shoppers who received this product" in page
    assert _post(client, product).status_code == 403
    assert _reviews(app) == []


def test_a_visitor_is_asked_to_log_in_and_come_back(client, product):
    page = _page(client, product)
    assert f'href="/login?next=/products/{product.slug}%23reviews"' in page
    assert "Log in to write a review" in page
    response = _post(client, product)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_one_review_per_shopper_and_it_can_be_edited(app, client, factory, product):
    login(client, _buyer(app, factory, product))
    _post(client, product, rating="5", title="Great")
    page = _page(client, product)
    assert "Your review" in page and "Update your review" in page
    assert 'value="Great"' in page and 'id="rating-5" name="rating" value="5" checked' in page
    response = _post(client, product, rating="2", title="Worn out fast")
    assert response.status_code == 303
    assert "Your review is updated." in client.get("/").get_data(as_text=True)
    [review] = _reviews(app)
    assert (review.rating, review.title) == (2, "Worn out fast")
    assert _fresh(app, product).rating == Decimal("2.0")


def test_posting_a_review_emits_review_posted_once(app, client, factory, product, monkeypatch):
    seen = []
    monkeypatch.setitem(events._handlers, "review.posted", [lambda **p: seen.append(p)])
    user = _buyer(app, factory, product)
    login(client, user)
    _post(client, product)
    _post(client, product, title="Edited")
    [review] = _reviews(app)
    assert seen == [
        {"review_id": review.id, "product_id": product.id, "user_id": user.id, "rating": 4}
    ]


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rating": ""}, "Choose from 1 to 5 stars."),
        ({"rating": "9"}, "Choose from 1 to 5 stars."),
        ({"rating": "four"}, "Choose from 1 to 5 stars."),
        ({"title": "   "}, "Give your review a title."),
        ({"title": "x" * 121}, "Keep the title under 120 characters."),
        ({"body": ""}, "Write a few words about the product."),
        ({"body": "short"}, "Write between 10 and 5000 characters."),
        ({"body": "y" * 5001}, "Write between 10 and 5000 characters."),
    ],
)
def test_bad_input_is_422_beside_the_field_and_writes_nothing(
    app, client, factory, product, overrides, message
):
    login(client, _buyer(app, factory, product))
    response = _post(client, product, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    field = {"rating": "rating", "title": "review-title", "body": "review-text"}[
        next(iter(overrides))
    ]
    assert f'<p class="error" id="{field}-error">{message}</p>' in page
    assert _reviews(app) == []
    assert _fresh(app, product).rating == Decimal("4.0")


def test_review_text_is_shown_as_text_never_as_html(app, client, factory, product):
    login(client, _buyer(app, factory, product))
    _post(client, product, title="<script>alert(1)</script>", body='<img src=x onerror="alert(2)">')
    page = _page(client, product)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page


# -- the rating figures ---------------------------------------------------------------------


def test_average_count_and_distribution_come_from_reviews(app, client, factory, product):
    assert (_fresh(app, product).rating, _fresh(app, product).rating_count) == (Decimal("4.0"), 3)
    for stars in (5, 4, 4):
        _review_as(app, factory, product, stars)
    fresh = _fresh(app, product)
    assert (fresh.rating, fresh.rating_count) == (Decimal("4.3"), 3)
    page = _page(client, product)
    assert "4.3 <span" in page and "3 reviews" in page
    assert 'id="bar-5">5 stars</span>\n              <meter min="0" max="100" value="33"' in page
    assert 'id="bar-4">4 stars</span>\n              <meter min="0" max="100" value="67"' in page
    assert 'id="bar-1">1 star</span>\n              <meter min="0" max="100" value="0"' in page


def test_the_seeded_rating_gives_way_to_the_first_review(app, client, factory, product):
    page = _page(client, product)
    assert "No reviews yet." in page and "4.0 · 3 ratings" in page
    _review_as(app, factory, product, 2)
    assert "2.0 · 1 rating<" in _page(client, product)
    assert (_fresh(app, product).rating, _fresh(app, product).rating_count) == (Decimal("2.0"), 1)


def test_catalogue_rating_filter_and_sort_use_the_kept_cache(app, client, factory, product):
    rival = factory.product("Road Shoes", rating="3.0")
    _review_as(app, factory, product, 1)  # 4.0 seeded -> 1.0 from the review
    listing = client.get("/products?rating=3").get_data(as_text=True)
    assert "Road Shoes" in listing and "Trail Shoes" not in listing
    listing = client.get("/products?sort=rating").get_data(as_text=True)
    assert listing.index(rival.name) < listing.index(product.name)


# -- sorting and pages ----------------------------------------------------------------------


def _order_on_page(page, titles):
    found = sorted((page.index(f">{t}</h3>"), t) for t in titles if f">{t}</h3>" in page)
    return [t for _, t in found]


def test_reviews_sort_by_newest_helpful_and_rating(app, client, factory, product):
    _review_as(app, factory, product, 3, "Middling")
    voter, _ = _review_as(app, factory, product, 5, "Loved it")
    _review_as(app, factory, product, 1, "Broke")
    middling = next(r for r in _reviews(app) if r.title == "Middling")
    assert voter.post(f"/reviews/{middling.id}/helpful").status_code == 303
    titles = ["Middling", "Loved it", "Broke"]
    assert _order_on_page(_page(client, product), titles) == ["Broke", "Loved it", "Middling"]
    by = {
        sort: _order_on_page(_page(client, product, sort=sort), titles)
        for sort in ("newest", "helpful", "rating_high", "rating_low", "nonsense")
    }
    assert by["newest"] == by["nonsense"] == ["Broke", "Loved it", "Middling"]
    assert by["helpful"][0] == "Middling"
    assert by["rating_high"] == ["Loved it", "Middling", "Broke"]
    assert by["rating_low"] == ["Broke", "Middling", "Loved it"]
    assert '<option value="rating_low" selected>' in _page(client, product, sort="rating_low")


def test_reviews_come_ten_to_a_page_and_htmx_gets_only_the_list(app, client, factory, product):
    for n in range(12):
        _review_as(app, factory, product, 1 + n % 5, f"Review number {n}")
    first = _page(client, product)
    assert first.count('class="review" id="review-') == 10
    assert "Showing 1–10 of 12 reviews" in first
    assert f'href="/products/{product.slug}?sort=newest&amp;page=2#reviews"' in first
    second = _page(client, product, page=2)
    assert second.count('class="review" id="review-') == 2
    response = client.get(
        f"/products/{product.slug}?sort=rating_low&page=2", headers=htmx("reviews-list")
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Target" in response.headers["Vary"]
    assert "<html" not in fragment and "Customer reviews" not in fragment
    assert "Showing 11–12 of 12 reviews" in fragment


# -- helpful votes --------------------------------------------------------------------------


def _one_review(app, factory, product):
    _, author = _review_as(app, factory, product, 4, "Solid")
    [review] = _reviews(app)
    return review, author


def test_one_helpful_vote_per_shopper(app, client, factory, product):
    review, _ = _one_review(app, factory, product)
    login(client, factory.user())
    assert "Mark as helpful" in _page(client, product)
    response = client.post(f"/reviews/{review.id}/helpful")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#review-{review.id}")
    assert "1 person found this helpful, you included." in _page(client, product)
    again = client.post(f"/reviews/{review.id}/helpful")
    assert again.status_code == 409
    assert "You already marked this review as helpful." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ReviewVote.id))) == 1
        assert db.session.get(Review, review.id).helpful_count == 1


def test_helpful_vote_in_place_with_htmx(app, client, factory, product):
    review, _ = _one_review(app, factory, product)
    login(client, factory.user())
    target = f"helpful-{review.id}"
    response = client.post(f"/reviews/{review.id}/helpful", headers=htmx(target))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert f'id="{target}"' in fragment and "Thanks for your vote." in fragment
    again = client.post(f"/reviews/{review.id}/helpful", headers=htmx(target))
    assert again.status_code == 409
    assert "You already marked this review as helpful." in again.get_data(as_text=True)


def test_no_vote_on_your_own_review(app, factory, product):
    review, _ = _one_review(app, factory, product)
    author_client = app.test_client()
    login(author_client, next(u for u in [_author(app, review)]))
    assert "Mark as helpful" not in _page(author_client, product)
    response = author_client.post(f"/reviews/{review.id}/helpful")
    assert response.status_code == 422
    assert "You cannot vote on your own review." in response.get_data(as_text=True)


def _author(app, review):
    from qkart.accounts.models import User

    with app.app_context():
        user = db.session.get(User, review.user_id)
        db.session.expunge(user)
        return user


def test_votes_need_a_login_and_a_real_review(app, client, factory, product):
    review, _ = _one_review(app, factory, product)
    assert "Log in to mark it helpful" in _page(client, product)
    assert client.post(f"/reviews/{review.id}/helpful").status_code == 302
    login(client, factory.user())
    assert client.post("/reviews/999999/helpful").status_code == 404


# -- staff ----------------------------------------------------------------------------------


def test_staff_hide_and_show_a_review_again_audited(app, client, factory, product):
    _review_as(app, factory, product, 5, "Five stars")
    _review_as(app, factory, product, 1, "Spam spam spam")
    spam = next(r for r in _reviews(app) if r.title == "Spam spam spam")
    assert _fresh(app, product).rating == Decimal("3.0")
    staff = app.test_client()
    login(staff, factory.user(role="manager"))
    listing = staff.get("/admin/reviews").get_data(as_text=True)
    assert ">Reviews</a>" in listing and "Spam spam spam" in listing
    assert listing.index("Spam spam spam") < listing.index("Five stars")  # newest first
    response = staff.post(f"/admin/reviews/{spam.id}/hide", data={"back": "/admin/reviews"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/reviews"
    fresh = _fresh(app, product)
    assert (fresh.rating, fresh.rating_count) == (Decimal("5.0"), 1)
    page = _page(client, product)
    assert "Spam spam spam" not in page and "1 review<" in page
    hidden = staff.get("/admin/reviews?status=hidden").get_data(as_text=True)
    assert "Spam spam spam" in hidden and "Five stars" not in hidden
    assert "Show review again" in hidden
    assert "Spam spam spam" not in staff.get("/admin/reviews?status=visible").get_data(as_text=True)
    assert staff.post(f"/admin/reviews/{spam.id}/unhide").status_code == 303
    assert _fresh(app, product).rating == Decimal("3.0")
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith("review.")] == ["review.hide", "review.unhide"]


def test_the_author_still_sees_and_edits_a_hidden_review(app, factory, product):
    author_client, _ = _review_as(app, factory, product, 1, "Rude words")
    [review] = _reviews(app)
    staff = app.test_client()
    login(staff, factory.user(role="manager"))
    staff.post(f"/admin/reviews/{review.id}/hide")
    page = _page(author_client, product)
    assert "Our staff have hidden your review" in page
    _post(author_client, product, rating="3", title="Calmer words")
    assert _reviews(app)[0].is_hidden
    assert _fresh(app, product).rating_count == 0


def test_customers_may_not_moderate(app, client, factory, product):
    review, _ = _one_review(app, factory, product)
    login(client, factory.user())
    assert client.get("/admin/reviews").status_code == 403
    assert client.post(f"/admin/reviews/{review.id}/hide").status_code == 403
    assert not _reviews(app)[0].is_hidden
    visitor = app.test_client()
    assert visitor.get("/admin/reviews").headers["Location"].startswith("/login")


# -- the shopper's data ---------------------------------------------------------------------


def test_download_my_data_has_reviews_and_votes(app, client, factory, product):
    other, _ = _one_review(app, factory, product)
    user = _buyer(app, factory, product)
    login(client, user)
    _post(client, product, title="Mine")
    client.post(f"/reviews/{other.id}/helpful")
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert [(r["product"], r["title"], r["rating"]) for r in data["reviews"]] == [
        ("Trail Shoes", "Mine", 4)
    ]
    assert [v["review_id"] for v in data["helpful_votes"]] == [other.id]


def test_deleting_the_account_keeps_reviews_without_the_name(app, client, factory, product):
    other, _ = _one_review(app, factory, product)
    user = _buyer(app, factory, product, name="Dana Deleted")
    login(client, user)
    _post(client, product, rating="2", title="Mine")
    client.post(f"/reviews/{other.id}/helpful")
    assert "Dana D." in _page(client, product)
    response = client.post("/account/delete", data={"password": PASSWORD, "confirmation": "DELETE"})
    assert response.status_code == 303
    page = _page(app.test_client(), product)
    assert "Dana" not in page and "A former customer" in page and "Mine" in page
    with app.app_context():
        mine = db.session.scalar(select(Review).where(Review.title == "Mine"))
        assert mine.user_id is None
        assert db.session.get(Review, other.id).helpful_count == 0
        assert db.session.scalar(select(func.count(ReviewVote.id))) == 0
    assert _fresh(app, product).rating == Decimal("3.0")  # the review still counts


# -- performance ----------------------------------------------------------------------------


def test_product_page_queries_do_not_grow_with_reviews(app, client, factory, product):
    viewer = _buyer(app, factory, product)
    login(client, viewer)
    client.get(f"/products/{product.slug}")  # seen: the counted visits below are repeat views
    counts = []
    for total in (1, 10):
        while len(_reviews(app)) < total:
            _review_as(app, factory, product, 1 + len(_reviews(app)) % 5)
        with count_queries(app) as statements:
            assert client.get(f"/products/{product.slug}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_review_and_vote_posts_need_a_csrf_token(make_app, factory, product):
    app = make_app(WTF_CSRF_ENABLED=True)
    author = _buyer(app, factory, product)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": author.email, "password": PASSWORD, "csrf_token": token})
    assert _post(client, product).status_code == 400
    assert _reviews(app) == []
    page = _page(client, product)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert _post(client, product, csrf_token=token).status_code == 303
    assert client.post(f"/reviews/{_reviews(app)[0].id}/helpful").status_code == 400
