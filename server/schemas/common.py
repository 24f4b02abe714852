"""The base of every input schema, and the field types input schemas are built from.

Every schema that loads a request body, a query string or a sync mutation's args inherits
`BaseInput` and builds its fields from the types here, so all input gets the same protection, by
field name, before any rule or database sees it (a 422 over REST, a `rejected` result over sync):

* Unknown fields are refused by name: {"fields": {"colour": ["Unknown field."]}}.
* `Text`: a string (not a number, list or object), trimmed, at most `max_length` characters, with
  no control characters (NUL, ESC, DEL, C1) and no unpaired surrogates. A multi-line note may hold
  line breaks and tabs; a single-line field (a name, a domain) may not. PostgreSQL cannot store NUL
  and SQLite would store it silently; an unpaired surrogate cannot be encoded at all.
* `PlausibleDate`, `PlausibleDateTime`: between 1900-01-01 and five years from today
  (server/domain/dates.py). A time carries its zone; one without a zone is taken as UTC. Years
  such as 0001 and 9999, where date arithmetic and the conversion to UTC overflow, stop here.
* `Int`: a whole number within bounds (true and false are not numbers).
* `Uuid`: any standard spelling, handed on in its canonical lower-case form.
* `Choice`: one of a fixed set of strings.

tests/test_hostile_input.py checks that every input schema is built this way and sends hostile
values of each kind to every endpoint and sync mutation.
"""
from __future__ import annotations

import re
from datetime import timezone

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..domain import dates

# No text field holds more than this, whatever it declares.
TEXT_LIMIT = 10_000


class StrictSchema(Schema):
    """Output schemas, and the root of BaseInput."""

    class Meta:
        ordered = True


class BaseInput(StrictSchema):
    """The base of every input schema: unknown fields are refused by name rather than dropped."""

    class Meta:
        ordered = True
        unknown = RAISE


class PartialUpdate:
    """An edit sends `version` and only the fields it changes. Every other field is optional and gets
    no default, so a field left out stays as stored. (marshmallow has no `Meta.partial`: it must be
    given to the constructor, and `partial=True` would make `version` optional too.)"""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", tuple(name for name in self._declared_fields if name != "version"))
        super().__init__(*args, **kwargs)


# ---- text ----

# C0 controls, DEL and C1 controls; a multi-line note keeps tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK_OR_TAB = re.compile("[\t\n\r]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class TextLength(validate.Length):
    """Length in characters, after trimming, with messages a person can act on."""

    def __call__(self, value):
        length = len(value)
        if self.min is not None and length < self.min:
            raise ValidationError("Must not be blank." if self.min == 1 else f"Must be at least {self.min} characters.")
        if self.max is not None and length > self.max:
            raise ValidationError(f"Must be at most {self.max} characters.")
        return value


class Text(fields.String):
    """Free text: see the module docstring. `min_length=1` makes a blank (or all-space) value an error."""

    default_error_messages = {
        "control": "Must not contain control characters.",
        "unicode": "Must be valid Unicode text.",
        "single_line": "Must be one line, without line breaks or tabs.",
    }

    def __init__(self, max_length: int, *, min_length: int = 0, multiline: bool = False, trim: bool = True, **kwargs):
        if not 0 <= min_length <= max_length <= TEXT_LIMIT:
            raise ValueError(f"Text lengths must satisfy 0 <= min_length <= max_length <= {TEXT_LIMIT}")
        super().__init__(**kwargs)
        self.max_length, self.min_length, self.multiline, self.trim = max_length, min_length, multiline, trim
        self._length = TextLength(min=min_length or None, max=max_length)
        self.validators.insert(0, self._length)  # also gives the OpenAPI document minLength/maxLength

    def _validate(self, value):
        self._length(value)  # text of the wrong length is not checked further (one message, not several)
        super()._validate(value)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)  # not a string: "Not a valid string."
        if _SURROGATE.search(value):
            raise self.make_error("unicode")
        if _CONTROL.search(value):
            raise self.make_error("control")
        if self.trim:
            value = value.strip()
        if not self.multiline and _LINE_BREAK_OR_TAB.search(value):
            raise self.make_error("single_line")
        return value


class Email(Text):
    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Email(error="Not a valid email address."))
        super().__init__(254, **kwargs)


class Choice(fields.String):
    """One of `choices`, exactly as spelled."""

    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        super().__init__(validate=validate.OneOf(self.choices, error="Must be one of: {choices}."), **kwargs)


# ---- dates ----

def _describe(kwargs: dict, sentence: str) -> dict:
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata["description"] = " ".join(p for p in (metadata.get("description"), sentence) if p)
    kwargs["metadata"] = metadata
    return kwargs


