"""The service worker's precache manifest, made from the client files on disk.

Each entry is ``{"url", "revision"}`` where the revision is a hash of the file's content, so the
service worker fetches a file again exactly when its content changed. The manifest is written into
/service-worker.js when that is served (no build step): any changed client file changes the worker's
bytes, which is what makes the browser install the new version.

The *shell* is what the first screen needs: the page, the web manifest, the stylesheets and icons
the page names, and every module ``main.js`` imports statically. Screens are imported on first use
(``views/index.js``) and are precached too, so they open offline.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[1] / "client"

# What the service worker precaches: every module, the vendored libraries, the app's stylesheet and
# the icons. (docs.css and documents.css belong to server-rendered pages, which are never offline.)
PRECACHED = ("js/**/*.js", "vendor/*.js", "vendor/*.css", "css/app.css", "icons/*")
# URLs that are not /static/<path>: the page every app route serves, and the web manifest.
ROOT_FILES = {"/": "index.html", "/manifest.webmanifest": "manifest.webmanifest"}

# `import x from "./a.js"`, `import { a } from "./a.js"`, `import "./a.js"`, `export { a } from "./a.js"`.
STATIC_IMPORT = re.compile(r'^\s*(?:import|export)\s+(?:[\w*{}\s,$]+?\s+from\s+)?["\']([^"\']+)["\']', re.M)
DYNAMIC_IMPORT = re.compile(r'\bimport\(\s*["\']([^"\']+)["\']\s*\)')


def imports(path: Path) -> tuple[set[Path], set[Path]]:
    """The client files a module imports: (static, dynamic), as resolved paths."""
    source = path.read_text(encoding="utf-8")

    def resolve(specs):
        return {(path.parent / spec).resolve() for spec in specs if spec.startswith(".")}

    return resolve(STATIC_IMPORT.findall(source)), resolve(DYNAMIC_IMPORT.findall(source))


def _url(path: Path) -> str:
    for url, name in ROOT_FILES.items():
        if path == CLIENT / name:
            return url
    return "/static/" + path.relative_to(CLIENT).as_posix()


def _precached_files() -> list[Path]:
    files = {CLIENT / name for name in ROOT_FILES.values()}
    for pattern in PRECACHED:
        files.update(p for p in CLIENT.glob(pattern) if p.is_file())
    return sorted(files)


def _shell_files() -> set[Path]:
    page = (CLIENT / "index.html").read_text(encoding="utf-8")
    named = {CLIENT / ref.removeprefix("/static/") for ref in re.findall(r'(?:href|src)="(/static/[^"]+)"', page)}
    shell = {CLIENT / name for name in ROOT_FILES.values()} | named
    shell.update(CLIENT.glob("icons/*"))  # the header's icon, the web manifest's icons
    todo = [p for p in named if p.suffix == ".js"]
    while todo:
        module = todo.pop()
        static, _ = imports(module)
        for dep in static - shell:
            shell.add(dep)
            todo.append(dep)
    return shell


_lock = threading.Lock()
_cached: tuple[tuple, dict] | None = None


def _build() -> dict:
    files = _precached_files()
    signature = tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    global _cached
    with _lock:
        if _cached and _cached[0] == signature:
            return _cached[1]
    entries = [{"url": _url(p), "revision": hashlib.sha256(p.read_bytes()).hexdigest()[:16]} for p in files]
    shell = {_url(p) for p in _shell_files()}
    built = {
        "entries": entries,
        "revisions": {e["url"]: e["revision"] for e in entries},
        "shell": [e for e in entries if e["url"] in shell],
        "version": hashlib.sha256("".join(f"{e['url']}={e['revision']};" for e in entries).encode()).hexdigest()[:16],
    }
    with _lock:
        _cached = (signature, built)
    return built


def manifest() -> list[dict]:
    """Every precached file as {url, revision}, in a stable order."""
    return _build()["entries"]


def shell() -> list[dict]:
    """The manifest's entries that the app needs before its first screen."""
    return _build()["shell"]


def revision(url: str) -> str | None:
    """The content hash of a precached URL (None for a file the manifest does not list)."""
    return _build()["revisions"].get(url)


def service_worker() -> str:
    """client/service-worker.js with the manifest written in where it says self.__PRECACHE_MANIFEST."""
    built = _build()
    source = (CLIENT / "service-worker.js").read_text(encoding="utf-8")
    return (source.replace("self.__PRECACHE_MANIFEST", json.dumps(built["entries"], separators=(",", ":")))
            .replace("self.__PRECACHE_VERSION", json.dumps(built["version"])))
