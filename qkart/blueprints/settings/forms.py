"""Account settings forms: profile, e-mail, password, two-factor, deletion."""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from qkart.blueprints.auth.forms import name_field, new_email_field, new_password_fields
from qkart.core.forms import Form

CURRENT_PASSWORD = [DataRequired("Enter your current password."), Length(max=256)]


class NameForm(Form):
    name = name_field()


class EmailChangeForm(Form):
    new_email = new_email_field("New e-mail address")
    password = PasswordField("Current password", validators=CURRENT_PASSWORD)


class PasswordChangeForm(Form):
    current_password = PasswordField("Current password", validators=CURRENT_PASSWORD)
    password, confirm_password = new_password_fields("New password")


class ConfirmTwoFactorForm(Form):
    password = PasswordField("Current password", validators=CURRENT_PASSWORD)
    code = StringField(
        "6-digit code from your app",
        validators=[DataRequired("Enter the code your app shows."), Length(max=20)],
    )


class DisableTwoFactorForm(Form):
    password = PasswordField("Current password", validators=CURRENT_PASSWORD)
    code = StringField(
        "Code from your app, or a recovery code",
        validators=[DataRequired("Enter a code from your app."), Length(max=20)],
    )


class DeleteAccountForm(Form):
    # Its own id: the e-mail form on the same page has a password field too.
    password = PasswordField("Current password", id="delete-password", validators=CURRENT_PASSWORD)
    confirmation = StringField(
        "Type DELETE to confirm",
        validators=[DataRequired("Type DELETE to confirm."), Length(max=20)],
    )
