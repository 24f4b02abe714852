"""The print-ready report page: the quarterly report's HTML format (one template with the PDF,
CSV and Excel downloads), at a stable address for the browser's Print or Save as PDF."""
from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user
from marshmallow import ValidationError

from ..domain.errors import DomainError
from ..errors import domain_status

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/services/<service_id>")
def service_report(service_id):
    from .evidence import ReportQuery, report_response

    if not current_user.is_authenticated:
        abort(401)
    try:
        query = ReportQuery().load({k: v for k, v in request.args.items() if k in {"quarter", "version"}})
        return report_response(service_id, {**query, "format": "html"})
    except ValidationError:
        abort(422)
    except DomainError as exc:
        abort(domain_status(exc))
