"""Service measures per quarter: layered figures that show where outcomes did not improve, with no
names or notes for commissioners."""
from datetime import date

from server.domain.outcomes import quarter_of


def _quarter():
    y, q = quarter_of(date.today())
    return f"{y}Q{q}"


def _prev_quarter():
    y, q = quarter_of(date.today())
    return f"{y - 1}Q4" if q == 1 else f"{y}Q{q - 1}"


def test_commissioner_reads_aggregate_measures_without_names(demo, api_for):
    api = api_for("commissioner@demo.example")
    services = api.get("/api/v1/services").get_json()
    assert {s["kind"] for s in services} == {"supported_living", "domiciliary", "residential"}
    living = next(s for s in services if s["kind"] == "supported_living")
    r = api.get(f"/api/v1/services/{living['id']}/measures?quarter={_prev_quarter()}")
    assert r.status_code == 200
    m = r.get_json()
    assert m["people"] == 4
    assert set(m["outcomes"]) == {"improved", "same", "worse", "single_review"}
    assert sum(m["outcomes"].values()) >= 1
    body = r.get_data(as_text=True)
    for name in ("Sam", "Priya", "Jordan", "Aisha", "Taylor", "GP appointment"):
        assert name not in body
    assert all(t["person"].startswith("Person ") for t in m["trajectories"])


def test_residential_restrictive_practice_and_participation_are_counted(demo, api_for):
    api = api_for("manager@demo.example")
    services = api.get("/api/v1/services").get_json()
    residential = next(s for s in services if s["kind"] == "residential")
    m = api.get(f"/api/v1/services/{residential['id']}/measures?quarter={_prev_quarter()}").get_json()
    assert len(m["restrictive_practices_by_month"]) == 3
    assert m["community_participation_per_person_month"] > 0


def test_bad_quarter_names_the_field(demo, api_for):
    api = api_for("manager@demo.example")
    sid = api.get("/api/v1/services").get_json()[0]["id"]
    r = api.get(f"/api/v1/services/{sid}/measures?quarter=2026-3")
    assert r.status_code == 422
    assert "quarter" in r.get_json()["error"]["fields"]


def test_other_organisations_service_is_not_found(demo, app, api_for):
    from tests import factories

    other = factories.organisation(app, name="Elsewhere")
    api = api_for("commissioner@demo.example")
    assert api.get(f"/api/v1/services/{other['service']}/measures").status_code == 404
    assert api.get(f"/reports/services/{other['service']}").status_code == 404


def test_person_cannot_read_service_figures(demo, api_for):
    api = api_for("person@demo.example")
    manager = api_for("manager@demo.example")
    sid = manager.get("/api/v1/services").get_json()[0]["id"]
    assert api.get(f"/api/v1/services/{sid}/measures").status_code == 403


def test_print_report_renders_for_commissioner(demo, api_for):
    api = api_for("commissioner@demo.example")
    sid = api.get("/api/v1/services").get_json()[0]["id"]
    r = api.get(f"/reports/services/{sid}?quarter={_quarter()}")
    assert r.status_code == 200
    assert b"No names or notes appear in this report" in r.data
    assert r.headers["Cache-Control"] == "no-store"


def test_admin_lists_accounts_and_others_cannot(demo, api_for):
    admin = api_for("admin@demo.example")
    users = admin.get("/api/v1/users").get_json()
    assert {"worker@demo.example", "manager@demo.example"} <= {u["email"] for u in users}
    assert api_for("worker@demo.example").get("/api/v1/users").status_code == 403


def test_the_page_opens_on_the_last_complete_quarter_with_the_one_before_and_no_future_months(demo, api_for):
    api = api_for("manager@demo.example")
    residential = next(s for s in api.get("/api/v1/services").get_json() if s["kind"] == "residential")
    m = api.get(f"/api/v1/services/{residential['id']}/measures").get_json()
    assert m["quarter"] == _prev_quarter() and m["complete"] is True
    assert date.fromisoformat(m["to"]) < date.today()
    # The quarter before's figures sit beside each one.
    y, q = int(_prev_quarter()[:4]), int(_prev_quarter()[-1])
    assert m["previous"]["quarter"] == (f"{y - 1}Q4" if q == 1 else f"{y}Q{q - 1}")
    for key in ("people_achieving_goal", "outcomes", "restrictive_practices_by_month", "unplanned_hospital_admissions"):
        assert key in m["previous"]
    assert "trajectories" not in m["previous"]
    assert [c["quarter"] for c in m["choices"]][:2] == [_quarter(), _prev_quarter()]
    assert [c["complete"] for c in m["choices"]][:2] == [False, True]
    # The current quarter: only the months that have started.
    now = api.get(f"/api/v1/services/{residential['id']}/measures?quarter={_quarter()}").get_json()
    assert now["complete"] is False
    today = date.today()
    assert list(now["restrictive_practices_by_month"]) == [
        f"{today.year}-{m:02d}" for m in range((today.month - 1) // 3 * 3 + 1, today.month + 1)
    ]
