"""What the HTTP benchmarks share: the app on a fresh SQLite file migrated to head, the app served
by werkzeug on 127.0.0.1 in this process (an ephemeral port, threaded, no access log per request),
and the app served by gunicorn in its own processes, as in production (docs/DEPLOY.md)."""
from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 2, threads: int = 4, extra: tuple[str, ...] = ()):
    """Serve `server:create_app()` with gunicorn on 127.0.0.1 (an ephemeral port; 2 workers x 4
    threads by default, as on a 2-core host) for the duration of the block, configured by the
    environment `env` adds (DATABASE_URL, SECRET_KEY, ...). Yields (base URL, the master's process)
    once /healthz answers."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", *extra, "server:create_app()"],
        cwd=ROOT, env={**os.environ, "REMINDERS_INTERVAL_MINUTES": "0", **env})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with {server.returncode}")
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.25)
        else:
            raise SystemExit(f"gunicorn did not answer at {url}")
        yield url, server
    finally:
        server.terminate()
        server.wait(30)
