"""Print-ready report pages (HTML, for the browser's Print or Save as PDF)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from ..domain import access, audit, measures
from ..domain.errors import DomainError
from ..domain.outcomes import quarter_label, quarter_of

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/services/<service_id>")
def service_report(service_id):
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role == "person":
        abort(403)
    try:
        service = access.service_for(current_user, service_id)
        quarter = request.args.get("quarter")
        year, q = measures.parse_quarter(quarter) if quarter else quarter_of(date.today())
    except DomainError as exc:
        abort(exc.status)
    figures = measures.service_measures(service, year, q)
    audit.record(current_user, "view", "service_report", service.id, service_id=service.id, quarter=quarter_label(year, q))
    return render_template("service_report.html", m=figures, generated=date.today(), viewer=current_user)
