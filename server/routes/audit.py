"""The audit log: who has seen and changed what (ACCESS.md). The rules are in server/domain/audit.py
and server/domain/access.audit_scope."""
from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from ..domain import audit
from ..schemas.audit import AuditPageOut, AuditQuery

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="The audit log (managers, senior leaders, admins)")


@blp.route("")
@login_required
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPageOut)
def audit_log(query):
    """Who viewed and changed records, newest first, 50 to a page (`next_cursor` for the next).
    Registered managers read entries about their services and the people in them; senior leaders and
    admins their organisation's. Reading one person's entries is itself recorded."""
    return audit.entries(current_user, query["person_id"], query["user_id"], query["since"], query["cursor"], query["limit"])
