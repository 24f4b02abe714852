"""The Care Act wellbeing areas an outcome serves, as the API takes and gives them."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from ..models.wellbeing import WELLBEING_CODES, in_order
from .common import Choice


class WellbeingAreas(fields.List):
    """A list of area codes (see GET /api/v1/wellbeing-areas): at least one, each a known code.
    Repeats are dropped and the codes are put in the Act's order, so an edit that only reorders
    them changes nothing."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {
            "description": "One or more of the nine areas of wellbeing in the Care Act 2014, s.1(2), chosen with the person: "
            + ", ".join(WELLBEING_CODES),
        })
        kwargs.setdefault("validate", validate.Length(max=len(WELLBEING_CODES) * 2, error="At most {max} items."))
        super().__init__(Choice(WELLBEING_CODES), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        codes = super()._deserialize(value, attr, data, **kwargs)
        unknown = [c for c in codes if c not in WELLBEING_CODES]
        if unknown:
            raise ValidationError(f"Not an area of wellbeing: {', '.join(unknown)}. Use: {', '.join(WELLBEING_CODES)}.")
        if not codes:
            raise ValidationError("Choose at least one area of wellbeing with the person.")
        return in_order(codes)
