"""Every staff view of a person's record is audited, and many views at once never fail: the view
entries are written in their own short write transaction after the read."""
import json
import threading
import urllib.request
from http.cookiejar import CookieJar

from sqlalchemy import select
from werkzeug.serving import make_server

from server.extensions import db
from server.models import AuditEvent
from tests import factories


def test_views_of_a_person_are_audited(app, api_for):
    ids = factories.organisation(app)
    oid = factories.outcome(app, ids["person"])
    worker = api_for(ids["support_worker"])
    for url in (f"/api/v1/people/{ids['person']}", f"/api/v1/people/{ids['person']}/outcomes",
                f"/api/v1/outcomes/{oid}", f"/api/v1/outcomes/{oid}/trajectory"):
        assert worker.get(url).status_code == 200
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "view")).scalars().all()
        assert sorted(e.entity for e in events) == ["outcome", "outcomes", "person", "trajectory"]
        assert {e.person_id for e in events} == {ids["person"]}


def test_a_person_viewing_their_own_goals_is_not_a_staff_view(app, api_for):
    ids = factories.organisation(app)
    me = api_for(ids["person_email"])
    assert me.get(f"/api/v1/people/{ids['person']}").status_code == 200
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "view")).first() is None


def test_many_views_at_once_all_succeed_and_are_all_audited(app):
    ids = factories.organisation(app)
    outcomes = [factories.outcome(app, ids["person"], domain=f"Goal {n}") for n in range(4)]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        csrf = json.load(opener.open(base + "/api/v1/session"))["csrf_token"]
        body = json.dumps({"email": ids["support_worker"], "password": factories.PASSWORD}).encode()
        opener.open(urllib.request.Request(base + "/api/v1/session", data=body, method="POST",
                                           headers={"Content-Type": "application/json", "X-CSRF-Token": csrf}))
        statuses = []

        def view(url):
            try:
                statuses.append(opener.open(base + url).status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

        urls = [f"/api/v1/outcomes/{o}/trajectory" for o in outcomes] * 4 + [f"/api/v1/people/{ids['person']}"] * 4
        threads = [threading.Thread(target=view, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
    assert statuses == [200] * len(urls)
    with app.app_context():
        assert len(db.session.execute(select(AuditEvent).where(AuditEvent.action == "view")).scalars().all()) == len(urls)
