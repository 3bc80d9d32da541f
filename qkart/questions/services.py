"""Product questions: any signed-in shopper asks; staff and shoppers who received the
product answer. Only answered questions are public, so the product page never fills up
with questions nobody took up; the asker sees their own while it waits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload

from qkart.accounts.models import User
from qkart.core.db import utcnow
from qkart.core.pagination import Page, paginate
from qkart.extensions import db
from qkart.orders.services import has_received
from qkart.questions.errors import MayNotAnswerError, QuestionNotFoundError
from qkart.questions.models import Answer, Question
from qkart.reviews.models import FORMER_CUSTOMER
from qkart.reviews.services import display_name, products_of

PER_PAGE = 10
# Waiting questions a verified buyer is offered to answer on the product page.
PENDING_SHOWN = 10


def ask_question(user: User, product_id: int, body: str) -> Question:
    """Record the shopper's question; it waits, unseen by others, for its first answer."""
    question = Question(product_id=product_id, user_id=user.id, author_name=display_name(user))
    question.body = body
    db.session.add(question)
    db.session.flush()
    return question


def may_answer(user: User, product_id: int) -> bool:
    """Shoppers who received the product may answer questions about it (staff answer in
    the staff area, where it is audited)."""
    return not user.is_staff and has_received(user.id, product_id)


def check_may_answer(question: Question, user: User) -> None:
    """Raises ``MayNotAnswerError`` for the asker, and for anyone but a shopper who
    received the product."""
    if question.user_id == user.id:
        raise MayNotAnswerError("This is your own question: someone else will answer it.")
    if not may_answer(user, question.product_id):
        raise MayNotAnswerError("Only our staff and shoppers who received this product can answer.")


def answer_question(question_id: int, user: User, body: str, *, by_staff: bool) -> Answer:
    """Add an answer; the first one makes the question public.

    Raises ``MayNotAnswerError`` for a shopper who did not receive the product, or who
    asked the question (an answer must come from someone else).
    """
    question = get_question(question_id)
    if not by_staff:
        check_may_answer(question, user)
    answer = Answer(
        question_id=question.id, user_id=user.id, author_name=display_name(user), body=body
    )
    answer.by_staff = by_staff
    db.session.add(answer)
    if question.answered_at is None:
        question.answered_at = utcnow()
    db.session.flush()
    return answer


def get_question(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        raise QuestionNotFoundError("We could not find that question.")
    return question


def with_answers(question_id: int) -> Question:
    """A question and its answers (the staff page of one question)."""
    question = db.session.scalar(
        select(Question).where(Question.id == question_id).options(selectinload(Question.answers))
    )
    if question is None:
        raise QuestionNotFoundError("We could not find that question.")
    return question


def answered_questions(product_id: int, page: int = 1) -> Page[Question]:
    """One page of the product's answered questions, latest answered first, with answers."""
    answered = (Question.product_id == product_id, Question.answered_at.is_not(None))
    stmt = (
        select(Question)
        .where(*answered)
        .order_by(Question.answered_at.desc(), Question.id.desc())
        .options(selectinload(Question.answers))
    )
    counted = select(func.count()).select_from(Question).where(*answered)
    return paginate(stmt, page, PER_PAGE, count=counted, one_query=True)


def waiting_questions(product_id: int, user_id: int, *, all_of_them: bool) -> Sequence[Question]:
    """Unanswered questions on the product this shopper should see: their own, and, for
    someone who may answer, the others' too (oldest first, a few)."""
    conditions = [Question.product_id == product_id, Question.answered_at.is_(None)]
    if not all_of_them:
        conditions.append(Question.user_id == user_id)
    return db.session.scalars(
        select(Question)
        .where(*conditions)
        .order_by(Question.created_at, Question.id)
        .limit(PENDING_SHOWN)
    ).all()


def unanswered(page: int = 1, per_page: int = 25) -> Page[Question]:
    """The staff queue: questions nobody has answered yet, oldest first."""
    waiting = Question.answered_at.is_(None)
    stmt = select(Question).where(waiting).order_by(Question.created_at, Question.id)
    counted = select(func.count()).select_from(Question).where(waiting)
    return paginate(stmt, page, per_page, count=counted)


def products_for(questions: Sequence[Question]) -> dict[int, Any]:
    """The products of these questions by id, in one query."""
    return products_of(questions)


# -- the shopper's data -------------------------------------------------------------------


def export_for(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The shopper's questions and answers, for "Download my data"."""
    questions = db.session.scalars(
        select(Question).where(Question.user_id == user_id).order_by(Question.id)
    ).all()
    answers = db.session.scalars(
        select(Answer).where(Answer.user_id == user_id).order_by(Answer.id)
    ).all()
    products = products_of(questions)
    return {
        "questions": [
            {
                "product": products[q.product_id].name,
                "question": q.body,
                "asked_at": q.created_at.isoformat(),
                "answered": q.is_answered,
            }
            for q in questions
        ],
        "answers": [
            {
                "question_id": a.question_id,
                "answer": a.body,
                "answered_at": a.created_at.isoformat(),
            }
            for a in answers
        ],
    }


def forget_author(user_id: int) -> None:
    """For "Delete my account": answered questions and answers stay for other shoppers,
    without the name or the account; questions still waiting are deleted (nobody will
    read the answer)."""
    db.session.execute(
        delete(Question).where(Question.user_id == user_id, Question.answered_at.is_(None))
    )
    for model in (Question, Answer):
        db.session.execute(
            update(model)
            .where(model.user_id == user_id)
            .values(user_id=None, author_name=FORMER_CUSTOMER)
            .execution_options(synchronize_session=False)
        )
