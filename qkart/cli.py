"""Operator commands: ``flask --app wsgi seed`` and ``flask --app wsgi create-admin``."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from qkart.accounts import addresses
from qkart.accounts import services as accounts
from qkart.accounts.errors import EmailTakenError, WeakPasswordError
from qkart.catalog import seed as catalogue_seed
from qkart.coupons.seed import load_demo_coupons
from qkart.extensions import db
from qkart.pricing.seed import load_demo_rates
from qkart.shipping.seed import load_demo_methods

DEMO_EMAIL = "demo@qkart.local"
DEMO_PASSWORD = "qkart-demo-2026"
DEMO_ADDRESS = {
    "full_name": "Dana Demo",
    "line1": "12 Market Street",
    "line2": "",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
    "phone": "+1 217 555 0100",
}


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(create_admin)
    app.cli.add_command(jobs)


@click.group("jobs")
def jobs() -> None:
    """Background upkeep: the outbox sweep, payment reconciliation, unpaid-order expiry."""


@jobs.command("tick")
@with_appcontext
def tick() -> None:
    """Run every scheduled chore once (the Procfile's clock does this every minute)."""
    from qkart.jobs.maintenance import run_chores

    for chore, outcome in run_chores().items():
        click.echo(f"{chore}: {outcome}")


@jobs.command("picture-sizes")
@with_appcontext
def picture_sizes() -> None:
    """Queue the responsive sizes of every uploaded picture that has none (after an upgrade)."""
    from qkart.catalog.images import queue_missing_variants

    count = queue_missing_variants()
    db.session.commit()
    click.echo(f"Queued the sizes of {count} picture{'' if count == 1 else 's'}.")


def _demo_shopper() -> bool:
    if accounts.find_user_by_email(DEMO_EMAIL) is not None:
        return False
    user = accounts.register_user("Dana Demo", DEMO_EMAIL, DEMO_PASSWORD)
    accounts.mark_verified(user)
    addresses.add_address(user.id, DEMO_ADDRESS)
    return True


def _wants_demo_shopper(asked: bool | None) -> bool:
    """The demo shopper's password is in the README: anyone could log in as them on a
    live shop, so production creates it only when asked for by name."""
    if asked is not None:
        return asked
    if current_app.config["QKART_ENV"] == "production":
        raise click.UsageError(
            f"QKART_ENV=production: not creating the demo shopper {DEMO_EMAIL}, whose "
            "password is public. Run `flask seed --no-demo-shopper` to load only the demo "
            "catalogue, or `flask seed --demo-shopper` if you really want that account."
        )
    return True


@click.command("seed")
@click.option(
    "--products",
    "count",
    type=click.IntRange(min=1, max=5_000_000),
    default=None,
    help="Add N synthetic products (for benchmarks) instead of the classic catalogue.",
)
@click.option(
    "--batch",
    type=click.IntRange(min=100, max=50_000),
    default=5000,
    show_default=True,
    help="Rows per INSERT when generating products.",
)
@click.option(
    "--demo-shopper/--no-demo-shopper",
    "demo_shopper",
    default=None,
    help=f"Create (or not) the demo shopper {DEMO_EMAIL}, whose password is public. "
    "On by default, except with QKART_ENV=production, where it must be asked for.",
)
@click.option(
    "--history",
    "history_days",
    type=click.IntRange(min=1, max=3660),
    is_flag=False,
    flag_value=365,
    default=None,
    help="Also write N days (365 if no N) of generated sessions, carts and orders "
    "before today, whose report figures are known in advance (qkart.analytics.history).",
)
@click.option(
    "--history-in-production",
    is_flag=True,
    help="Allow --history with QKART_ENV=production (it adds customers and orders).",
)
@with_appcontext
def seed(
    count: int | None,
    batch: int,
    demo_shopper: bool | None,
    history_days: int | None,
    history_in_production: bool,
) -> None:
    """Load the demo shop: the classic catalogue and a demo shopper (idempotent)."""
    live = current_app.config["QKART_ENV"] == "production"
    if history_days and live and not history_in_production:
        raise click.UsageError(
            "QKART_ENV=production: not writing a generated history of customers and "
            "orders into a live shop. Add --history-in-production if you mean it."
        )
    if count:
        with click.progressbar(length=count, label=f"Generating {count} products") as bar:
            catalogue_seed.load_synthetic(count, batch=batch, progress=bar.update)
        click.echo(f"Added {count} synthetic products.")
        return
    with_shopper = _wants_demo_shopper(demo_shopper)
    added = catalogue_seed.load_classic()
    shop_rules = load_demo_methods() + load_demo_rates() + load_demo_coupons()
    made_demo = _demo_shopper() if with_shopper else False
    db.session.commit()
    if added:
        click.echo(f"Loaded the classic QKart catalogue ({added} products).")
    else:
        click.echo("The classic catalogue is already loaded.")
    if shop_rules:
        click.echo("Added the demo delivery options, tax rates and promo codes.")
    if made_demo:
        click.echo(f"Demo shopper: {DEMO_EMAIL} / {DEMO_PASSWORD}")
    if history_days:
        _seed_history(history_days)


def _seed_history(days: int) -> None:
    from qkart.analytics import history
    from qkart.core.shop import shop_timezone, shop_today

    prices = [p.price for p in history.catalogue()]
    if not prices:
        raise click.UsageError("The history needs products: none are in the catalogue.")
    plan = history.plan(shop_today() - timedelta(days=1), days, prices, shop_timezone())
    with click.progressbar(length=days, label=f"Writing {days} days of history") as bar:
        try:
            events = history.write(plan, current_app.config["QKART_CURRENCY"], bar.update)
        except history.HistoryLoadedError:
            db.session.rollback()
            click.echo("The generated history is already loaded.")
            return
    db.session.commit()
    orders = sum(len(d.orders) for d in plan.days)
    click.echo(
        f"Wrote {days} days of history: {plan.customers} customers, {orders} orders, "
        f"{events} analytics events."
    )


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Shop admin", show_default=True)
@click.option(
    "--role",
    type=click.Choice(["owner", "admin", "manager"]),
    default="owner",
    show_default=True,
    help="owner: everything, staff included; admin: all but staff; manager: catalogue, "
    "stock and orders.",
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given.",
)
@with_appcontext
def create_admin(email: str, name: str, role: str, password: str) -> None:
    """Create a staff account (the shop's owner by default), or promote an existing one."""
    try:
        address = accounts.check_email(email)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from None
    existing = accounts.find_user_by_email(address)
    if existing is not None:
        existing.role = role
        db.session.commit()
        click.echo(f"{address} already had an account; it is now {role}.")
        return
    try:
        user = accounts.register_user(name, address, password, role=role)
    except (EmailTakenError, WeakPasswordError) as error:
        raise click.BadParameter(str(error), param_hint="--password") from None
    user.email_verified_at = user.created_at
    db.session.commit()
    click.echo(f"Staff account {address} ({role}) created. Log in at /login.")
