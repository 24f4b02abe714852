"""Reminders in the browser. Headless Chromium cannot reach a real push service, so this test
replaces only `PushManager.subscribe` with one that returns a subscription made by the test
(keys generated here, endpoint on 127.0.0.1); everything after it is real: the settings screen
asks for permission on a tap, posts the subscription, and the server stores it. Delivery and
decryption are proven against a local receiver in tests/test_reminders.py."""
import base64
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Notification, PushSubscription, User
from tests.e2e.conftest import axe_violations, sign_in


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_subscribe_script(endpoint: str) -> str:
    """PushManager.subscribe returns the browser's current subscription, or makes one (`endpoint`,
    then `endpoint-2`, ...); kept in localStorage so it outlives page loads as a real one does."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    auth = b64(b"0123456789abcdef")
    return f"""
      (() => {{
        const base = "{endpoint}";
        const make = (endpoint) => ({{
          endpoint,
          options: {{}},
          toJSON() {{ return {{ endpoint: this.endpoint, expirationTime: null, keys: {{ p256dh: "{b64(key)}", auth: "{auth}" }} }}; }},
          unsubscribe: async () => {{ localStorage.removeItem("__fake_push"); return true; }},
        }});
        if (window.PushManager) {{
          PushManager.prototype.subscribe = async function (options) {{
            if (!options || !options.applicationServerKey) throw new Error("no application server key");
            let current = localStorage.getItem("__fake_push");
            if (!current) {{
              const n = Number(localStorage.getItem("__fake_push_n") || 0) + 1;
              localStorage.setItem("__fake_push_n", String(n));
              current = n === 1 ? base : `${{base}}-${{n}}`;
              localStorage.setItem("__fake_push", current);
            }}
            return make(current);
          }};
          PushManager.prototype.getSubscription = async function () {{
            const current = localStorage.getItem("__fake_push");
            return current ? make(current) : null;
          }};
        }}
      }})();
    """


def test_worker_turns_on_reminders_and_sees_them_in_the_inbox(live, context):
    endpoint = "https://127.0.0.1:9/push/browser-test"
    context.add_init_script(fake_subscribe_script(endpoint))
    context.grant_permissions(["notifications"], origin=live.url)
    page = context.new_page()
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    page.goto(live.url + "/settings")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Turn on reminders").click()
    page.get_by_role("status").filter(has_text="Reminders are on for this device.").wait_for()
    with live.app.app_context():
        worker = db.session.execute(select(User).where(User.email == "worker@demo.example")).scalar_one()
        subs = db.session.execute(select(PushSubscription).where(PushSubscription.user_id == worker.id)).scalars().all()
        assert [s.endpoint for s in subs] == [endpoint]

    result = live.app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    with live.app.app_context():
        mine = db.session.execute(select(Notification).where(Notification.user_id == worker.id)).scalars().all()
        assert mine, "the demo worker has reviews due and overdue"

    page.goto(live.url + "/inbox")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.locator(".reminders .card")).to_have_count(len(mine))
    badge = page.get_by_role("navigation", name="Main").locator(".badge")
    expect(badge).to_have_text(re.compile(rf"^{len(mine)}\b"))
    assert axe_violations(page) == []
    page.get_by_role("button", name="Mark all as read").click()
    page.get_by_role("heading", name="Inbox").wait_for()
    page.locator(".main-nav .badge").wait_for(state="detached")

    # Signing out takes this browser's subscription away from the worker.
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    with live.writing():
        assert db.session.execute(select(PushSubscription).where(PushSubscription.user_id == worker.id)).first() is None
        # A browser still holding someone else's subscription (they never signed out here): the
        # server refuses to move it (409), and the app makes a new one for whoever is signed in now.
        stale = endpoint + "-stale"
        db.session.add(PushSubscription(user_id=worker.id, endpoint=stale, p256dh=subs[0].p256dh, auth=subs[0].auth))
        db.session.commit()
    page.evaluate(f"() => localStorage.setItem('__fake_push', '{stale}')")
    sign_in(page, live, "manager@demo.example")
    page.get_by_role("heading", name="People").wait_for()
    page.goto(live.url + "/settings")
    page.get_by_text("Reminders are off for this device.").wait_for()
    page.get_by_role("button", name="Turn on reminders").click()
    page.get_by_role("status").filter(has_text="Reminders are on for this device.").wait_for()
    with live.app.app_context():
        owners = dict(db.session.execute(select(PushSubscription.endpoint, User.email).join(User, User.id == PushSubscription.user_id)).all())
        assert owners == {stale: "worker@demo.example", endpoint + "-2": "manager@demo.example"}
