"""The cart's + and minus buttons send a change, so presses made from one page add up."""

import re

from tests.conftest import login


def test_two_plus_presses_from_the_same_page_both_count(client, factory):
    user = factory.user()
    product = factory.product("Desk lamp", stock=5)
    factory.cart_item(user, product, 1)
    login(client, user)
    page = client.get("/cart").get_data(as_text=True)
    plus = re.search(
        r'<input type="hidden" name="(\w+)" value="(-?\d+)">\s*<button[^>]*id="inc-', page
    )
    assert plus.groups() == ("change", "1")
    for _ in range(2):  # both sent before the page shows the new quantity
        assert client.post(f"/cart/items/{product.id}", data={"change": "1"}).status_code == 303
    assert 'value="3"' in client.get("/cart").get_data(as_text=True)
    too_many = client.post(f"/cart/items/{product.id}", data={"change": "3"})
    assert too_many.status_code in (409, 422) and "Desk lamp" in too_many.get_data(as_text=True)
    client.post(f"/cart/items/{product.id}", data={"change": "-3"})
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)


def test_a_quantity_form_with_neither_field_says_what_to_fix(client, factory):
    user = factory.user()
    product = factory.product()
    factory.cart_item(user, product, 1)
    login(client, user)
    response = client.post(f"/cart/items/{product.id}", data={})
    assert response.status_code == 422 and "Enter a whole number." in response.get_data(
        as_text=True
    )
