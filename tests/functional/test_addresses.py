"""The address book over HTTP: list, add, edit, make default, delete, and refusals."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qkart.accounts.models import Address
from qkart.extensions import db

BOOK = "/account/addresses"
DEFAULT_TAG = '<span class="tag">Default shipping address</span>'

VALID = {
    "full_name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "line2": "Flat 3",
    "city": "Springfield",
    "region": "Illinois",
    "postal_code": "62704",
    "country": "US",
    "phone": "+1 555 123 4567",
}


# -- helpers ------------------------------------------------------------------------


def text_of(response: Any) -> str:
    """The page as a person reads it: entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def field_error(response: Any, field: str) -> str | None:
    """The message shown beside ``field`` (the form macro's ``<p id="FIELD-error">``)."""
    match = re.search(
        rf'<p class="error" id="{field}-error">(.*?)</p>', response.get_data(as_text=True), re.S
    )
    return html.unescape(match.group(1)).strip() if match else None


def input_value(response: Any, field: str) -> str | None:
    """The value a text input for ``field`` is filled with."""
    body = response.get_data(as_text=True)
    tag = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', body)
    assert tag, f"no input #{field} on the page"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def selected_option(response: Any, field: str) -> str | None:
    body = response.get_data(as_text=True)
    select_tag = re.search(rf'<select[^>]*\bid="{field}"[^>]*>(.*?)</select>', body, re.S)
    assert select_tag, f"no select #{field} on the page"
    option = re.search(r'<option[^>]*\bselected\b[^>]*value="([^"]*)"', select_tag.group(1))
    option = option or re.search(
        r'<option[^>]*value="([^"]*)"[^>]*\bselected\b', select_tag.group(1)
    )
    return option.group(1) if option else None


def assert_login_redirect(response: Any, path: str) -> None:
    assert response.status_code in (302, 303)
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]


def assert_303_to_book(response: Any) -> None:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert urlsplit(response.headers["Location"]).path == BOOK


@pytest.fixture
def rows(app: Flask) -> Any:
    """Read the addresses table as it is now (a fresh session per call)."""

    def _rows(user: Any = None) -> list[dict[str, Any]]:
        with app.app_context():
            stmt = select(Address).order_by(Address.id)
            if user is not None:
                stmt = stmt.where(Address.user_id == user.id)
            return [
                {**a.as_dict(), "id": a.id, "user_id": a.user_id, "is_default": a.is_default}
                for a in db.session.scalars(stmt)
            ]

    return _rows


@pytest.fixture
def other_users_address(factory: Any) -> Iterator[Any]:
    """Somebody else's (default) address, to tamper with."""
    stranger = factory.user(name="Stella Stranger")
    yield factory.address(stranger, full_name="Stella Stranger", line1="9 Private Lane")


# -- who may see it -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", BOOK),
        ("post", BOOK),
        ("get", "/account/addresses/1/edit"),
        ("post", "/account/addresses/1/edit"),
        ("post", "/account/addresses/1/default"),
        ("post", "/account/addresses/1/delete"),
    ],
)
def test_visitor_is_sent_to_login(
    client: FlaskClient, factory: Any, rows: Any, method: str, path: str
) -> None:
    owner = factory.user()
    factory.address(owner)  # id 1 exists, so only the login check can stop the visitor

    headers = {"Referer": "http://localhost/account/addresses"}
    response = getattr(client, method)(
        path, data=VALID if method == "post" else None, headers=headers
    )

    # After a GET the shopper comes back to the page; after a POST (a session that ran
    # out mid-form) to the page the form was on, since the POST URL cannot be opened.
    assert_login_redirect(response, path if method == "get" else BOOK)
    assert len(rows()) == 1
    assert rows()[0]["line1"] == "1 Test Street"


# -- listing ------------------------------------------------------------------------


def test_empty_address_book_says_so_and_offers_the_form(
    client: FlaskClient, logged_in: Any
) -> None:
    logged_in()

    response = client.get(BOOK)

    assert response.status_code == 200
    page = text_of(response)
    assert "You have no saved addresses yet." in page
    assert "Add an address" in page
    for name in VALID:
        assert f'name="{name}"' in page
    assert '<label for="postal_code">Postal code</label>' in page
    assert "Save address" in page


