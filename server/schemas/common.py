from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate


class StrictSchema(Schema):
    """Unknown fields are refused by name rather than silently dropped."""

    class Meta:
        ordered = True


def text(max_len: int = 2000, **kw):
    """Required, non-blank text (whitespace is trimmed)."""
    return Trimmed(required=kw.pop("required", True), validate=validate.Length(min=1, max=max_len), **kw)


class Trimmed(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        return value.strip()


class Uuid(fields.UUID):
    """A UUID accepted in any standard spelling and handed on as its canonical lower-case string."""

    def _deserialize(self, value, attr, data, **kwargs):
        return str(super()._deserialize(value, attr, data, **kwargs))


def aware_datetime(**kw):
    return fields.AwareDateTime(default_timezone=timezone.utc, **kw)


class ErrorSchema(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields")


class ErrorEnvelope(Schema):
    error = fields.Nested(ErrorSchema)


def one_of(choices):
    return validate.OneOf(choices, error="Must be one of: {choices}.")


__all__ = ["StrictSchema", "text", "Trimmed", "Uuid", "aware_datetime", "ValidationError", "one_of", "fields", "validate"]
