"""The learning log: governance minutes that show how insight triggered change.

Each entry says what was learned and what was decided, where the insight came from (`source`: a
feedback theme, a change's measured effect, an escalation, the monthly dashboard, a care-plan audit)
and the co-produced change it led to, so the path feedback → theme → learning → change → measured
effect can be followed in the app: the change's page lists the entries that led to it.

Who: registered managers (their services) and senior leaders (every service) write and read.
Commissioners read an anonymised log of the services they commission: date, kind of source,
whether it led to a change and when that change started; the wording only of entries the writer
shared with commissioners, which the server refuses to share while it contains the name of anyone
in the organisation (people supported or staff). Others are refused.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import CarePlanAudit, Change, Escalation, LearningEntry, Outcome, Person, Service, Theme, User
from . import access, audit, dates, keyset
from .errors import Forbidden, Invalid, NotFound

SOURCE_KINDS = ("theme", "change", "escalation", "dashboard", "audit")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*")


def _first_name(column):
    """The first word of a name, in SQL (SQLite and PostgreSQL spell it differently)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.split_part(column, " ", 1)
    return func.substr(column, 1, func.instr(column + " ", " ") - 1)


def names_in(organisation_id: str, text: str) -> list[str]:
    """Names of people supported or staff of the organisation that `text` mentions: full names,
    preferred names and first names, matched as whole words in any case. Queried set-wise."""
    words = _WORD.findall(text or "")
    grams: dict[str, str] = {}
    for n in (1, 2, 3):
        for i in range(len(words) - n + 1):
            gram = " ".join(words[i:i + n])
            grams.setdefault(gram.lower(), gram)
    found: set[str] = set()
    keys = sorted(grams)
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        for model, columns in ((Person, (Person.name, Person.preferred_name)), (User, (User.name,))):
            candidates = []
            for column in columns:
                candidates += [func.lower(column), func.lower(_first_name(column))]
            where = or_(*[c.in_(chunk) for c in candidates])
            for row in db.session.execute(select(*columns).where(model.organisation_id == organisation_id, where)).all():
                for value in row:
                    if not value:
                        continue
                    for form in (value.lower(), value.split(" ")[0].lower()):
                        if form in grams:
                            found.add(grams[form])
    return sorted(found)


def parse_month(text: str, field: str = "month") -> date:
    m = _MONTH.match((text or "").strip())
    if not m:
        raise Invalid("Give the month as YYYY-MM, for example 2026-03.", fields={field: ["Must look like 2026-03."]})
    return date(int(m.group(1)), int(m.group(2)), 1)


def _check_source(actor: User, service: Service, source: dict, prefix: str) -> tuple[str, str]:
    kind, source_id = source["kind"], (source.get("id") or "").strip()
    missing = NotFound(f"No such {kind} in this service.", fields={f"{prefix}source.id": [f"No such {kind} in this service."]})
    if not source_id:
        raise Invalid("Say which record the learning came from.", fields={f"{prefix}source.id": ["Required with a source kind."]})
    if kind == "dashboard":
        month = parse_month(source_id, field=f"{prefix}source.id")
        if month > date.today():
            raise Invalid("That month has not started yet.", fields={f"{prefix}source.id": ["Cannot be a future month."]})
        return kind, f"{month:%Y-%m}"
    if kind == "theme":
        found = db.session.get(Theme, source_id)
        ok = found is not None and found.organisation_id == actor.organisation_id
    elif kind == "change":
        found = db.session.get(Change, source_id)
        ok = found is not None and found.service_id == service.id
    elif kind == "escalation":
        found = db.session.get(Escalation, source_id)
        ok = found is not None and found.service_id == service.id
    else:
        found = db.session.get(CarePlanAudit, source_id)
        ok = found is not None and found.service_id == service.id
    if not ok:
        raise missing
    return kind, source_id


