"""The app shell the service worker precaches is complete, so every screen opens offline."""
import json
import re
from pathlib import Path

CLIENT = Path(__file__).resolve().parent.parent / "client"


def shell_list():
    from server import precache

    return {entry["url"] for entry in precache.manifest()}


def test_every_client_module_and_stylesheet_is_precached():
    shell = shell_list()
    wanted = {
        "/static/" + str(p.relative_to(CLIENT))
        for pattern in ("js/**/*.js", "vendor/*.js", "vendor/*.css", "css/app.css", "icons/*")
        for p in CLIENT.glob(pattern)
    }
    assert wanted - shell == set(), "server/precache.py does not list these"
    assert shell - wanted - {"/", "/manifest.webmanifest"} == set(), "the manifest lists files that do not exist"


def test_precache_entries_are_versioned_by_content_and_no_unconditional_skip_waiting():
    source = (CLIENT / "service-worker.js").read_text()
    assert "const PRECACHE = self.__PRECACHE_MANIFEST;" in source
    assert "`${url}?v=${revision}`" in source  # one cache entry per file and content hash
    install = source.split('addEventListener("install"')[1].split("});")[0]
    assert "skipWaiting" not in install


def test_pages_have_no_inline_script():
    for page in CLIENT.glob("*.html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert 'lang="en-GB"' in html


def test_manifest_is_installable():
    manifest = json.loads((CLIENT / "manifest.webmanifest").read_text())
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert (CLIENT / icon["src"].removeprefix("/static/")).exists()


def test_vendored_versions_match_package_json():
    pkg = json.loads((CLIENT.parent / "package.json").read_text())
    assert pkg["dependencies"] == {"idb": "8.0.4", "lit-html": "3.3.3", "uplot": "1.6.32"}
    assert "(v1.6.32)" in (CLIENT / "vendor" / "uPlot.min.js").read_text()[:300]
