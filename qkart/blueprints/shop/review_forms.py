"""Forms of the product page's reviews and questions: plain text, checked, never HTML."""

from __future__ import annotations

from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from qkart.core.forms import Form, choices

STAR_LABELS = {5: "Excellent", 4: "Good", 3: "Average", 2: "Poor", 1: "Terrible"}
STAR_CHOICES = [(str(n), f"{n} star{'s' if n > 1 else ''}: {STAR_LABELS[n]}") for n in STAR_LABELS]


def _one_line(value: object) -> object:
    return " ".join(value.split()) if isinstance(value, str) else value


def _text(value: object) -> object:
    """Paragraphs kept (shown with their line breaks), stray spaces around them dropped."""
    if not isinstance(value, str):
        return value
    return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").split("\n")).strip()


def _required_text(what: str, limit: int, shortest: int) -> list[object]:
    return [
        DataRequired(f"Write {what}."),
        Length(
            min=shortest,
            max=limit,
            message=f"Write between {shortest} and {limit} characters.",
        ),
    ]


class ReviewForm(Form):
    rating = RadioField(
        "Your rating",
        choices=choices(STAR_CHOICES),
        validators=[
            InputRequired("Choose from 1 to 5 stars."),
            AnyOf(["1", "2", "3", "4", "5"], message="Choose from 1 to 5 stars."),
        ],
        validate_choice=False,
    )
    title = StringField(
        "Title",
        id="review-title",
        validators=[
            DataRequired("Give your review a title."),
            Length(max=120, message="Keep the title under 120 characters."),
        ],
        filters=[_one_line],
    )
    body = TextAreaField(
        "Your review",
        id="review-text",
        description="What did you like or dislike? Plain text, up to 5000 characters.",
        validators=_required_text("a few words about the product", 5000, 10),
        filters=[_text],
    )


class QuestionForm(Form):
    question = TextAreaField(
        "Your question",
        id="question-body",
        description="Staff or shoppers who bought it will answer. Up to 1000 characters.",
        validators=_required_text("your question", 1000, 5),
        filters=[_text],
    )


class AnswerForm(Form):
    answer = TextAreaField(
        "Your answer",
        validators=_required_text("your answer", 2000, 2),
        filters=[_text],
    )
