"""The nine areas of wellbeing in the Care Act 2014, section 1(2), and the link from an outcome to
the areas it serves (chosen with the person when the outcome is defined or edited).

This list is the one place the areas are defined: the schemas validate against it, the quarterly
report groups its figures by it, `GET /api/v1/wellbeing-areas` serves it, and the phone's copy in
client/js/wellbeing.js is checked against it by a test.
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# (code, the Act's words as a short label, easy-read words for the person, the Act's paragraph)
WELLBEING_AREAS = (
    {"code": "dignity", "label": "Personal dignity", "easy_read": "Being treated with respect", "paragraph": "1(2)(a)"},
    {"code": "health", "label": "Physical and mental health and emotional wellbeing", "easy_read": "My health and how I feel", "paragraph": "1(2)(b)"},
    {"code": "protection", "label": "Protection from abuse and neglect", "easy_read": "Being safe from harm", "paragraph": "1(2)(c)"},
    {"code": "control", "label": "Control over day-to-day life", "easy_read": "Choosing how I live my day", "paragraph": "1(2)(d)"},
    {"code": "participation", "label": "Participation in work, education, training or recreation", "easy_read": "Work, learning and things I enjoy", "paragraph": "1(2)(e)"},
    {"code": "social_economic", "label": "Social and economic wellbeing", "easy_read": "Friends, community and money", "paragraph": "1(2)(f)"},
    {"code": "relationships", "label": "Domestic, family and personal relationships", "easy_read": "Family and the people close to me", "paragraph": "1(2)(g)"},
    {"code": "accommodation", "label": "Suitability of living accommodation", "easy_read": "My home", "paragraph": "1(2)(h)"},
    {"code": "contribution", "label": "Contribution to society", "easy_read": "Giving something back", "paragraph": "1(2)(i)"},
)
WELLBEING_CODES = tuple(a["code"] for a in WELLBEING_AREAS)
WELLBEING_LABELS = {a["code"]: a["label"] for a in WELLBEING_AREAS}
WELLBEING_EASY_READ = {a["code"]: a["easy_read"] for a in WELLBEING_AREAS}


def in_order(codes) -> list[str]:
    """The codes given, once each, in the Act's order."""
    chosen = set(codes or ())
    return [code for code in WELLBEING_CODES if code in chosen]


class OutcomeWellbeingArea(db.Model):
    """One row per outcome and area: the report counts outcomes per area with a join and GROUP BY."""

    __tablename__ = "outcome_wellbeing_areas"
    __table_args__ = (
        CheckConstraint("area IN (" + ", ".join(f"'{c}'" for c in WELLBEING_CODES) + ")", name="ck_outcome_wellbeing_areas_area"),
    )
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True)
    area: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
