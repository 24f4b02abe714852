"""flask commands: demo data, users, reminders."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .extensions import db
from .models import ROLES, Organisation, Person, Service, User, UserService


def register(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(users)
    app.cli.add_command(reminders)


@click.command("demo")
@with_appcontext
def demo():
    """Fill an empty database with the demo organisation."""
    from . import demo as demo_data

    if not demo_data.is_empty():
        raise click.ClickException("The database already holds data; the demo organisation is only loaded into an empty one.")
    org = demo_data.load()
    db.session.commit()
    click.echo(f"Loaded the demo organisation “{org.name}”. Sign in as worker@demo.example (password: {demo_data.PASSWORD}).")


@click.group("users")
def users():
    """Manage user accounts."""


def _email(_ctx, _param, value: str) -> str:
    """The sign-in form only accepts a valid address, so an account under any other could never sign in."""
    from marshmallow import ValidationError, validate

    value = value.strip().lower()
    try:
        validate.Email()(value)
    except ValidationError:
        raise click.BadParameter("Not a valid email address.") from None
    return value


@users.command("create")
@click.option("--email", required=True, callback=_email)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--organisation", "organisation_name", help="Organisation name (created if it does not exist).")
@click.option("--service", "service_names", multiple=True, help="For managers and commissioners: a service they cover.")
@click.option("--person-id", help="For role person: the Person record this account belongs to.")
@click.password_option()
@with_appcontext
def create_user(email, name, role, organisation_name, service_names, person_id, password):
    """Add a user with a role."""
    if len(password) < 10:
        raise click.BadParameter("Use at least 10 characters.", param_hint="--password")
    if db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none():
        raise click.ClickException(f"A user with the email {email} already exists.")
    orgs = db.session.execute(select(Organisation)).scalars().all()
    if organisation_name:
        org = next((o for o in orgs if o.name == organisation_name), None)
        if org is None:
            org = Organisation(name=organisation_name)
            db.session.add(org)
            db.session.flush()
    elif len(orgs) == 1:
        org = orgs[0]
    else:
        raise click.BadParameter("Name the organisation.", param_hint="--organisation")
    if role == "person":
        person = db.session.get(Person, person_id) if person_id else None
        if person is None or person.organisation_id != org.id:
            raise click.BadParameter("A person account needs the id of their Person record.", param_hint="--person-id")
    elif person_id:
        raise click.BadParameter("Only person accounts link to a Person record.", param_hint="--person-id")
    user = User(organisation_id=org.id, email=email, name=name, role=role,
                password_hash=generate_password_hash(password), person_id=person_id)
    db.session.add(user)
    db.session.flush()
    for service_name in service_names:
        service = db.session.execute(
            select(Service).where(Service.organisation_id == org.id, Service.name == service_name)
        ).scalar_one_or_none()
        if service is None:
            raise click.BadParameter(f"No service called {service_name!r} in {org.name}.", param_hint="--service")
        db.session.add(UserService(user_id=user.id, service_id=service.id))
    from .domain import audit

    audit.record(None, "create", "user", user.id, role=role, by="command line")
    db.session.commit()
    click.echo(f"Created {role} {email} in {org.name}.")


@click.group("reminders")
def reminders():
    """Due and overdue reminders (push and the in-app inbox)."""


@reminders.command("send")
@with_appcontext
def send_reminders():
    """Send what is due and overdue now. Each reminder goes once per item, due date and recipient,
    however often this runs (cron every few minutes is fine) and on however many hosts."""
    from .domain import reminders as domain

    click.echo(domain.send_reminders().line())
