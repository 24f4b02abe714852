"""The server's database is restored from a backup taken before the phone's last push, so the
server's `last_mutation_id` for the device is behind the phone. The phone renumbers its unsent
changes from the server's resume point and sends them again: every one reaches the server exactly
once, and the outbox empties."""
import sqlite3

from playwright.sync_api import expect
from sqlalchemy import func, select, text

from server.extensions import db
from server.models import Device, EvidenceNote, MutationResult
from tests.e2e.conftest import phone_meta, phone_records, phone_storage, sign_in
from tests.e2e.test_offline import header, phone_signed_in, record_offline_review


class Backup:
    """A copy of the live server's whole database, restored in place as an operator would."""

    def __init__(self, app, path):
        self.app, self.path = app, path

    def take(self):
        with self.app.app_context():
            if db.engine.dialect.name == "sqlite":
                with sqlite3.connect(self.path) as copy:
                    raw = db.engine.raw_connection()
                    try:
                        raw.driver_connection.backup(copy)
                    finally:
                        raw.close()
            else:
                with db.engine.connect() as conn:
                    self.rows = {t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in db.metadata.sorted_tables}
        return self

    def restore(self):
        with self.app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "sqlite":
                copy = sqlite3.connect(self.path)
                raw = db.engine.raw_connection()
                try:
                    copy.backup(raw.driver_connection)
                finally:
                    raw.close()
                    copy.close()
            else:
                tables = db.metadata.sorted_tables
                with db.engine.begin() as conn:
                    conn.execute(text("SET LOCAL session_replication_role = replica"))  # rows go back in any order
                    conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables)))
                    for table in tables:
                        if self.rows[table.name]:
                            conn.execute(table.insert(), self.rows[table.name])
            db.engine.dispose()


def notes(app):
    with app.app_context():
        rows = db.session.execute(
            select(EvidenceNote.text, func.count()).where(EvidenceNote.text.like("Offline note %")).group_by(EvidenceNote.text)
        ).all()
        return dict(rows)


def test_unsent_changes_reach_a_restored_server_exactly_once(live, playwright_instance, tmp_path):
    context, page = phone_signed_in(playwright_instance, live, tmp_path / "phone", "worker@demo.example")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Two reviews reach the server; the nightly backup is taken.
    context.set_offline(True)
    for n in (1, 2):
        record_offline_review(page, "Sam Taylor", n)
    context.set_offline(False)
    header(page).filter(has_text="All sent").wait_for()
    backup = Backup(live.app, tmp_path / "backup.sqlite3").take()

    # The phone's last push: one more review, acknowledged by the server.
    context.set_offline(True)
    record_offline_review(page, "Priya Shah", 1, note="Offline note 3")
    context.set_offline(False)
    header(page).filter(has_text="All sent").wait_for()
    device_id = phone_meta(page, "device_id")
    with live.app.app_context():
        assert db.session.get(Device, device_id).last_mutation_id == 3

    # Five more with no signal; meanwhile the server is restored from the backup.
    context.set_offline(True)
    for n in range(4, 9):
        record_offline_review(page, ["Sam Taylor", "Priya Shah", "Jordan Lee"][n % 3], n - 3, note=f"Offline note {n}")
    header(page).filter(has_text="5 changes waiting to send").wait_for()
    backup.restore()
    with live.app.app_context():
        assert db.session.get(Device, device_id).last_mutation_id == 2
        assert notes(live.app) == {"Offline note 1": 1, "Offline note 2": 1}

    # The signal returns: the server says where to resume, the phone renumbers and sends again.
    context.set_offline(False)
    header(page).filter(has_text="All sent").wait_for()
    assert phone_storage(page)["outbox"] == 0 and phone_meta(page, "next_mutation_id") == 8
    # The phone's copy starts again from the restored server: what the server lost is gone here too.
    held = str(phone_records(page, "reviews")) + str(phone_records(page, "evidence"))
    assert all(f"Offline note {n}" in held for n in (1, 2, 4, 5, 6, 7, 8)) and "Offline note 3" not in held

    with live.app.app_context():
        # The records from before the backup once each, the five unsent ones once each; the one
        # the phone's last push delivered was lost with the restore.
        assert notes(live.app) == {f"Offline note {n}": 1 for n in (1, 2, 4, 5, 6, 7, 8)}
        device = db.session.get(Device, device_id)
        assert device.last_mutation_id == 7
        stored = db.session.execute(
            select(MutationResult.mutation_id, MutationResult.status).where(MutationResult.device_id == device_id).order_by(MutationResult.mutation_id)
        ).all()
        assert stored == [(n, "applied") for n in range(1, 8)]
    assert not errors, errors
    context.close()


def test_renumbering_keeps_changes_that_need_attention_aside(live, page):
    """The phone's side of the recovery, on a mixed outbox: waiting changes are renumbered from the
    resume point in their order, a change that needs attention keeps its place in the list without
    taking a number, and each local record follows its own outbox entry."""
    sign_in(page, live, "worker@demo.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    page.context.set_offline(True)  # no sync picks these made-up entries up meanwhile
    result = page.evaluate("""async () => {
        const store = await import('/static/js/store.js');
        const db = await store.db();
        const tx = db.transaction(['outbox', 'reviews', 'meta'], 'readwrite');
        const entry = (id, status, note) => ({ id, name: 'review.create', args: { id: 'r' + id, note }, at: '2026-01-01T00:00:00Z', status, error: status === 'pending' ? null : { message: 'Check score.' } });
        await tx.objectStore('outbox').put(entry(3, 'rejected', 'c'));
        await tx.objectStore('outbox').put(entry(5, 'pending', 'a'));
        await tx.objectStore('outbox').put(entry(6, 'pending', 'b'));
        for (const [id, pending] of [['r3', 3], ['r4', 4], ['r5', 5], ['r6', 6]]) await tx.objectStore('reviews').put({ id, person_id: 'p', _pending: pending });
        await tx.objectStore('meta').put(7, 'next_mutation_id');
        await tx.done;
        const sent = await store.renumber(2);
        const outbox = (await db.getAll('outbox')).map((e) => [e.id, e.status, e.args.note]);
        const reviews = Object.fromEntries((await db.getAll('reviews')).filter((r) => r.id.startsWith('r')).map((r) => [r.id, r._pending ?? null]));
        return { sent, outbox, reviews, next: await db.get('meta', 'next_mutation_id'), counts: await store.counts() };
    }""")
    assert result["sent"] == 2
    assert result["outbox"] == [[-1, "rejected", "c"], [2, "pending", "a"], [3, "pending", "b"]]
    assert result["reviews"] == {"r3": -1, "r4": None, "r5": 2, "r6": 3}
    assert result["next"] == 4
    assert result["counts"] == {"waiting": 2, "attention": 1, "total": 3}
