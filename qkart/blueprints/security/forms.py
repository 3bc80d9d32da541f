"""Account settings forms: profile, e-mail, password, two-factor, deletion."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from qkart.blueprints.auth.forms import strong_password, valid_email

CURRENT_PASSWORD = [DataRequired("Enter your current password."), Length(max=256)]


class NameForm(FlaskForm):
    name = StringField(
        "Your name",
        validators=[
            DataRequired("Tell us your name."),
            Length(max=100, message="Keep your name under 100 characters."),
        ],
        filters=[lambda v: v.strip() if v else v],
    )


class EmailChangeForm(FlaskForm):
    new_email = EmailField(
        "New e-mail address",
        validators=[
            DataRequired("Enter the new e-mail address."),
            Length(max=254, message="That e-mail address is too long."),
            valid_email,
        ],
    )
    password = PasswordField("Current password", validators=CURRENT_PASSWORD)


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=CURRENT_PASSWORD)
    password = PasswordField(
        "New password",
        description="At least 8 characters, with a letter and a digit.",
        validators=[DataRequired("Choose a new password."), strong_password],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("password", message="The two passwords do not match."),
        ],
    )


class CodeForm(FlaskForm):
    code = StringField(
        "6-digit code from your app",
        validators=[DataRequired("Enter the code your app shows."), Length(max=20)],
    )


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField("Current password", validators=CURRENT_PASSWORD)
    code = StringField(
        "Code from your app, or a recovery code",
        validators=[DataRequired("Enter a code from your app."), Length(max=20)],
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Current password", validators=CURRENT_PASSWORD)
    confirmation = StringField(
        "Type DELETE to confirm",
        validators=[DataRequired("Type DELETE to confirm."), Length(max=20)],
    )
