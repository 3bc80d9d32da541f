"""Password storage: argon2id, upgraded in place when the parameters change."""

from argon2 import PasswordHasher

from qkart.accounts import services as accounts
from qkart.accounts.models import User
from tests.conftest import PASSWORD


def test_passwords_are_argon2id(factory, db):
    user = db.session.get(User, factory.user().id)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_old_parameters_are_rehashed_on_login(factory, db):
    user = db.session.get(User, factory.user().id)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    user.password_hash = weak.hash(PASSWORD)
    db.session.commit()
    old = user.password_hash
    accounts.authenticate(user.email, PASSWORD)
    db.session.commit()
    assert user.password_hash != old
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert accounts.authenticate(user.email, PASSWORD).id == user.id
