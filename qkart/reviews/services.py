"""Reviews: who may write one, posting and editing, helpful votes, staff moderation, and
the product's rating figures.

``Product.rating`` and ``Product.rating_count`` are a cache of the visible reviews, so
the catalogue can filter and sort by rating from an index. The demo seed sets them to
made-up figures; the first time a product gets a review (or one is edited, hidden or
shown again) they are recomputed from its visible reviews alone, in the same
transaction, and the seeded figures are gone for good. A product whose reviews are all
hidden therefore shows 0.0 from 0 ratings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from qkart.accounts.models import User
from qkart.catalog.models import Product
from qkart.core.db import utcnow
from qkart.core.errors import DomainError
from qkart.core.events import emit
from qkart.core.pagination import Page, paginate
from qkart.extensions import db
from qkart.orders.services import has_received
from qkart.reviews.errors import (
    AlreadyVotedError,
    NotABuyerError,
    OwnReviewError,
    ReviewNotFoundError,
)
from qkart.reviews.models import FORMER_CUSTOMER, Review, ReviewVote

PER_PAGE = 10
SORTS = {
    "newest": "Newest",
    "helpful": "Most helpful",
    "rating_high": "Highest rating",
    "rating_low": "Lowest rating",
}
# Each order ends in the id, so pages never repeat or skip a review.
_ORDERS = {
    "newest": (Review.created_at.desc(), Review.id.desc()),
    "helpful": (Review.helpful_count.desc(), Review.created_at.desc(), Review.id.desc()),
    "rating_high": (Review.rating.desc(), Review.created_at.desc(), Review.id.desc()),
    "rating_low": (Review.rating.asc(), Review.created_at.desc(), Review.id.desc()),
}
STAFF_FILTERS = {"": "All reviews", "visible": "Shown", "hidden": "Hidden"}


# -- who may review -------------------------------------------------------------------


def display_name(user: User) -> str:
    """How a shopper signs what they write: first name and last initial ("Sam S.")."""
    words = user.name.split()
    if not words:
        return "A customer"
    return f"{words[0]} {words[-1][0]}." if len(words) > 1 else words[0]


def may_review(user_id: int, product_id: int) -> bool:
    """Only a shopper who received the product (an order of theirs was delivered) may."""
    return has_received(user_id, product_id)


def check_may_review(user_id: int, product_id: int) -> None:
    """Raises ``NotABuyerError`` unless the shopper received the product."""
    if not may_review(user_id, product_id):
        raise NotABuyerError("Only shoppers who received this product can review it.")


def review_of(user_id: int, product_id: int) -> Review | None:
    """The shopper's own review of the product, hidden or not (there is at most one)."""
    return db.session.scalar(
        select(Review).where(Review.user_id == user_id, Review.product_id == product_id)
    )


# -- writing --------------------------------------------------------------------------


def save_review(user: User, product_id: int, *, rating: int, title: str, body: str) -> Review:
    """Post the shopper's review of the product, or edit the one they wrote before.

    Raises ``NotABuyerError`` if they have not received the product. A new review emits
    ``review.posted``. A review staff hid stays hidden when its author edits it.
    """
    if not 1 <= rating <= 5:
        raise DomainError("Choose from 1 to 5 stars.", field="rating")
    check_may_review(user.id, product_id)
    _lock_product(product_id)
    review = review_of(user.id, product_id)
    created = review is None
    if review is None:
        review = Review(product_id=product_id, user_id=user.id, helpful_count=0)
        db.session.add(review)
    review.author_name = display_name(user)
    review.rating, review.title, review.body = rating, title, body
    review.updated_at = utcnow()
    db.session.flush()
    refresh_rating(product_id)
    if created:
        emit(
            "review.posted",
            review_id=review.id,
            product_id=product_id,
            user_id=user.id,
            rating=rating,
        )
    return review


def _lock_product(product_id: int) -> None:
    """Hold the product's row until the commit.

    Two reviews of one product written at the same time would each count the reviews
    without the other's and leave a wrong average. With the row locked first, the second
    writer waits, and its count (a new statement) sees the first one's committed review.
    SQLite has one writer at a time anyway.
    """
    db.session.execute(select(Product.id).where(Product.id == product_id).with_for_update())


