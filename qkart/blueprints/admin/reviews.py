"""Staff pages for what shoppers write: reviews (hide and show again) and product
questions (the queue of unanswered ones, answered here). Every change is audited."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from qkart.blueprints.admin import bp
from qkart.blueprints.admin.audit import audit
from qkart.blueprints.admin.guard import requires
from qkart.blueprints.common import page_number, safe_next
from qkart.core.forms import Form
from qkart.core.htmx import redirect_303, render
from qkart.extensions import db
from qkart.questions import services as questions
from qkart.reviews import services as reviews


class StaffAnswerForm(Form):
    answer = TextAreaField(
        "Your answer",
        description="Shown on the product page as an answer from the shop's staff.",
        validators=[
            DataRequired("Write the answer."),
            Length(min=2, max=2000, message="Write between 2 and 2000 characters."),
        ],
        filters=[lambda v: v.replace("\r\n", "\n").strip() if isinstance(v, str) else v],
    )


# -- reviews ------------------------------------------------------------------------------


@bp.get("/reviews")
@requires("catalogue")
def review_list() -> Response:
    """Every review, newest first, filtered to the shown or the hidden ones."""
    status = request.args.get("status", "")
    status = status if status in reviews.STAFF_FILTERS else ""
    page = reviews.staff_reviews(status, page_number(request.args.get("page")))
    keep: dict[str, Any] = {"status": status} if status else {}
    return render(
        "admin/reviews.html",
        reviews=page,
        products=reviews.products_of(page.items),
        shown=status,
        filters=reviews.STAFF_FILTERS,
        page_url=lambda n: url_for(".review_list", page=n, **keep),
        back=request.full_path.rstrip("?"),
    )


def _set_hidden(review_id: int, hidden: bool) -> Response:
    review = reviews.get_review(review_id)
    was_hidden = review.is_hidden
    reviews.set_hidden(review_id, hidden, staff_id=current_user.id)
    audit(
        "review.hide" if hidden else "review.unhide",
        review,
        summary=f"{review.rating}★ “{review.title[:60]}” by {review.author_name}",
        before={"hidden": was_hidden},
        after={"hidden": hidden},
    )
    db.session.commit()
    flash(
        "Review hidden: it no longer shows or counts in the rating."
        if hidden
        else "Review shown again; it counts in the rating.",
        "success",
    )
    return redirect_303(safe_next(request.form.get("back"), url_for(".review_list")))


@bp.post("/reviews/<int:review_id>/hide")
@requires("catalogue")
def review_hide(review_id: int) -> Response:
    return _set_hidden(review_id, True)


@bp.post("/reviews/<int:review_id>/unhide")
@requires("catalogue")
def review_unhide(review_id: int) -> Response:
    return _set_hidden(review_id, False)


# -- questions ----------------------------------------------------------------------------


@bp.get("/questions")
@requires("catalogue")
def question_list() -> Response:
    """Questions nobody has answered yet, oldest first, each with a form to answer it."""
    page = questions.unanswered(page_number(request.args.get("page")))
    return render(
        "admin/questions.html",
        questions=page,
        products=questions.products_for(page.items),
        page_url=lambda n: url_for(".question_list", page=n),
    )


def _question_page(question_id: int, form: StaffAnswerForm, status: int = 200) -> Response:
    question = questions.with_answers(question_id)
    return render(
        "admin/question.html",
        status=status,
        question=question,
        product=questions.products_for([question])[question.product_id],
        form=form,
    )


@bp.get("/questions/<int:question_id>")
@requires("catalogue")
def question_detail(question_id: int) -> Response:
    return _question_page(question_id, StaffAnswerForm(formdata=None))


@bp.post("/questions/<int:question_id>/answer")
@requires("catalogue")
def question_answer(question_id: int) -> Response:
    """Answer as the shop's staff; the first answer puts the question on the product page."""
    question = questions.get_question(question_id)
    form = StaffAnswerForm()
    if not form.validate():
        return _question_page(question.id, form, 422)
    answer = questions.answer_question(question.id, current_user, form.answer.data, by_staff=True)
    audit("question.answer", question, summary=question.body[:80], after={"answer": answer.body})
    db.session.commit()
    flash("Answer posted: the question now shows on the product page.", "success")
    return redirect_303(url_for(".question_list"))