def test_address_book_lists_only_my_addresses(
    client: FlaskClient, logged_in: Any, factory: Any, other_users_address: Any
) -> None:
    me = logged_in()
    factory.address(me, full_name="Home Me", line1="1 Home Road", city="Hometown")
    factory.address(me, full_name="Work Me", line1="2 Office Park", city="Worktown", country="GB")

    response = client.get(BOOK)

    assert response.status_code == 200
    page = text_of(response)
    assert "1 Home Road" in page and "Hometown" in page
    assert "2 Office Park" in page and "Worktown" in page
    assert "United Kingdom" in page and "United States" in page
    assert "9 Private Lane" not in page
    assert "Stella Stranger" not in page
    # The default is listed first and marked, once.
    assert page.index("1 Home Road") < page.index("2 Office Park")
    assert page.count(DEFAULT_TAG) == 1


# -- adding -------------------------------------------------------------------------


def test_adding_an_address_redirects_back_and_shows_it(
    client: FlaskClient, logged_in: Any, rows: Any
) -> None:
    me = logged_in()

    response = client.post(BOOK, data=VALID)

    assert_303_to_book(response)
    page = text_of(client.get(response.headers["Location"]))
    assert "Address saved." in page
    assert "Ada Lovelace" in page
    assert "12 Analytical Row, Flat 3" in page
    assert "Springfield, Illinois 62704" in page
    assert "United States" in page
    assert "+1 555 123 4567" in page
    assert "You have no saved addresses yet." not in page
    [saved] = rows(me)
    assert {k: saved[k] for k in VALID} == VALID
    assert saved["user_id"] == me.id


def test_optional_fields_may_be_left_empty(client: FlaskClient, logged_in: Any, rows: Any) -> None:
    me = logged_in()
    data = {**VALID, "line2": "", "region": "", "phone": ""}

    assert_303_to_book(client.post(BOOK, data=data))

    [saved] = rows(me)
    assert saved["line2"] == saved["region"] == saved["phone"] == ""


def test_extra_spaces_are_tidied(client: FlaskClient, logged_in: Any, rows: Any) -> None:
    me = logged_in()

    response = client.post(
        BOOK, data={**VALID, "full_name": "  Ada   Lovelace ", "city": " Paris "}
    )

    assert_303_to_book(response)
    [saved] = rows(me)
    assert saved["full_name"] == "Ada Lovelace"
    assert saved["city"] == "Paris"


def test_first_address_becomes_the_default_and_later_ones_do_not(
    client: FlaskClient, logged_in: Any, rows: Any
) -> None:
    me = logged_in()

    assert_303_to_book(client.post(BOOK, data=VALID))
    assert_303_to_book(client.post(BOOK, data={**VALID, "line1": "2 Second Street"}))

    first, second = rows(me)
    assert first["is_default"] is True
    assert second["is_default"] is False
    page = text_of(client.get(BOOK))
    assert page.count(DEFAULT_TAG) == 1
    # Only the non-default address offers "Make default".
    assert page.count("Make default") == 1
    assert f"/account/addresses/{second['id']}/default" in page
    assert f"/account/addresses/{first['id']}/default" not in page


def test_a_new_address_can_be_made_the_default_when_added(
    client: FlaskClient, logged_in: Any, rows: Any
) -> None:
    me = logged_in()
    assert_303_to_book(client.post(BOOK, data=VALID))

    response = client.post(BOOK, data={**VALID, "line1": "2 Second Street", "is_default": "y"})

    assert_303_to_book(response)
    first, second = rows(me)
    assert (first["is_default"], second["is_default"]) == (False, True)
    page = text_of(client.get(BOOK))
    assert page.index("2 Second Street") < page.index("12 Analytical Row")


def test_markup_in_an_address_is_shown_as_text(
    client: FlaskClient, logged_in: Any, rows: Any
) -> None:
    logged_in()

    client.post(BOOK, data={**VALID, "full_name": "<b>Bold</b> Bob"})

    body = client.get(BOOK).get_data(as_text=True)
    assert "<b>Bold</b>" not in body
    assert "&lt;b&gt;Bold&lt;/b&gt; Bob" in body


# -- refusing bad input -------------------------------------------------------------

