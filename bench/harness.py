"""What the HTTP benchmarks share: the app on a fresh SQLite file migrated to head, and the app
served by werkzeug on 127.0.0.1 (an ephemeral port, threaded, no access log per request)."""
from __future__ import annotations

import contextlib
import io
import logging
import threading
from pathlib import Path


def migrated_app(path: Path, **overrides):
    """The app on a new SQLite file at `path`, migrated to head, with the app's own pragmas."""
    from flask_migrate import upgrade

    from server import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": "bench-secret",
        "SESSION_COOKIE_SECURE": False,  # plain http on 127.0.0.1
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        **overrides,
    })
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
        upgrade()
    return app


@contextlib.contextmanager
def serving(app):
    """Serve `app` for the duration of the block; yields its base URL."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
