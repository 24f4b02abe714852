"""The client's house: modules that do not import each other in circles, a precache manifest made
from the files' content, a small app shell, and static files served compressed and cacheable."""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import brotli
import pytest

from server import precache
from server.routes import client as client_routes

CLIENT = Path(__file__).resolve().parent.parent / "client"
JS = CLIENT / "js"
VIEWS = JS / "views"
SHELL_LIMIT = 100 * 1024

# Every way a module names another: import ... from "x", import "x", export ... from "x", import("x").
IMPORT = re.compile(r'''^\s*(?:import|export)\s+(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']''', re.M)
DYNAMIC = re.compile(r'''\bimport\(\s*["']([^"']+)["']\s*\)''')


def import_graph() -> dict[Path, set[Path]]:
    graph = {}
    for module in sorted(JS.glob("**/*.js")):
        source = module.read_text()
        specs = IMPORT.findall(source) + DYNAMIC.findall(source)
        graph[module] = {(module.parent / s).resolve() for s in specs if s.startswith(".") and not "/vendor/" in s}
    return graph


def find_cycle(graph):
    """A list of modules that import each other in a circle, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, path + [dep])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in graph:
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def rel(paths):
    return [str(p.relative_to(JS)) for p in paths]


def test_the_parser_sees_every_kind_of_import():
    source = 'import a from "./a.js";\nimport { b,\n  c } from "./b.js";\nimport "./c.js";\nexport { d } from "./d.js";\nconst e = await import("./e.js");\n'
    assert IMPORT.findall(source) + DYNAMIC.findall(source) == ["./a.js", "./b.js", "./c.js", "./d.js", "./e.js"]


def test_the_cycle_finder_finds_a_cycle():
    a, b, c = Path("/a"), Path("/b"), Path("/c")
    assert find_cycle({a: {b}, b: {c}, c: {a}}) == [a, b, c, a]
    assert find_cycle({a: {b}, b: {c}, c: set()}) is None


def test_client_import_graph_has_no_cycles():
    graph = import_graph()
    assert len(graph) > 40
    for module, deps in graph.items():
        missing = [d for d in deps if not d.exists()]
        assert not missing, f"{module.name} imports files that do not exist: {missing}"
    cycle = find_cycle(graph)
    assert cycle is None, "modules import each other in a circle: " + " → ".join(rel(cycle))


def test_nothing_depends_back_on_views_or_on_main():
    graph = import_graph()
    main = JS / "main.js"
    for module, deps in graph.items():
        assert main not in deps, f"{module.relative_to(JS)} imports main.js: import routing from router.js, state from app-state.js"
        if module.parent == VIEWS or module == main:
            continue
        views = [d for d in deps if d.parent == VIEWS]
        assert not views, f"{module.relative_to(JS)} imports views {rel(views)}: views depend on it, not the reverse"


def test_routing_and_app_state_are_their_own_modules():
    graph = import_graph()
    assert graph[JS / "app-state.js"] == set()
    # Besides the app's state, routing uses only the route matching in rules.js, which imports nothing
    # but its generated data (no DOM), so node can run it against the server (test_client_server_rules.py).
    assert graph[JS / "router.js"] == {JS / "app-state.js", JS / "rules.js"}
    assert graph[JS / "rules.js"] == {JS / "generated" / "rules.js"}
    assert graph[JS / "generated" / "rules.js"] == set()
    # The views reach the app's state and routing through those modules.
    users = {m.name for m, deps in graph.items() if JS / "router.js" in deps and m.parent == VIEWS}
    assert {"caseload.js", "changes.js", "people-admin.js"} <= users


def test_manifest_revisions_are_content_hashes():
    entries = precache.manifest()
    urls = [e["url"] for e in entries]
    assert len(urls) == len(set(urls)) and {"/", "/manifest.webmanifest", "/static/js/main.js", "/static/js/sync.js"} <= set(urls)
    for entry in entries:
        assert set(entry) == {"url", "revision"}
        name = precache.ROOT_FILES.get(entry["url"]) or entry["url"].removeprefix("/static/")
        assert entry["revision"] == hashlib.sha256((CLIENT / name).read_bytes()).hexdigest()[:16]


@pytest.fixture
def client_copy(tmp_path, monkeypatch):
    """The client folder copied, so a test can change a file the way a deploy does."""
    copy = tmp_path / "client"
    shutil.copytree(CLIENT, copy)
    monkeypatch.setattr(precache, "CLIENT", copy)
    monkeypatch.setattr(client_routes, "CLIENT", copy)
    return copy


def served_manifest(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    source = response.get_data(as_text=True)
    listed = re.search(r"const PRECACHE = (\[.*?\]);\n", source).group(1)
    return {e["url"]: e["revision"] for e in json.loads(listed)}, response


def test_the_served_worker_carries_the_manifest_and_changes_with_any_file(client, client_copy):
    before, response = served_manifest(client)
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.mimetype == "text/javascript"
    assert "self.__PRECACHE_MANIFEST" not in response.get_data(as_text=True)

    target = client_copy / "js" / "views" / "person.js"
    target.write_text(target.read_text() + "\n// a deploy\n")
    after, _ = served_manifest(client)
    changed = {url for url in before if before[url] != after[url]}
    assert changed == {"/static/js/views/person.js"}  # an unchanged file keeps its revision: never refetched

    (client_copy / "js" / "new-module.js").write_text("export const x = 1;\n")
    added, _ = served_manifest(client)
    assert "/static/js/new-module.js" in added  # a new client file is precached with nothing to edit by hand


def gzipped_size(entry):
    name = precache.ROOT_FILES.get(entry["url"]) or entry["url"].removeprefix("/static/")
    return len(gzip.compress((precache.CLIENT / name).read_bytes(), compresslevel=9))


def test_app_shell_is_under_100_kb_gzipped():
    shell = precache.shell()
    urls = {e["url"] for e in shell}
    # What the first screen needs: the page, its styles and icons, main.js and everything it imports.
    assert {"/", "/manifest.webmanifest", "/static/css/app.css", "/static/js/main.js", "/static/js/router.js",
            "/static/js/sync.js", "/static/vendor/lit-html.js", "/static/vendor/idb.js"} <= urls
    assert shell == [e for e in precache.manifest() if e["url"] in urls]
    total = sum(gzipped_size(e) for e in shell)
    assert total < SHELL_LIMIT, f"the app shell is {total / 1024:.1f} KB gzipped"


def test_vendor_files_are_minified_builds_recorded_in_package_json():
    pkg = json.loads((CLIENT.parent / "package.json").read_text())
    assert set(pkg["vendored"]) == {f"client/vendor/{p.name}" for p in (CLIENT / "vendor").iterdir()}
    uplot = (CLIENT / "vendor" / "uPlot.min.js").read_text()
    assert f"(v{pkg['dependencies']['uplot']})" in uplot[:200]
    assert len(uplot.encode()) < 60 * 1024 and uplot.rstrip().endswith("export default uPlot;")
    assert not (CLIENT / "vendor" / "uPlot.esm.js").exists()


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_static_files_are_served_compressed(client, encoding, decode):
    for url, name in [("/static/js/sync.js", "js/sync.js"), ("/static/css/app.css", "css/app.css"),
                      ("/static/vendor/uPlot.min.js", "vendor/uPlot.min.js"), ("/", "index.html")]:
        response = client.get(url, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding, url
        assert "Accept-Encoding" in response.headers["Vary"]
        body = response.get_data()
        assert int(response.headers["Content-Length"]) == len(body)
        assert decode(body) == (CLIENT / name).read_bytes()
        assert len(body) < len((CLIENT / name).read_bytes())


def test_without_accept_encoding_the_file_is_sent_as_it_is(client):
    response = client.get("/static/js/sync.js")
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == (CLIENT / "js" / "sync.js").read_bytes()


def test_a_compressed_file_is_revalidated_with_its_etag(client):
    first = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    again = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_content_hashed_urls_are_cached_for_a_year_and_others_revalidate(client):
    revision = precache.revision("/static/js/store.js")
    hashed = client.get(f"/static/js/store.js?v={revision}", headers={"Accept-Encoding": "br"})
    assert hashed.status_code == 200
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Expires" not in hashed.headers
    for url in ["/static/js/store.js", "/static/js/store.js?v=0000000000000000", "/", "/manifest.webmanifest"]:
        assert client.get(url).headers["Cache-Control"] == "no-cache", url


def test_server_pages_stylesheets_are_served_but_not_precached(client):
    assert client.get("/static/css/documents.css").status_code == 200
    assert "/static/css/documents.css" not in {e["url"] for e in precache.manifest()}
    assert client.get("/static/js/nothing-here.js").status_code == 404


def test_every_lazily_loaded_screen_names_an_export_of_its_module():
    lazy = re.compile(r'lazy\(\(\) => import\("(\./[^"]+)"\), "(\w+)"\)')
    found = 0
    for table in (VIEWS / "index.js", VIEWS / "governance-routes.js"):
        for spec, name in lazy.findall(table.read_text()):
            source = (VIEWS / spec).read_text()
            assert re.search(rf"^export (?:async )?function {name}\b", source, re.M), f"{spec} does not export {name}"
            found += 1
    assert found >= 45
