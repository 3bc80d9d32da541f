"""Product questions: shoppers ask, staff and shoppers who received the product answer,
and only answered questions are public."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from qkart.audit.models import AuditEntry
from qkart.extensions import db
from qkart.questions.models import Answer, Question
from tests.conftest import PASSWORD, login
from tests.support.orders import order_of

QUESTION = "Do these run true to size?"


@pytest.fixture
def product(factory):
    return factory.product("Trail Shoes")


def _page(client, product):
    return client.get(f"/products/{product.slug}").get_data(as_text=True)


def _ask(client, product, text=QUESTION):
    return client.post(f"/products/{product.slug}/questions", data={"question": text})


def _questions(app):
    with app.app_context():
        return db.session.scalars(select(Question).order_by(Question.id)).all()


def _answer_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Answer.id)))


def _client_for(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _asked(app, factory, product, **kwargs):
    """A shopper asks through the page; returns (their client, the question)."""
    asker = _client_for(app, factory.user(**kwargs))
    assert _ask(asker, product).status_code == 303
    return asker, _questions(app)[-1]


def test_a_visitor_is_asked_to_log_in_and_come_back(client, product):
    page = _page(client, product)
    assert f'href="/login?next=/products/{product.slug}%23questions"' in page
    assert "Log in to ask a question" in page
    response = _ask(client, product)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_only_the_asker_sees_a_waiting_question(app, client, factory, product):
    asker = _client_for(app, factory.user())
    assert '<label for="question-body">Your question</label>' in _page(asker, product)
    response = _ask(asker, product)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/products/{product.slug}#questions")
    page = asker.get(response.headers["Location"]).get_data(as_text=True)
    assert "It will appear here once it is answered." in page
    assert QUESTION in page and "waiting for an answer" in page
    assert QUESTION not in _page(client, product)
    assert QUESTION not in _page(_client_for(app, factory.user()), product)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your question."),
        ("   ", "Write your question."),
        ("Hm?", "Write between 5 and 1000 characters."),
        ("x" * 1001, "Write between 5 and 1000 characters."),
    ],
)
def test_a_bad_question_is_422_and_writes_nothing(app, factory, product, text, message):
    asker = _client_for(app, factory.user())
    response = _ask(asker, product, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="question-body-error">{message}</p>' in page
    assert _questions(app) == []


def test_staff_answer_from_the_queue_and_the_question_goes_public(app, client, factory, product):
    _, question = _asked(app, factory, product)
    staff = _client_for(app, factory.user(role="manager"))
    queue = staff.get("/admin/questions").get_data(as_text=True)
    assert ">Questions</a>" in queue and QUESTION in queue
    assert f'<label for="answer-{question.id}">Your answer</label>' in queue
    response = staff.post(
        f"/admin/questions/{question.id}/answer", data={"answer": "Yes, order your usual size."}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/questions"
    page = _page(client, product)
    assert QUESTION in page and "Yes, order your usual size." in page and "staff</span>" in page
    assert QUESTION not in staff.get("/admin/questions").get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question.answer"))
        assert entry is not None and entry.target_id == str(question.id)


def test_a_bad_staff_answer_is_422_beside_the_field(app, factory, product):
    _, question = _asked(app, factory, product)
    staff = _client_for(app, factory.user(role="manager"))
    response = staff.post(f"/admin/questions/{question.id}/answer", data={"answer": " "})
    assert response.status_code == 422
    assert '<p class="error" id="answer-error">Write the answer.</p>' in response.get_data(
        as_text=True
    )
    assert _answer_count(app) == 0 and not _questions(app)[0].is_answered
    assert staff.get(f"/admin/questions/{question.id}").status_code == 200


def test_a_shopper_who_received_it_answers_on_the_product_page(app, client, factory, product):
    _, question = _asked(app, factory, product)
    buyer = factory.user(name="Bea Buyer")
    order_of(app, buyer, product, "delivered")
    buyer_client = _client_for(app, buyer)
    page = _page(buyer_client, product)
    assert QUESTION in page and "can you help?" in page
    assert f'<label for="answer-{question.id}">Your answer</label>' in page
    url = f"/questions/{question.id}/answers"
    empty = buyer_client.post(url, data={"answer": ""})
    assert empty.status_code == 422
    assert f'id="answer-{question.id}-error">Write your answer.</p>' in empty.get_data(as_text=True)
    response = buyer_client.post(url, data={"answer": "A little small; go half a size up."})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#question-{question.id}")
    page = _page(client, product)
    assert "go half a size up" in page and "Bea B." in page and "Verified buyer" in page


def test_others_may_not_answer(app, factory, product):
    asker, question = _asked(app, factory, product)
    order_of(app, _user_of(app, question), product, "delivered")
    stranger = _client_for(app, factory.user())
    url = f"/questions/{question.id}/answers"
    assert stranger.post(url, data={"answer": "No idea"}).status_code == 403
    assert asker.post(url, data={"answer": "Answering myself"}).status_code == 403
    assert _answer_count(app) == 0


def _user_of(app, question):
    from qkart.accounts.models import User

    with app.app_context():
        user = db.session.get(User, question.user_id)
        db.session.expunge(user)
        return user


def test_question_text_is_escaped(app, client, factory, product):
    asker = _client_for(app, factory.user())
    _ask(asker, product, "<script>alert('q')</script> fits?")
    page = _page(asker, product)
    assert "<script>alert('q')</script>" not in page
    assert "&lt;script&gt;alert(&#39;q&#39;)&lt;/script&gt; fits?" in page


def test_customers_may_not_use_the_staff_queue(app, factory, product):
    _, question = _asked(app, factory, product)
    customer = _client_for(app, factory.user())
    assert customer.get("/admin/questions").status_code == 403
    response = customer.post(f"/admin/questions/{question.id}/answer", data={"answer": "Sure"})
    assert response.status_code == 403
    assert _answer_count(app) == 0


def test_export_and_delete_cover_questions(app, factory, product):
    user = factory.user(name="Quinn Quest")
    asker = _client_for(app, user)
    _ask(asker, product, "Answered one: waterproof?")
    _ask(asker, product, "Waiting one: vegan?")
    answered = _questions(app)[0]
    staff = _client_for(app, factory.user(role="manager"))
    staff.post(f"/admin/questions/{answered.id}/answer", data={"answer": "Yes."})
    data = json.loads(asker.get("/account/export").get_data(as_text=True))
    assert [(q["question"], q["answered"]) for q in data["questions"]] == [
        ("Answered one: waterproof?", True),
        ("Waiting one: vegan?", False),
    ]
    response = asker.post("/account/delete", data={"password": PASSWORD, "confirmation": "DELETE"})
    assert response.status_code == 303
    [kept] = _questions(app)
    assert kept.id == answered.id and kept.user_id is None
    assert kept.author_name == "A former customer"
    assert "Quinn" not in _page(app.test_client(), product)
