from flask_smorest import Blueprint
from sqlalchemy import text

from ..errors import error_response
from ..extensions import db

blp = Blueprint("health", __name__, description="Liveness and database check")


@blp.route("/healthz")
def healthz():
    """200 when the app can reach its database."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure is "down"
        db.session.rollback()
        return error_response(503, "The database cannot be reached.", code="database_down")
    return {"status": "ok", "database": "ok"}
