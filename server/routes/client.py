"""Serves the static PWA, its service worker from the site root, and the browsable API docs."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory

from .. import precache
from ..domain import rule_data
from ..extensions import compress

CLIENT = Path(__file__).resolve().parents[2] / "client"
bp = Blueprint("client", __name__)

# Client-side routes: a reload or a shared link on any of these gets the app shell. The app's route
# patterns live in server/data/rules.json, which the app's route table is made from too; the shell
# is served for any path under the first part of one of them ("/people/…" for "/people/:id").
APP_ROUTES = tuple(sorted({pattern.split("/")[1] for pattern in rule_data.APP_ROUTES} - {""}))


# A year: what a URL carrying its content hash (?v=<revision>) names can never change.
IMMUTABLE = "public, max-age=31536000, immutable"


def _file(name, url, **kwargs):
    """A client file, compressed (gzip or brotli) by Flask-Compress. Under ?v=<its current content
    hash> (how the service worker fetches the precache) it may be kept a year; under any other URL
    browsers revalidate it, so a deploy is picked up."""
    response = send_from_directory(CLIENT, name, max_age=0, **kwargs)
    if response.status_code == 200:
        # Read the file now, so it is compressed whole (with a Content-Length), and close it.
        file = response.response
        response.direct_passthrough = False
        response.set_data(b"".join(file))
        file.close()
    wanted = request.args.get("v")
    if wanted and wanted == precache.revision(url):
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers.pop("Expires", None)
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


def _shell():
    return _file("index.html", "/")


@bp.route("/")
@compress.compressed()
def index():
    return _shell()


@bp.route("/<section>", defaults={"rest": ""}, strict_slashes=False)  # "/sync/" too, as the app takes it
@bp.route("/<section>/<path:rest>")
@compress.compressed()
def app_route(section, rest):
    if section in APP_ROUTES:
        return _shell()
    abort(404)


@bp.route("/service-worker.js")
@compress.compressed()
def service_worker():
    # The precache manifest ({url, revision} per file) is written in as it is served.
    response = current_app.response_class(precache.service_worker(), mimetype="text/javascript")
    response.add_etag()
    response.make_conditional(request)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
@compress.compressed()
def manifest():
    return _file("manifest.webmanifest", "/manifest.webmanifest", mimetype="application/manifest+json")


@bp.route("/static/<path:filename>")
@compress.compressed()
def static(filename):
    return _file(filename, f"/static/{filename}")


@bp.route("/api/v1/docs")
def api_docs():
    from ..extensions import api

    spec = api.spec.to_dict()
    return render_template("api_docs.html", spec=spec, title=current_app.config["API_TITLE"])
