"""Sessions end on the server: copied cookies stop working after logout (issue 12)."""

from tests.conftest import login


def _cookie(response, name):
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "="))
    return header.split(";")[0].split("=", 1)[1]


def test_replaying_the_session_and_remember_cookies_after_logout_is_refused(app, factory):
    user = factory.user()
    browser = app.test_client()
    response = login(browser, user, remember="y")
    session_cookie, remember_cookie = (
        _cookie(response, "session"),
        _cookie(response, "remember_token"),
    )
    assert browser.get("/account").status_code == 200
    browser.post("/logout")
    replay_session = app.test_client()
    replay_session.set_cookie("session", session_cookie)
    assert replay_session.get("/account").status_code == 302
    replay_remember = app.test_client()
    replay_remember.set_cookie("remember_token", remember_cookie)
    assert replay_remember.get("/account").status_code == 302


def test_logout_ends_the_other_devices_too(app, factory):
    user = factory.user()
    here, there = app.test_client(), app.test_client()
    login(here, user)
    login(there, user)
    here.post("/logout")
    assert there.get("/account").status_code == 302
    login(here, user)
    assert here.get("/account").status_code == 200
