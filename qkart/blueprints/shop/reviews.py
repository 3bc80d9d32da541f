"""The product page's reviews and questions: what it shows, and the forms it posts.

Posting a review, a question or an answer is a plain form post that ends in a 303 back
to the product page's section (or the page again with 422 and the message beside the
field). The helpful vote and the reviews' sort and pages are swapped in place by htmx,
and are ordinary forms and links without it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_login import current_user, login_required

from qkart.blueprints.common import commit_or_retry, page_number
from qkart.blueprints.shop import bp
from qkart.blueprints.shop.review_forms import AnswerForm, QuestionForm, ReviewForm
from qkart.catalog import services as catalog
from qkart.catalog.models import Product
from qkart.core.errors import DomainError
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.core.shop import shop_today
from qkart.extensions import db
from qkart.orders.services import has_received
from qkart.questions import services as questions
from qkart.reviews import services as reviews
from qkart.reviews.models import Review
from qkart.shipping.services import delivery_estimates

REVIEW_LIST = "reviews-list"


def _sort() -> str:
    sort = request.args.get("sort", "newest")
    return sort if sort in reviews.SORTS else "newest"


def _viewer(product: Product) -> dict[str, Any]:
    """What the signed-in shopper may do here (three queries at most, whatever the page)."""
    if not current_user.is_authenticated:
        return {"mine": None, "received": False, "may_answer": False, "waiting": []}
    received = not current_user.is_staff and has_received(current_user.id, product.id)
    return {
        "mine": reviews.review_of(current_user.id, product.id),
        "received": received,
        "may_answer": received,
        "waiting": questions.waiting_questions(product.id, current_user.id, all_of_them=received),
    }


def _list_context(product: Product) -> dict[str, Any]:
    sort = _sort()
    page = reviews.list_reviews(product.id, sort, page_number(request.args.get("page")))
    voted = (
        reviews.voted_ids(current_user.id, (r.id for r in page.items))
        if current_user.is_authenticated
        else set()
    )
    return {
        "reviews_page": page,
        "review_sort": sort,
        "review_sorts": reviews.SORTS,
        "voted": voted,
        "review_page_url": lambda n, anchor=True: _page_url(product, sort, n, anchor),
    }


def _page_url(product: Product, sort: str, page: int, anchor: bool) -> str:
    """A page of the reviews; the plain link lands on the section, htmx needs no anchor."""
    return url_for(
        "shop.product",
        slug=product.slug,
        sort=sort,
        page=page,
        _anchor="reviews" if anchor else None,
    )


def product_page(
    product: Product,
    *,
    status: int = 200,
    review_form: ReviewForm | None = None,
    question_form: QuestionForm | None = None,
    answer_error: tuple[int, AnswerForm] | None = None,
    **extra: Any,
) -> Response:
    """The product page with its reviews and questions; htmx asking for the review list
    (sorting, another page) gets only that fragment."""
    listing = _list_context(product)
    if htmx_target() == REVIEW_LIST:
        return render("shop/_review_list.html", product=product, **listing, **extra)
    viewer = _viewer(product)
    return render(
        "shop/product.html",
        status=status,
        product=product,
        summary=reviews.rating_summary(product.id),
        review_form=review_form or _review_form(viewer["mine"]),
        question_form=question_form or QuestionForm(formdata=None),
        answer_error=answer_error,
        questions_page=questions.answered_questions(
            product.id, page_number(request.args.get("qpage"))
        ),
        delivery=delivery_estimates(shop_today()) if product.in_stock else [],
        **listing,
        **viewer,
        **extra,
    )


def _review_form(review: Review | None) -> ReviewForm:
    """An empty form, or the shopper's own review to edit."""
    if review is None:
        return ReviewForm(formdata=None)
    data = {"rating": str(review.rating), "title": review.title, "body": review.body}
    return ReviewForm(formdata=None, data=data)


def _back(product: Product, anchor: str) -> Response:
    return redirect_303(url_for("shop.product", slug=product.slug, _anchor=anchor))


@bp.post("/products/<slug>/reviews")
@login_required
def post_review(slug: str) -> Response:
    """Write or edit the shopper's review (one per product); only buyers get this far."""
    product = catalog.get_product(slug)
    reviews.check_may_review(current_user.id, product.id)
    form = ReviewForm()
    if not form.validate():
        return product_page(product, status=422, review_form=form)
    had_one = reviews.review_of(current_user.id, product.id) is not None
    commit_or_retry(
        lambda: reviews.save_review(
            current_user,
            product.id,
            rating=int(form.rating.data),
            title=form.title.data,
            body=form.body.data,
        )
    )
    flash("Your review is updated." if had_one else "Thank you for your review.", "success")
    return _back(product, "reviews")


@bp.post("/reviews/<int:review_id>/helpful")
@login_required
def vote_helpful(review_id: int) -> Response:
    """One "this helped me" per shopper and review: in place with htmx, else 303 back."""
    fragment = htmx_target() == f"helpful-{review_id}"
    try:
        review = reviews.vote_helpful(current_user.id, review_id)
    except DomainError as error:
        db.session.rollback()
        if not fragment:
            raise
        review = reviews.get_review(review_id)
        return render(
            "shop/_helpful.html", status=error.status_code, review=review, error=str(error)
        )
    db.session.commit()
    if fragment:
        return render("shop/_helpful.html", review=review, voted={review.id}, thanked=True)
    flash("Thanks: your vote helps other shoppers.", "success")
    product = db.session.get(Product, review.product_id)
    slug = product.slug if product is not None else ""
    return redirect_303(url_for("shop.product", slug=slug, _anchor=f"review-{review.id}"))


@bp.post("/products/<slug>/questions")
@login_required
def ask_question(slug: str) -> Response:
    product = catalog.get_product(slug)
    form = QuestionForm()
    if not form.validate():
        return product_page(product, status=422, question_form=form)
    questions.ask_question(current_user, product.id, form.question.data)
    db.session.commit()
    flash("Thanks for your question. It will appear here once it is answered.", "success")
    return _back(product, "questions")


@bp.post("/questions/<int:question_id>/answers")
@login_required
def answer_question(question_id: int) -> Response:
    """A shopper who received the product answers a question about it."""
    question = questions.get_question(question_id)
    product = catalog.get_active_product(question.product_id)
    questions.check_may_answer(question, current_user)
    form = AnswerForm()
    if not form.validate():
        return product_page(product, status=422, answer_error=(question.id, form))
    questions.answer_question(question.id, current_user, form.answer.data, by_staff=False)
    db.session.commit()
    flash("Thank you for your answer.", "success")
    return _back(product, f"question-{question.id}")