RANGE_SENTENCE = f"Between {dates.EARLIEST.isoformat()} and {dates.PLANNING_YEARS} years from today."


class PlausibleDate(fields.Date):
    """An ISO 8601 date between 1900-01-01 and five years from today."""

    def __init__(self, **kwargs):
        super().__init__(**_describe(kwargs, RANGE_SENTENCE))

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = dates.date_problem(day)
        if problem:
            raise ValidationError(problem)
        return day


class PlausibleDateTime(fields.AwareDateTime):
    """An ISO 8601 date and time, between 1900-01-01 and five years from today. A time without a
    zone is taken as UTC; the zone given is kept."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=timezone.utc, **_describe(kwargs, f"A time without a zone is taken as UTC. {RANGE_SENTENCE}"))

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        problem = dates.moment_problem(moment)
        if problem:
            raise ValidationError(problem)
        return moment


# ---- numbers and ids ----

class Int(fields.Integer):
    """A whole number from `minimum` to `maximum`. `strict=False` also takes "3" and 3.0."""

    def __init__(self, minimum: int, maximum: int, *, error: str | None = None, strict: bool = True, **kwargs):
        validators = kwargs.pop("validate", None) or []
        validators = [validators] if callable(validators) else list(validators)
        error = error or "Must be a whole number from {min} to {max}."
        super().__init__(strict=strict, validate=[validate.Range(min=minimum, max=maximum, error=error), *validators], **kwargs)

    def _validated(self, value):
        # marshmallow's non-strict Integer turns 1.5 into 1; a fraction is not a whole number.
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)


class Uuid(fields.UUID):
    """A UUID accepted in any standard spelling and handed on as its canonical lower-case string."""

    def _deserialize(self, value, attr, data, **kwargs):
        return str(super()._deserialize(value, attr, data, **kwargs))


# A record's version: an edit names the one it was made from (PostgreSQL integer range).
MAX_VERSION = 2**31 - 1


def version_field(**kwargs) -> Int:
    return Int(1, MAX_VERSION, error="Must be a whole number from {min}.", strict=False, required=True, **kwargs)


def id_list(max_items: int = 500, **kwargs) -> fields.List:
    """A list of ids, at most `max_items`; an empty list when left out, unless `required` or given
    `load_default=None` (an edit that leaves the list as it is)."""
    if not kwargs.get("required"):
        kwargs.setdefault("load_default", list)
    if kwargs.get("load_default", list) is None:
        del kwargs["load_default"]
    return fields.List(Uuid(), validate=validate.Length(max=max_items, error="At most {max} items."), **kwargs)


# ---- lists ----

PAGE_LIMIT = 200  # the most rows one page of a list holds


def page_limit(**kwargs) -> Int:
    """`limit` of a paged list: 1 to PAGE_LIMIT rows a page."""
    return Int(1, PAGE_LIMIT, strict=False, load_default=None, error=f"Must be 1 to {PAGE_LIMIT}.",
               metadata={"description": f"Page size (1 to {PAGE_LIMIT}). With `limit` or `cursor` the reply is a page "
                                        "`{items, next_cursor}`; without either, the whole list as before paging."}, **kwargs)


def page_cursor(**kwargs) -> Text:
    return Text(600, load_default=None, metadata={"description": "`next_cursor` of the previous page"}, **kwargs)


class ListOrPage(StrictSchema):
    """The reply of a list that pages on request: `{"items": [...], "next_cursor": ...}` (null on the
    last page) when the request gave `limit` or `cursor`; the bare list, as before paging, when it
    gave neither (phones still running an older app read it). Subclasses declare `items`."""

    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as `cursor` for the next page; null on the last"})

    def dump(self, obj, *, many=None):
        if isinstance(obj, (list, tuple)):
            return self.fields["items"].inner.schema.__class__(many=True).dump(obj)
        return super().dump(obj, many=many)


# ---- errors ----

class ErrorSchema(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields")


class ErrorEnvelope(Schema):
    error = fields.Nested(ErrorSchema)


__all__ = [
    "BaseInput",
    "Choice",
    "Email",
    "Int",
    "ListOrPage",
    "PartialUpdate",
    "PlausibleDate",
    "PlausibleDateTime",
    "StrictSchema",
    "TEXT_LIMIT",
    "Text",
    "Uuid",
    "ValidationError",
    "fields",
    "id_list",
    "page_cursor",
    "page_limit",
    "validate",
    "version_field",
]


def shown(record):
    """What an output schema shows about `record` beyond its own columns, loaded in bulk by the
    domain before the dump and handed over as the record's `shown` (output schemas never query)."""
    try:
        return record.shown
    except AttributeError:
        raise LookupError(f"{type(record).__name__}: what it shows was not loaded before the dump") from None
