from __future__ import annotations

from datetime import date

from flask_login import current_user, login_required
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from ..domain import access, audit, measures
from ..domain.errors import Forbidden
from ..domain.outcomes import quarter_label, quarter_of
from ..extensions import db
from ..models import Service
from ..schemas.common import StrictSchema
from ..schemas.session import ServiceOut

blp = Blueprint("services", __name__, url_prefix="/api/v1/services", description="Services and their measures")


class MeasuresQuery(StrictSchema):
    quarter = fields.String(load_default=None, metadata={"description": "YYYYQn; default the current quarter"})


@blp.route("")
@login_required
@blp.response(200, ServiceOut(many=True))
def list_services():
    """Services whose figures you may read."""
    return db.session.execute(select(Service).where(Service.id.in_(access.visible_services(current_user))).order_by(Service.name)).scalars().all()


@blp.route("/<service_id>/measures")
@login_required
@blp.arguments(MeasuresQuery, location="query")
def service_measures(query, service_id):
    """The service's measures for a quarter: people achieving a goal, improved/same/worse outcomes,
    restrictive practices per month, participation and employment per person-month, unplanned
    hospital admissions, and anonymised trajectories. No names, no notes."""
    if current_user.role == "person":
        raise Forbidden("Your role cannot read service figures.")
    service = access.service_for(current_user, service_id)
    year, q = measures.parse_quarter(query["quarter"]) if query["quarter"] else quarter_of(date.today())
    audit.record(current_user, "view", "service_measures", service.id, service_id=service.id, quarter=quarter_label(year, q))
    return measures.service_measures(service, year, q)
