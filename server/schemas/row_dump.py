"""Dump many rows by an output schema at a fraction of marshmallow's cost per row, with the same result.

A first sync sends hundreds of thousands of rows, each dumped by its record's schema (ReviewOut,
EvidenceOut, ...). marshmallow walks its fields generically for every row; `dumper(schema)` reads the
schema once and returns a function that builds the same dict directly: the schema stays the one
definition of what is sent. Only the field kinds whose output is plain are compiled (String, Integer,
Boolean, DateTime and Date in ISO format, List/Nested of such schemas, and Method fields, which call
the schema's own method); a schema with anything else (hooks, a custom format, another field kind)
is dumped by marshmallow itself. tests/test_row_dump.py
checks both give the same output, row for row.

Reads attributes (`getattr`), so it dumps ORM objects and SQLAlchemy Core rows alike.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable

from marshmallow import Schema, fields

Dump = Callable[[Any], dict]


class _NotPlain(Exception):
    """The schema has a field this module does not compile: marshmallow dumps it."""


def _text(value):
    return None if value is None else str(value)


def _int(value):
    return None if value is None else int(value)


def _bool(value):
    return None if value is None else bool(value)


def _iso(value):
    return None if value is None else value.isoformat()


def _converter(field: fields.Field) -> Callable[[Any], Any]:
    kind = type(field)
    if kind is fields.String:
        return _text
    if kind is fields.Integer and not field.as_string:
        return _int
    if kind is fields.Boolean and field.truthy == fields.Boolean.truthy and field.falsy == fields.Boolean.falsy:
        return _bool
    if kind in (fields.DateTime, fields.Date) and field.format in (None, "iso"):
        return _iso
    if kind is fields.Nested and not field.many and not field.only and not field.exclude:
        inner = _compile(field.schema)
        return lambda value: None if value is None else inner(value)
    if kind is fields.List:
        item = _converter(field.inner)
        return lambda value: None if value is None else [item(v) for v in value]
    raise _NotPlain(f"{kind.__name__} field")


def _itself(obj):
    return obj


def _compile(schema: Schema) -> Dump:
    if schema._hooks and any(schema._hooks.values()):
        raise _NotPlain("hooks")
    plan = []
    for name, field in schema.dump_fields.items():
        if type(field) is fields.Method and field.serialize_method_name:
            # The schema's own method, given the object (as marshmallow calls it).
            plan.append((field.data_key or name, _itself, getattr(schema, field.serialize_method_name)))
            continue
        plan.append((field.data_key or name, attrgetter(field.attribute or name), _converter(field)))

    def dump(obj) -> dict:
        return {key: convert(get(obj)) for key, get, convert in plan}

    return dump


def dumper(schema: Schema | type[Schema]) -> Dump:
    """A function that dumps one object as `schema` would (compiled when every field is plain)."""
    instance = schema() if isinstance(schema, type) else schema
    try:
        return _compile(instance)
    except _NotPlain:
        return instance.dump