def create_entry(actor: User, data: dict, field_prefix: str = "") -> LearningEntry:
    """Write a learning entry. `field_prefix` names fields when the entry comes nested in another
    request (an escalation's answer)."""
    p = field_prefix
    service = access.governed_service_for(actor, data["service_id"], field=f"{p}service_id")
    recorded_on = data["recorded_on"]
    dates.not_future(recorded_on, f"{p}recorded_on", "A learning entry cannot be dated in the future.", today=date.today())
    kind = source_id = None
    if data.get("source"):
        kind, source_id = _check_source(actor, service, data["source"], p)
    change_id = data.get("change_id")
    if change_id:
        change = db.session.get(Change, change_id)
        if change is None or change.service_id != service.id:
            raise NotFound("No such change in this service.", fields={f"{p}change_id": ["No such change in this service."]})
    shared = bool(data.get("shared_with_commissioners"))
    if shared:
        problems = {}
        for name in ("learned", "decision"):
            mentioned = names_in(actor.organisation_id, data[name])
            if mentioned:
                problems[f"{p}{name}"] = [f"Mentions {', '.join('“' + m + '”' for m in mentioned)}: commissioners read shared entries, so leave names out (or do not share it)."]
        if problems:
            raise Invalid("A shared entry must not name anyone.", fields=problems)
    entry = LearningEntry(
        organisation_id=actor.organisation_id,
        service_id=service.id,
        recorded_on=recorded_on,
        learned=data["learned"],
        decision=data["decision"],
        source_kind=kind,
        source_id=source_id,
        change_id=change_id or None,
        shared_with_commissioners=shared,
        created_by=actor.id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "create", "learning_entry", entry.id, service_id=service.id, source_kind=kind, change_id=change_id)
    return entry


def _readable_services(actor: User):
    if actor.role in access.GOVERNORS:
        return access.governed_services(actor)
    if access.anonymised(actor, "learning"):
        return access.visible_services(actor)
    raise Forbidden("Your role cannot read the learning log.")


