"""Registration and login forms. Field names are part of the public contract."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from qkart.accounts.services import NonAsciiEmailError, check_email, password_problem
from qkart.core.forms import Form


def valid_email(form: Form, field: EmailField) -> None:
    try:
        field.data = check_email(field.data or "")
    except NonAsciiEmailError as error:
        raise ValidationError(str(error)) from None
    except ValueError:
        raise ValidationError("Enter an e-mail address like name@example.com.") from None


def strong_password(form: Form, field: PasswordField) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def name_field() -> StringField:
    """The shopper's name, as registration and the settings page ask for it."""
    return StringField(
        "Your name",
        validators=[
            DataRequired("Tell us your name."),
            Length(max=100, message="Keep your name under 100 characters."),
        ],
        filters=[lambda v: v.strip() if v else v],
    )


def new_email_field(label: str = "E-mail") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter your e-mail address."),
            Length(max=254, message="That e-mail address is too long."),
            valid_email,
        ],
    )


def new_password_fields(label: str = "Password") -> tuple[PasswordField, PasswordField]:
    """``password`` and ``confirm_password``: one rule for every form that sets a password."""
    password = PasswordField(
        label,
        description="At least 8 characters, with a letter and a digit.",
        validators=[DataRequired("Choose a password."), strong_password],
    )
    confirm = PasswordField(
        f"Confirm {label.lower()}",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", message="The two passwords do not match."),
        ],
    )
    return password, confirm


class RegisterForm(Form):
    name = name_field()
    email = new_email_field()
    password, confirm_password = new_password_fields()


class LoginForm(Form):
    email = EmailField(
        "E-mail",
        validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=256)]
    )
    remember = BooleanField("Keep me signed in for 30 days")
    next = HiddenField()


class ForgotPasswordForm(Form):
    # Any address an account may have, as at login: the demo's .local one included
    # (new addresses are checked more strictly when they are registered).
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired("Enter your e-mail address."),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+$", message="Enter an e-mail address like name@example.com."),
        ],
    )


class ResetPasswordForm(Form):
    password, confirm_password = new_password_fields("New password")


class SecondFactorForm(Form):
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[
            DataRequired("Enter the 6-digit code from your app."),
            Length(max=20, message="That code is too long."),
        ],
    )


class AcceptInvitationForm(Form):
    """A new member of staff's name and password (an existing account just accepts)."""

    name = name_field()
    password, confirm_password = new_password_fields()


class AcceptForm(Form):
    """The button is the whole form."""
