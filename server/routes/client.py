"""Serves the static PWA, its service worker from the site root, and the browsable API docs."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_from_directory

CLIENT = Path(__file__).resolve().parents[2] / "client"
bp = Blueprint("client", __name__)

# Client-side routes: a reload or a shared link on any of these gets the app shell.
APP_ROUTES = ("people", "outcomes", "sync", "signin", "me", "settings", "inbox", "notifications", "changes",
              "services", "feedback", "overdue", "reviews")


def _shell():
    response = send_from_directory(CLIENT, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/")
def index():
    return _shell()


@bp.route("/<section>", defaults={"rest": ""})
@bp.route("/<section>/<path:rest>")
def app_route(section, rest):
    if section in APP_ROUTES:
        return _shell()
    abort(404)


@bp.route("/service-worker.js")
def service_worker():
    response = send_from_directory(CLIENT, "service-worker.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    response = send_from_directory(CLIENT, "manifest.webmanifest", max_age=0, mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/static/<path:filename>")
def static(filename):
    # The service worker versions the shell; browsers revalidate so a deploy is picked up.
    response = send_from_directory(CLIENT, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/api/v1/docs")
def api_docs():
    from ..extensions import api

    spec = api.spec.to_dict()
    return render_template("api_docs.html", spec=spec, title=current_app.config["API_TITLE"])
