"""Reminders in the browser. Headless Chromium cannot reach a real push service, so this test
replaces only `PushManager.subscribe` with one that returns a subscription made by the test
(keys generated here, endpoint on 127.0.0.1); everything after it is real: the settings screen
asks for permission on a tap, posts the subscription, and the server stores it. Delivery and
decryption are proven against a local receiver in tests/test_reminders.py."""
import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from server.extensions import db
from server.models import Notification, PushSubscription, User
from tests.e2e.conftest import axe_violations, sign_in


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_subscribe_script(endpoint: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    auth = b64(b"0123456789abcdef")
    return f"""
      (() => {{
        const sub = {{
          endpoint: "{endpoint}",
          options: {{}},
          toJSON() {{ return {{ endpoint: this.endpoint, expirationTime: null, keys: {{ p256dh: "{b64(key)}", auth: "{auth}" }} }}; }},
          unsubscribe: async () => {{ window.__subscribed = null; return true; }},
        }};
        if (window.PushManager) {{
          PushManager.prototype.subscribe = async function (options) {{
            if (!options || !options.applicationServerKey) throw new Error("no application server key");
            window.__subscribed = sub; return sub;
          }};
          PushManager.prototype.getSubscription = async function () {{ return window.__subscribed || null; }};
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
    page.get_by_role("heading", name="Reminder settings").wait_for()
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
    page.get_by_role("heading", name="Inbox").wait_for()
    page.locator(".card").first.wait_for()
    assert page.locator(".card").count() == len(mine)
    badge = page.get_by_role("navigation", name="Main").locator(".badge")
    assert badge.inner_text().startswith(str(len(mine)))
    assert axe_violations(page) == []
    page.get_by_role("button", name="Mark all as read").click()
    page.get_by_role("heading", name="Inbox").wait_for()
    page.locator(".main-nav .badge").wait_for(state="detached")
