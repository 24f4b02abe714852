"""flask commands: setting up an organisation, demo data, users, reminders."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .extensions import db
from .models import ROLES, Organisation, Person, Service, User, UserService


def register(app: Flask) -> None:
    app.cli.add_command(setup)
    app.cli.add_command(demo)
    app.cli.add_command(users)
    app.cli.add_command(reminders)


@click.command("setup")
@click.option("--organisation", "organisation", required=True, help="The organisation's name.")
@click.option("--admin-email", required=True, help="The first admin's email address (they sign in with it).")
@click.option("--admin-name", default="", help="The first admin's name (default: the email's first part).")
@click.option("--public-url", default=None, help="Where people reach Tandem, for the link (default: PUBLIC_URL, else http://localhost:5000).")
@with_appcontext
def setup(organisation, admin_email, admin_name, public_url):
    """Make an organisation and its first admin, and print a one-time link to set the admin's password.

    Run `flask --app server db upgrade` first. Each run makes one organisation; organisations in
    one database see nothing of each other."""
    from flask import current_app
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from .database import write_intent
    from .domain import accounts
    from .domain.errors import DomainError

    base = public_url or current_app.config.get("PUBLIC_URL") or "http://localhost:5000"
    try:
        with write_intent():
            org, admin, link = accounts.setup_organisation(organisation, admin_email, admin_name, base)
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} Nothing was changed.") from None
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        raise click.ClickException("The database has no tables yet. Run `flask --app server db upgrade` first; nothing was changed.") from None
    days = accounts.LINK_DAYS
    click.echo(f"Made the organisation “{org.name}” and its admin {admin.email}.")
    click.echo(f"Open this link within {days} days to set the admin's password (it works once):")
    click.echo(link.url)
    message = accounts.link_email(admin, link)
    db.session.commit()
    sent = accounts.send_email(message)
    if sent:
        click.echo(f"The link was also emailed to {admin.email}.")
    elif sent is False:
        click.echo("The link could not be emailed (see the log); hand it over yourself.")
    click.echo("Then sign in, open Staff to add accounts, and Services to add your services.")


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
    from .domain import access
    from .domain.accounts import password_problems

    problems = password_problems(password, email)
    if problems:
        raise click.BadParameter(problems[0], param_hint="--password")
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
    if access.is_person(role):
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
    from . import jobs
    from .database import optimize

    click.echo(jobs.send_reminders().line())
    optimize()  # the run that reads every outcome keeps SQLite's planner statistics current too
