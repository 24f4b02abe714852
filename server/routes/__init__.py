"""One blueprint per resource; each is thin: parse, call the domain, dump."""
from flask_login import current_user, login_required  # noqa: F401


def blueprints():
    from . import health, improvement, outcomes, people, push, services, session, sync, users

    return [session.blp, health.blp, people.blp, outcomes.blp, sync.blp, *improvement.blueprints, push.blp, services.blp, users.blp]