def refresh_rating(product_id: int) -> None:
    """Recompute the product's cached average and count from its visible reviews."""
    count, total = db.session.execute(
        select(func.count(Review.id), func.coalesce(func.sum(Review.rating), 0)).where(
            Review.product_id == product_id, Review.hidden_at.is_(None)
        )
    ).one()
    average = (
        (Decimal(int(total)) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if count
        else Decimal("0.0")
    )
    db.session.execute(
        update(Product).where(Product.id == product_id).values(rating=average, rating_count=count)
    )


# -- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingSummary:
    """A product's visible reviews by star: the average, the count and the 5..1 bars."""

    counts: dict[int, int]

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    @property
    def average(self) -> Decimal:
        if not self.count:
            return Decimal("0.0")
        total = sum(stars * n for stars, n in self.counts.items())
        return (Decimal(total) / self.count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def rating(self) -> Decimal:
        """The average, named as on ``Product`` so the shared ``stars`` macro draws it."""
        return self.average

    @property
    def stars(self) -> int:
        """Whole stars to draw (the same rounding as ``Product.stars``)."""
        return int(self.average.to_integral_value(rounding=ROUND_HALF_UP))

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(stars, reviews, whole percent of all reviews), from 5 stars down to 1."""
        total = self.count
        return [
            (stars, self.counts.get(stars, 0), round(100 * self.counts.get(stars, 0) / total))
            if total
            else (stars, 0, 0)
            for stars in range(5, 0, -1)
        ]


def rating_summary(product_id: int) -> RatingSummary:
    """One query: the product's visible reviews counted by star."""
    rows = db.session.execute(
        select(Review.rating, func.count(Review.id))
        .where(Review.product_id == product_id, Review.hidden_at.is_(None))
        .group_by(Review.rating)
    ).all()
    return RatingSummary({int(stars): int(n) for stars, n in rows})


def list_reviews(product_id: int, sort: str = "newest", page: int = 1) -> Page[Review]:
    """One page of the product's visible reviews in the chosen order (unknown: newest)."""
    visible = (Review.product_id == product_id, Review.hidden_at.is_(None))
    stmt = select(Review).where(*visible).order_by(*_ORDERS.get(sort, _ORDERS["newest"]))
    counted = select(func.count()).select_from(Review).where(*visible)
    return paginate(stmt, page, PER_PAGE, count=counted, one_query=True)


def voted_ids(user_id: int, review_ids: Iterable[int]) -> set[int]:
    """Which of these reviews the shopper already found helpful (one query for a page)."""
    ids = list(review_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(ReviewVote.review_id).where(
                ReviewVote.user_id == user_id, ReviewVote.review_id.in_(ids)
            )
        )
    )


# -- helpful votes ----------------------------------------------------------------------


def vote_helpful(user_id: int, review_id: int) -> Review:
    """Count the shopper's "this helped me" once; raises if it is their own review
    (``OwnReviewError``) or they voted already (``AlreadyVotedError``, also for the
    loser of a double click, caught by the unique key)."""
    review = db.session.get(Review, review_id)
    if review is None or review.is_hidden:
        raise ReviewNotFoundError("We could not find that review. It may have been removed.")
    if review.user_id == user_id:
        raise OwnReviewError("You cannot vote on your own review.")
    if voted_ids(user_id, [review_id]):
        raise AlreadyVotedError("You already marked this review as helpful.")
    try:
        with db.session.begin_nested():
            db.session.add(ReviewVote(review_id=review_id, user_id=user_id))
    except IntegrityError:
        raise AlreadyVotedError("You already marked this review as helpful.") from None
    db.session.execute(
        update(Review)
        .where(Review.id == review_id)
        .values(helpful_count=Review.helpful_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(review)
    return review


# -- staff --------------------------------------------------------------------------------


def get_review(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise ReviewNotFoundError("We could not find that review.")
    return review


def set_hidden(review_id: int, hidden: bool, *, staff_id: int) -> Review:
    """Hide a review from the shop (it stops counting in the rating) or show it again."""
    review = get_review(review_id)
    _lock_product(review.product_id)
    if hidden and review.hidden_at is None:
        review.hidden_at, review.hidden_by = utcnow(), staff_id
    elif not hidden:
        review.hidden_at = review.hidden_by = None
    db.session.flush()
    refresh_rating(review.product_id)
    return review


def staff_reviews(status: str = "", page: int = 1, per_page: int = 25) -> Page[Review]:
    """Every review, newest first; ``status`` "visible" or "hidden" narrows the list."""
    conditions = []
    if status == "visible":
        conditions.append(Review.hidden_at.is_(None))
    elif status == "hidden":
        conditions.append(Review.hidden_at.is_not(None))
    stmt = select(Review).where(*conditions).order_by(Review.created_at.desc(), Review.id.desc())
    counted = select(func.count()).select_from(Review).where(*conditions)
    return paginate(stmt, page, per_page, count=counted)


def products_of(reviews: Sequence[Any]) -> dict[int, Product]:
    """The products these reviews (or questions) are about, in one query, by id."""
    ids = {r.product_id for r in reviews}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))}


# -- the shopper's data -------------------------------------------------------------------


def export_for(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The shopper's reviews and helpful votes, for "Download my data"."""
    reviews = db.session.scalars(
        select(Review).where(Review.user_id == user_id).order_by(Review.id)
    ).all()
    products = products_of(reviews)
    votes = db.session.execute(
        select(ReviewVote.created_at, Review.id, Review.title)
        .join(Review, Review.id == ReviewVote.review_id)
        .where(ReviewVote.user_id == user_id)
        .order_by(ReviewVote.id)
    ).all()
    return {
        "reviews": [
            {
                "product": products[r.product_id].name,
                "rating": r.rating,
                "title": r.title,
                "text": r.body,
                "posted_at": r.created_at.isoformat(),
                "updated_at": r.updated_at.isoformat(),
                "hidden_by_staff": r.is_hidden,
                "helpful_votes": r.helpful_count,
            }
            for r in reviews
        ],
        "helpful_votes": [
            {"review_id": review_id, "review_title": title, "voted_at": at.isoformat()}
            for at, review_id, title in votes
        ],
    }


def forget_author(user_id: int) -> None:
    """For "Delete my account": keep the shopper's reviews (other shoppers rely on them,
    and the ratings stay as they are) but without their name or link to the account;
    their helpful votes are deleted and the counts they were in recomputed."""
    voted = list(
        db.session.scalars(select(ReviewVote.review_id).where(ReviewVote.user_id == user_id))
    )
    db.session.execute(delete(ReviewVote).where(ReviewVote.user_id == user_id))
    if voted:
        remaining = (
            select(func.count(ReviewVote.id))
            .where(ReviewVote.review_id == Review.id)
            .scalar_subquery()
        )
        db.session.execute(
            update(Review)
            .where(Review.id.in_(voted))
            .values(helpful_count=remaining)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(Review)
        .where(Review.user_id == user_id)
        .values(user_id=None, author_name=FORMER_CUSTOMER)
        .execution_options(synchronize_session=False)
    )
