from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint
from sqlalchemy import select

from ..domain import access
from ..extensions import db
from ..models import User
from ..schemas.session import UserOut

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Staff accounts (admins)")


@blp.route("")
@login_required
@blp.response(200, UserOut(many=True))
def list_users():
    """Your organisation's accounts, with their roles and services (admins)."""
    access.require_role(current_user, "admin")
    return db.session.execute(
        select(User).where(User.organisation_id == current_user.organisation_id).order_by(User.role, User.name)
    ).scalars().all()
