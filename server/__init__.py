"""Tandem: outcome evidence for co-produced care."""
from __future__ import annotations

from importlib import import_module

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    from . import config as settings

    settings.load(app, config)
    # Replies keep their keys in the order the output schemas declare (StrictSchema is ordered):
    # sorting them re-orders every reply and cost nearly a tenth of a thousand-change pull page.
    app.json.sort_keys = False
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_errors(app)
    register_commands(app)
    register_scheduler(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import database
    from .domain import changeseq  # noqa: F401  (stamps synced rows on flush)
    from .extensions import api, compress, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    compress.init_app(app)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def register_security(app: Flask) -> None:
    from . import security, unit_of_work

    security.init_app(app)
    unit_of_work.init_app(app)  # a read request's view entries, written once its reply is built


def register_blueprints(app: Flask) -> None:
    from .extensions import api
    from .routes import blueprints, client, reports

    for blp in blueprints():
        api.register_blueprint(blp)
    app.register_blueprint(client.bp)
    app.register_blueprint(reports.bp)
    api.register_blueprint(import_module(".routes.evidence", __name__).blp)  # evidence out: reports, CQC pack, summaries, SAR, FHIR


def register_errors(app: Flask) -> None:
    from . import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.register(app)


def register_scheduler(app: Flask) -> None:
    """REMINDERS_INTERVAL_MINUTES > 0 (and not TESTING): send reminders from a daemon thread, for a
    single-host install without cron. Off by default."""
    from . import jobs

    app.extensions["tandem_reminders"] = jobs.start_scheduler(app)
