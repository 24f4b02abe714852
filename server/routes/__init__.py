"""One blueprint per resource; each is thin: parse, call the domain, dump."""
from flask_login import current_user, login_required  # noqa: F401


def blueprints():
    from . import audit, health, imports, improvement, invites, outcomes, people, push, services, session, sync, users

    from .governance import blueprints as governance

    return [session.blp, health.blp, people.blp, outcomes.blp, sync.blp, *improvement.blueprints, push.blp, services.blp, users.blp,
            audit.blp, invites.blp, imports.blp, *governance]
