"""Operator commands: seed (classic and synthetic) and create-admin."""

from pathlib import Path

from sqlalchemy import func, select

from qkart.accounts.models import User
from qkart.catalog.models import Category, Product
from qkart.extensions import db
from tests.conftest import wallet_of


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_seed_loads_the_classic_shop_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "Loaded the classic QKart catalogue (12 products)" in result.output
    assert "demo@qkart.local" in result.output
    with app.app_context():
        products = db.session.scalars(select(Product)).all()
        assert len(products) == 12
        static = Path(app.static_folder)
        for product in products:
            assert product.description and (static / product.image).is_file(), product.name
        demo = db.session.scalar(select(User).where(User.email == "demo@qkart.local"))
        assert demo.is_verified and wallet_of(app, demo.id) == 500_000
    again = runner.invoke(args=["seed"])
    assert "already loaded" in again.output
    assert _count(app, Product) == 12 and _count(app, User) == 1


def test_seed_synthetic_products_with_progress(app):
    result = app.test_cli_runner().invoke(args=["seed", "--products", "250", "--batch", "100"])
    assert result.exit_code == 0, result.output
    assert "Added 250 synthetic products." in result.output
    assert _count(app, Product) == 250
    assert _count(app, Category) >= 30
    more = app.test_cli_runner().invoke(args=["seed", "--products", "10"])
    assert more.exit_code == 0 and _count(app, Product) == 260  # SKUs continue


def test_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "Boss@Example.com", "--password", "admin-pass-1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.email == "boss@example.com"))
        assert boss.role == "owner" and boss.is_staff and boss.can("staff")
    weak = runner.invoke(args=["create-admin", "weak@example.com", "--password", "short"])
    assert weak.exit_code != 0 and "at least 8" in weak.output
    bad = runner.invoke(args=["create-admin", "not-an-email", "--password", "admin-pass-1"])
    assert bad.exit_code != 0
    again = runner.invoke(args=["create-admin", "boss@example.com", "--password", "admin-pass-1"])
    assert "already had an account" in again.output


def test_jobs_tick_runs_every_chore_once(app):
    result = app.test_cli_runner().invoke(args=["jobs", "tick"])
    assert result.exit_code == 0, result.output
    assert "sweep_outbox: 0" in result.output
    assert "reconcile_card_payments: 0" in result.output
    assert "expire_overdue_orders: 0" in result.output


def test_seed_in_production_refuses_the_public_demo_shopper_unless_asked(app, make_app):
    live = make_app(
        QKART_ENV="production",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="a-long-production-secret-key-0123456789abcdef",
    )
    refused = live.test_cli_runner().invoke(args=["seed"])
    assert refused.exit_code == 2
    assert "not creating the demo shopper" in refused.output and "--demo-shopper" in refused.output
    assert _count(live, User) == 0 and _count(live, Product) == 0
    catalogue_only = live.test_cli_runner().invoke(args=["seed", "--no-demo-shopper"])
    assert catalogue_only.exit_code == 0, catalogue_only.output
    assert _count(live, Product) == 12 and _count(live, User) == 0
    asked = live.test_cli_runner().invoke(args=["seed", "--demo-shopper"])
    assert asked.exit_code == 0 and _count(live, User) == 1
