"""Property-based fuzzing of the whole URL map: malformed input never gives a 500.

Every GET route gets odd path arguments and query parameters, every POST route odd
form fields (urlencoded or multipart, some as file parts), as a visitor, a shopper
and the shop's owner. Examples are few per route and derandomized, so the run is
fast and the same every time; a failure names the request that broke.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

from qkart.core.forms import Form
from tests.conftest import PASSWORD, login

QKART = Path(__file__).resolve().parents[2] / "qkart"
ODD = [
    "",
    " ",
    "\t\n",
    "0",
    "-1",
    "1",
    "2",
    "12",
    "1.5",
    "1e309",
    "NaN",
    "-Infinity",
    "9" * 40,
    "٣",
    "²",
    "ü@例え.jp",
    "a@b.co",
    PASSWORD,
    "y",
    "on",
    "US",
    "DELETE",
    "http://[::1",
    "//evil.example/",
    "/account",
    "%",
    "%ff",
    "../../etc/passwd",
    "' OR 1=1 --",
    "<script>x</script>",
    "[]",
    "x" * 3000,
    "2026-02-30",
    "2026-12-31",
]
VALUES = st.one_of(st.sampled_from(ODD), st.text(max_size=12))
SEGMENTS = st.one_of(
    st.sampled_from(["1", "0", "-1", "2147483648", "x", "%20", "a" * 300, "lamp-1", "%ff"]),
    st.text(alphabet=st.characters(blacklist_characters="/?#", codec="utf-8"), max_size=8),
)
# Visitors reach every public form, so they get the most examples; signed-in runs
# add the account and staff pages on top.
EXAMPLES = {"visitor": 25, "shopper": 8, "owner": 8}
SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _field_names() -> list[str]:
    """Every form field and query parameter the shop reads, found in its own code."""
    names: set[str] = set()
    stack = list(Form.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        names.update(n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField))
    pattern = re.compile(r"""request\.(?:args|form)\.get(?:list)?\(\s*["']([A-Za-z_-]+)["']""")
    for path in QKART.rglob("*.py"):
        names.update(pattern.findall(path.read_text()))
    return sorted(names)


def _rules(app: Any, method: str) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if method in r.methods),
        key=lambda r: r.rule,
    )


def _path(rule: Rule, values: dict[str, str]) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[a-z]+:)?" + name + ">", values[name], path)
    return path


def _requests(rule: Rule, names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "args": st.fixed_dictionaries({name: SEGMENTS for name in sorted(rule.arguments)}),
            "fields": st.dictionaries(st.sampled_from(names), VALUES, max_size=8),
            "files": st.lists(st.sampled_from(names), max_size=2),
            "multipart": st.booleans(),
            "htmx": st.booleans(),
            "referer": st.sampled_from([None, "http://[::1", "http://localhost/cart", "%"]),
        }
    )


def _send(client: Any, method: str, rule: Rule, example: dict[str, Any]) -> Any:
    path = _path(rule, example["args"])
    headers = {"HX-Request": "true", "HX-Target": "main"} if example["htmx"] else {}
    if example["referer"]:
        headers["Referer"] = example["referer"]
    if method == "GET":
        return client.get(path, query_string=example["fields"], headers=headers)
    data: dict[str, Any] = dict(example["fields"])
    if example["multipart"] or example["files"]:
        for name in example["files"]:
            data[name] = (io.BytesIO(b"\x89PNG odd bytes"), "odd.png")
        return client.post(path, data=data, headers=headers, content_type="multipart/form-data")
    return client.post(path, data=data, headers=headers)


def _fuzz(client: Any, method: str, rule: Rule, names: list[str], examples: int) -> None:
    @settings(SETTINGS, max_examples=examples)
    @given(example=_requests(rule, names))
    def run(example: dict[str, Any]) -> None:
        response = _send(client, method, rule, example)
        assert response.status_code < 500, f"{method} {rule.rule} {example}"

    run()


@pytest.fixture
def shop(factory):
    """A little shop to aim at: a product, a shopper with an order's worth of cart, staff."""
    product = factory.product("Desk lamp")
    shopper = factory.user()
    factory.address(shopper)
    factory.cart_item(shopper, product)
    return {"shopper": shopper, "owner": factory.user(role="owner")}


@pytest.mark.parametrize("who", ["visitor", "shopper", "owner"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_route_answers_malformed_input_with_a_500(app, shop, who, method):
    client = app.test_client()
    if who != "visitor":
        login(client, shop[who])
    names = _field_names()
    for rule in _rules(app, method):
        if rule.endpoint in ("auth.logout", "settings.delete_account") and who != "visitor":
            continue  # would end the session the rest of the run is meant to use
        _fuzz(
            client, method, rule, names, int(os.environ.get("QKART_FUZZ_EXAMPLES", EXAMPLES[who]))
        )