def list_entries(actor: User, service_id: str | None = None, change_id: str | None = None, source_kind: str | None = None,
                 limit: int = keyset.DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    """The learning log, newest first. Commissioners get it anonymised (see the module docstring)."""
    services = _readable_services(actor)
    q = select(LearningEntry).where(LearningEntry.service_id.in_(services))
    if service_id:
        try:
            service = access.service_for(actor, service_id)
        except NotFound:
            raise NotFound("No such service.", fields={"service": ["No such service."]}) from None
        if db.session.execute(services.where(Service.id == service.id)).first() is None:
            raise NotFound("No such service.", fields={"service": ["No such service."]})
        q = q.where(LearningEntry.service_id == service.id)
    if change_id:
        q = q.where(LearningEntry.change_id == change_id)
    if source_kind:
        q = q.where(LearningEntry.source_kind == source_kind)
    q = keyset.newest_first(q, LearningEntry.recorded_on, LearningEntry.id, limit, cursor, date)
    rows, next_cursor = keyset.page(list(db.session.execute(q).scalars()), limit, lambda e: (e.recorded_on, e.id))
    return {"items": describe(actor, rows), "next_cursor": next_cursor}


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def describe(actor: User, rows: list[LearningEntry]) -> list[dict]:
    """Entries as the API shows them, with their source and change resolved in a fixed number of queries."""
    if not rows:
        return []
    anonymised = access.anonymised(actor, "learning")
    change_ids = {e.change_id for e in rows if e.change_id} | {e.source_id for e in rows if e.source_kind == "change"}
    changes = {c.id: c for c in db.session.execute(select(Change).where(Change.id.in_(change_ids))).scalars()} if change_ids else {}
    services = dict(db.session.execute(select(Service.id, Service.name).where(Service.id.in_({e.service_id for e in rows}))).all())
    out = []
    if anonymised:
        for e in rows:
            change = changes.get(e.change_id)
            item = {
                "id": e.id, "service_id": e.service_id, "service_name": services.get(e.service_id), "recorded_on": e.recorded_on,
                "source": {"kind": e.source_kind} if e.source_kind else None,
                "led_to_change": e.change_id is not None,
                "change": {"id": change.id, "starts_on": change.starts_on} if change else None,
                "anonymised": True, "shared_with_commissioners": e.shared_with_commissioners,
            }
            if e.shared_with_commissioners:
                item.update(learned=e.learned, decision=e.decision)
            out.append(item)
        return out
    by_kind: dict[str, set[str]] = {}
    for e in rows:
        if e.source_kind and e.source_kind != "dashboard":
            by_kind.setdefault(e.source_kind, set()).add(e.source_id)
    themes = dict(db.session.execute(select(Theme.id, Theme.name).where(Theme.id.in_(by_kind.get("theme", set())))).all()) if "theme" in by_kind else {}
    escalations = {}
    if "escalation" in by_kind:
        for esc_id, rule, person_name, domain in db.session.execute(
            select(Escalation.id, Escalation.rule, Person.name, Outcome.domain)
            .join(Person, Person.id == Escalation.person_id).join(Outcome, Outcome.id == Escalation.outcome_id)
            .where(Escalation.id.in_(by_kind["escalation"]))
        ).all():
            escalations[esc_id] = (rule, person_name, domain)
    audits = {}
    if "audit" in by_kind:
        for audit_id, audited_on, person_name, person_id in db.session.execute(
            select(CarePlanAudit.id, CarePlanAudit.audited_on, Person.name, Person.id)
            .join(Person, Person.id == CarePlanAudit.person_id).where(CarePlanAudit.id.in_(by_kind["audit"]))
        ).all():
            audits[audit_id] = (audited_on, person_name, person_id)
    visible = set()
    person_ids = {v[2] for v in audits.values()}
    if person_ids:
        visible = set(db.session.execute(access.visible_people(actor).where(Person.id.in_(person_ids))).scalars())
    authors = dict(db.session.execute(select(User.id, User.name).where(User.id.in_({e.created_by for e in rows}))).all())
    for e in rows:
        change = changes.get(e.change_id)
        out.append({
            "id": e.id,
            "service_id": e.service_id,
            "service_name": services.get(e.service_id),
            "recorded_on": e.recorded_on,
            "learned": e.learned,
            "decision": e.decision,
            "source": _source(e, themes, changes, escalations, audits, visible),
            "led_to_change": e.change_id is not None,
            "change": {"id": change.id, "description": change.description, "starts_on": change.starts_on} if change else None,
            "shared_with_commissioners": e.shared_with_commissioners,
            "created_by_name": authors.get(e.created_by),
            "created_at": e.created_at,
            "anonymised": False,
        })
    return out


def _source(e, themes, changes, escalations, audits, visible) -> dict | None:
    if not e.source_kind:
        return None
    kind, sid = e.source_kind, e.source_id
    label, url = None, None
    if kind == "theme":
        label, url = f"Feedback theme “{themes.get(sid, 'a theme')}”", f"/services/{e.service_id}/themes"
    elif kind == "change":
        change = changes.get(sid)
        label, url = (f"The measured effect of “{change.description}”" if change else "A change's effect"), f"/changes/{sid}"
    elif kind == "escalation":
        rule, person_name, domain = escalations.get(sid, ("", None, None))
        label = f"Escalation ({rule}) for {person_name}: {domain}" if person_name else "An escalation"
        url = f"/escalations/{sid}"
    elif kind == "audit":
        audited_on, person_name, person_id = audits.get(sid, (None, None, None))
        label = f"Care-plan audit of {person_name if person_id in visible else 'a person'} on {_long(audited_on)}" if audited_on else "A care-plan audit"
        url = f"/audits/{sid}"
    elif kind == "dashboard":
        month = date.fromisoformat(f"{sid}-01")
        label, url = f"Monthly dashboard, {month:%B %Y}", f"/governance/dashboard?service={e.service_id}&month={sid}"
    return {"kind": kind, "id": sid, "label": label, "url": url}