INVALID = [
    pytest.param({"full_name": ""}, "full_name", "Enter the full name.", id="no-name"),
    pytest.param({"full_name": "   "}, "full_name", "Enter the full name.", id="blank-name"),
    pytest.param({"line1": ""}, "line1", "Enter the street address.", id="no-line1"),
    pytest.param({"city": ""}, "city", "Enter the town or city.", id="no-city"),
    pytest.param({"postal_code": ""}, "postal_code", "Enter the postal code.", id="no-postcode"),
    pytest.param({"country": ""}, "country", "Choose a country.", id="no-country"),
    pytest.param({"country": "XX"}, "country", None, id="unknown-country"),
    pytest.param({"country": "USA"}, "country", None, id="three-letter-country"),
    pytest.param(
        {"full_name": "N" * 101},
        "full_name",
        "Keep the full name under 100 characters.",
        id="long-name",
    ),
    pytest.param(
        {"line1": "L" * 201},
        "line1",
        "Keep the street address under 200 characters.",
        id="long-line1",
    ),
    pytest.param(
        {"line2": "L" * 201}, "line2", "Keep line 2 under 200 characters.", id="long-line2"
    ),
    pytest.param(
        {"city": "C" * 500}, "city", "Keep the town or city under 100 characters.", id="long-city"
    ),
    pytest.param(
        {"region": "R" * 101}, "region", "Keep the region under 100 characters.", id="long-region"
    ),
    pytest.param(
        {"postal_code": "1" * 21},
        "postal_code",
        "Keep the postal code under 20 characters.",
        id="long-postcode",
    ),
    pytest.param(
        {"postal_code": "12$45"},
        "postal_code",
        "Use letters, digits, spaces or dashes.",
        id="postcode-symbol",
    ),
    pytest.param(
        {"postal_code": "<script>"},
        "postal_code",
        "Use letters, digits, spaces or dashes.",
        id="postcode-markup",
    ),
    pytest.param(
        {"phone": "call me"},
        "phone",
        "Enter a phone number like +1 555 123 4567.",
        id="phone-words",
    ),
    pytest.param(
        {"phone": "12"}, "phone", "Enter a phone number like +1 555 123 4567.", id="phone-short"
    ),
    pytest.param(
        {"phone": "1" * 31}, "phone", "Enter a phone number like +1 555 123 4567.", id="phone-long"
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), INVALID)
def test_bad_input_is_refused_beside_the_field_and_nothing_is_saved(
    client: FlaskClient,
    logged_in: Any,
    rows: Any,
    changes: dict[str, str],
    field: str,
    message: str | None,
) -> None:
    logged_in()

    response = client.post(BOOK, data={**VALID, **changes})

    assert response.status_code == 422
    error = field_error(response, field)
    assert error, f"no message beside {field}"
    if message is not None:
        assert error == message
    # Only the field at fault is flagged.
    others = [name for name in VALID if name != field and field_error(response, name)]
    assert others == []
    assert rows() == []
    assert "Address saved." not in text_of(response)


def test_an_empty_form_flags_every_required_field(
    client: FlaskClient, logged_in: Any, rows: Any
) -> None:
    logged_in()

    response = client.post(BOOK, data={})

    assert response.status_code == 422
    assert field_error(response, "full_name") == "Enter the full name."
    assert field_error(response, "line1") == "Enter the street address."
    assert field_error(response, "city") == "Enter the town or city."
    assert field_error(response, "postal_code") == "Enter the postal code."
    assert field_error(response, "country")
    for optional in ("line2", "region", "phone"):
        assert field_error(response, optional) is None
    assert rows() == []


