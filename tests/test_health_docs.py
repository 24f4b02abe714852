def test_healthz_checks_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"] == "Tandem"
    assert "/api/v1/session" in spec["paths"]
    assert "/api/v1/outcomes/{outcome_id}/trajectory" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/api/v1/reviews" in docs.data


def test_unknown_api_path_is_json_404(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "not_found"


def test_client_shell_and_service_worker_are_served(client):
    for path in ("/", "/people/123", "/manifest.webmanifest", "/overdue", "/notifications", "/reviews/overdue",
                 "/services/abc/themes", "/changes/new", "/settings", "/me", "/manage/people", "/manage/people/abc", "/manage/import"):
        with client.get(path) as r:
            assert r.status_code == 200, path
    with client.get("/service-worker.js") as sw:
        assert sw.status_code == 200 and sw.headers["Cache-Control"] == "no-cache"
    assert client.get("/nonsense").status_code == 404
