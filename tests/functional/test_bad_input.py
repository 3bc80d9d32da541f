"""Odd input from a browser gets a clear 4xx, never a 500 (issue 12)."""

import io

import pytest

from tests.conftest import PASSWORD, login


@pytest.fixture
def app_500(app):
    """Unexpected errors answered as the 500 page (as in production), not raised."""
    app.testing = False
    yield app
    app.testing = True


def test_whitespace_in_a_number_filter_is_ignored(app_500, factory):
    factory.product("Desk lamp")
    response = app_500.test_client().get("/products?rating=%20")
    assert response.status_code == 200 and "Desk lamp" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/login", "/register", "/forgot-password"])
def test_a_file_part_in_a_text_field_is_an_empty_field(app_500, path):
    data = {"email": (io.BytesIO(b"not text"), "x.txt"), "name": "Ann", "password": PASSWORD}
    response = app_500.test_client().post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 422


def test_a_broken_next_or_referer_is_ignored(app_500, factory):
    client = app_500.test_client()
    assert client.get("/login?next=http://[::1").status_code == 200
    user = factory.user()
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "http://[::1"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
    client.post("/logout")
    response = client.get("/account", headers={"Referer": "http://[::1"})
    assert response.status_code == 302
    response = client.post(
        "/account/profile", data={"name": "X"}, headers={"Referer": "http://[::1"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_disabling_two_factor_when_it_is_off_says_so(app_500, factory):
    client = app_500.test_client()
    login(client, factory.user())
    response = client.post(
        "/account/two-factor/disable", data={"password": PASSWORD, "code": "123456"}
    )
    assert response.status_code == 409
    assert "already off" in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["jörg@example.com", "user@bücher.de", "用户@例子.广告"])
def test_registration_refuses_non_ascii_addresses_with_a_clear_message(app, client, email):
    data = {"name": "Jörg", "email": email, "password": PASSWORD, "confirm_password": PASSWORD}
    response = client.post("/register", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "plain Latin letters" in page and 'id="email-error"' in page