def test_a_refused_form_keeps_what_was_typed(client: FlaskClient, logged_in: Any) -> None:
    logged_in()

    response = client.post(BOOK, data={**VALID, "postal_code": "12$45"})

    assert response.status_code == 422
    assert input_value(response, "full_name") == "Ada Lovelace"
    assert input_value(response, "line1") == "12 Analytical Row"
    assert input_value(response, "city") == "Springfield"
    assert input_value(response, "postal_code") == "12$45"
    assert selected_option(response, "country") == "US"
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_a_refused_form_still_lists_the_saved_addresses(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    factory.address(me, line1="1 Kept Street")

    response = client.post(BOOK, data={**VALID, "city": ""})

    assert response.status_code == 422
    assert "1 Kept Street" in text_of(response)
    assert len(rows(me)) == 1


@pytest.mark.parametrize("field", ["full_name", "line1", "city"])
def test_a_nul_character_is_refused_not_a_server_error(
    client: FlaskClient, logged_in: Any, rows: Any, field: str
) -> None:
    """A tampered form with a NUL byte is bad input (PostgreSQL cannot store one)."""
    logged_in()

    response = client.post(BOOK, data={**VALID, field: "Spring\x00field"})

    assert response.status_code in (400, 422), response.status_code
    assert "Something went wrong on our side" not in text_of(response)
    assert rows() == []


# -- editing ------------------------------------------------------------------------


def test_edit_form_is_prefilled(client: FlaskClient, logged_in: Any, factory: Any) -> None:
    me = logged_in()
    address = factory.address(me, **VALID)

    response = client.get(f"/account/addresses/{address.id}/edit")

    assert response.status_code == 200
    assert "Edit address" in text_of(response)
    for name in ("full_name", "line1", "line2", "city", "region", "postal_code", "phone"):
        assert input_value(response, name) == VALID[name], name
    assert selected_option(response, "country") == "US"
    assert f'action="/account/addresses/{address.id}/edit"' in response.get_data(as_text=True)
    assert "Save changes" in text_of(response)


def test_editing_an_address_saves_the_changes(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    address = factory.address(me, **VALID)
    changed = {**VALID, "line1": "99 New Street", "city": "Lyon", "country": "FR", "phone": ""}

    response = client.post(f"/account/addresses/{address.id}/edit", data=changed)

    assert_303_to_book(response)
    page = text_of(client.get(BOOK))
    assert "Address updated." in page
    assert "99 New Street" in page and "Lyon" in page and "France" in page
    assert "12 Analytical Row" not in page
    [saved] = rows(me)
    assert {k: saved[k] for k in VALID} == changed
    assert saved["id"] == address.id
    assert saved["is_default"] is True  # editing does not take the default away


def test_editing_can_make_an_address_the_default(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    first = factory.address(me)
    second = factory.address(me, line1="2 Second Street")

    response = client.post(
        f"/account/addresses/{second.id}/edit",
        data={**VALID, "line1": "2 Second Street", "is_default": "y"},
    )

    assert_303_to_book(response)
    by_id = {row["id"]: row["is_default"] for row in rows(me)}
    assert by_id == {first.id: False, second.id: True}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"city": ""}, "city"),
        ({"city": "C" * 500}, "city"),
        ({"country": "XX"}, "country"),
        ({"postal_code": "12$45"}, "postal_code"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(
    client: FlaskClient,
    logged_in: Any,
    factory: Any,
    rows: Any,
    changes: dict[str, str],
    field: str,
) -> None:
    me = logged_in()
    address = factory.address(me, **VALID)

    response = client.post(
        f"/account/addresses/{address.id}/edit", data={**VALID, "line1": "7 Other", **changes}
    )

    assert response.status_code == 422
    assert field_error(response, field)
    assert "Edit address" in text_of(response)
    [saved] = rows(me)
    assert {k: saved[k] for k in VALID} == VALID


def test_editing_an_unknown_address_is_not_found(
    client: FlaskClient, logged_in: Any, rows: Any
) -> None:
    logged_in()

    assert client.get("/account/addresses/4242/edit").status_code == 404
    assert client.post("/account/addresses/4242/edit", data=VALID).status_code == 404
    assert rows() == []


# -- default and delete -------------------------------------------------------------


def test_make_default_moves_the_default(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    first = factory.address(me, line1="1 First Street")
    second = factory.address(me, line1="2 Second Street")

    response = client.post(f"/account/addresses/{second.id}/default")

    assert_303_to_book(response)
    by_id = {row["id"]: row["is_default"] for row in rows(me)}
    assert by_id == {first.id: False, second.id: True}
    page = text_of(client.get(BOOK))
    assert "Default shipping address changed." in page
    assert page.index("2 Second Street") < page.index("1 First Street")
    assert page.count(DEFAULT_TAG) == 1


def test_make_default_twice_keeps_one_default(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    first = factory.address(me)
    factory.address(me, line1="2 Second Street")

    assert_303_to_book(client.post(f"/account/addresses/{first.id}/default"))
    assert_303_to_book(client.post(f"/account/addresses/{first.id}/default"))

    assert [row["is_default"] for row in rows(me)] == [True, False]


def test_delete_removes_the_address(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    keep = factory.address(me, line1="1 Keep Street")
    gone = factory.address(me, line1="2 Gone Street")

    response = client.post(f"/account/addresses/{gone.id}/delete")

    assert_303_to_book(response)
    page = text_of(client.get(BOOK))
    assert "Address removed." in page
    assert "2 Gone Street" not in page
    assert "1 Keep Street" in page
    assert [row["id"] for row in rows(me)] == [keep.id]
    assert rows(me)[0]["is_default"] is True


def test_deleting_the_default_promotes_another(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    default = factory.address(me, line1="1 Default Street")
    other = factory.address(me, line1="2 Other Street")

    response = client.post(f"/account/addresses/{default.id}/delete")

    assert_303_to_book(response)
    assert [(row["id"], row["is_default"]) for row in rows(me)] == [(other.id, True)]
    page = text_of(client.get(BOOK))
    assert "1 Default Street" not in page
    assert page.count(DEFAULT_TAG) == 1


def test_deleting_the_last_address_empties_the_book(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    only = factory.address(me)

    assert_303_to_book(client.post(f"/account/addresses/{only.id}/delete"))

    assert rows(me) == []
    assert "You have no saved addresses yet." in text_of(client.get(BOOK))


def test_deleting_twice_is_not_found_the_second_time(
    client: FlaskClient, logged_in: Any, factory: Any
) -> None:
    me = logged_in()
    address = factory.address(me)

    assert_303_to_book(client.post(f"/account/addresses/{address.id}/delete"))
    assert client.post(f"/account/addresses/{address.id}/delete").status_code == 404


def test_delete_and_default_do_not_answer_a_get(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any
) -> None:
    me = logged_in()
    address = factory.address(me)

    assert client.get(f"/account/addresses/{address.id}/delete").status_code == 405
    assert client.get(f"/account/addresses/{address.id}/default").status_code == 405
    assert len(rows(me)) == 1


# -- tampered ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "action"),
    [("get", "edit"), ("post", "edit"), ("post", "default"), ("post", "delete")],
)
def test_another_persons_address_is_not_found_and_untouched(
    client: FlaskClient,
    logged_in: Any,
    factory: Any,
    rows: Any,
    other_users_address: Any,
    method: str,
    action: str,
) -> None:
    me = logged_in()
    mine = factory.address(me, line1="1 My Street")
    before = rows()

    response = getattr(client, method)(
        f"/account/addresses/{other_users_address.id}/{action}",
        data={**VALID, "line1": "Hijacked", "is_default": "y"} if method == "post" else None,
    )

    assert response.status_code == 404
    page = text_of(response)
    assert "9 Private Lane" not in page
    assert "Stella Stranger" not in page
    assert rows() == before
    assert {row["id"]: row["is_default"] for row in rows(me)} == {mine.id: True}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/account/addresses/abc/edit"),
        ("post", "/account/addresses/abc/edit"),
        ("post", "/account/addresses/abc/default"),
        ("post", "/account/addresses/abc/delete"),
        ("post", "/account/addresses/1.5/delete"),
        ("post", "/account/addresses/-1/delete"),
        ("post", "/account/addresses/%20/delete"),
    ],
)
def test_a_non_numeric_id_is_not_found(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any, method: str, path: str
) -> None:
    me = logged_in()
    factory.address(me)
    before = rows()

    response = getattr(client, method)(path, data=VALID if method == "post" else None)

    assert response.status_code == 404
    assert rows() == before


@pytest.mark.parametrize(
    ("method", "action"),
    [("get", "edit"), ("post", "edit"), ("post", "default"), ("post", "delete")],
)
def test_an_id_too_large_for_the_database_is_not_found(
    client: FlaskClient, logged_in: Any, factory: Any, rows: Any, method: str, action: str
) -> None:
    me = logged_in()
    factory.address(me)
    before = rows()

    response = getattr(client, method)(
        f"/account/addresses/99999999999999999999/{action}",
        data=VALID if method == "post" else None,
    )

    assert response.status_code == 404
    assert rows() == before
