from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from ..domain import access, accounts, audit, measures
from ..domain.outcomes import quarter_label
from ..extensions import db
from ..schemas.accounts import ServiceIn, ServiceListOut, ServicePatch
from ..schemas.common import BaseInput, Text

blp = Blueprint("services", __name__, url_prefix="/api/v1/services", description="Services and their measures")


class MeasuresQuery(BaseInput):
    quarter = Text(10, load_default=None, metadata={"description": "YYYYQn; default the current quarter"})


@blp.route("")
@login_required
@blp.response(200, ServiceListOut(many=True))
def list_services():
    """Services whose figures you may read (admins: every service of the organisation), each with
    `people_count`, the people it supports."""
    return accounts.list_services(current_user)


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(ServiceIn)
@blp.response(201, ServiceListOut)
@blp.alt_response(409, description="A service of your organisation has this name already")
def create_service(data):
    """A new service of your organisation `{name, kind}`; kind supported_living, domiciliary or residential (admins)."""
    service = accounts.create_service(current_user, data)
    db.session.commit()
    return service


@blp.route("/<service_id>", methods=["PATCH"])
@login_required
@blp.arguments(ServicePatch)
@blp.response(200, ServiceListOut)
def update_service(data, service_id):
    """Rename a service or change its kind (admins)."""
    service = accounts.update_service(current_user, service_id, data)
    db.session.commit()
    return service


@blp.route("/<service_id>/measures")
@login_required
@blp.arguments(MeasuresQuery, location="query")
def service_measures(query, service_id):
    """The service's measures for a quarter: people achieving a goal, improved/same/worse outcomes,
    restrictive practices per month, participation and employment per person-month, unplanned
    hospital admissions, and anonymised trajectories. No names, no notes."""
    service = access.require_service(current_user, "measures", service_id)
    year, q = measures.parse_quarter(query["quarter"]) if query["quarter"] else measures.last_complete_quarter()
    audit.record(current_user, "view", "service_measures", service.id, service_id=service.id, quarter=quarter_label(year, q))
    return measures.service_quarter(service, year, q)
