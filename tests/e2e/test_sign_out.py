"""Signing out stops every sync at once and wipes the phone. A sign-out made with no signal is
remembered and sent before anything else when the signal returns; until then nothing is pulled, so
the session still open on the server cannot refill the phone with people's data."""
import urllib.error
import urllib.request

from playwright.sync_api import Error as PlaywrightError, expect

from tests.e2e.conftest import phone_meta, phone_storage
from tests.e2e.test_offline import header, phone_signed_in

RECORD_STORES = ["people", "outcomes", "actions", "reviews", "evidence", "checks", "feedback", "events"]


def status_with_cookies(live, cookies, path="/api/v1/people"):
    """The HTTP status the server gives a copy of the phone's cookies."""
    header_value = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    request = urllib.request.Request(live.url + path, headers={"Cookie": header_value, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def wait_until(page, check, seconds=30):
    for _ in range(seconds * 10):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError("timed out")


def sync_requests(requests):
    return [url for method, url in requests if "/api/v1/sync/" in url]


def test_a_sign_out_made_offline_is_sent_first_when_the_signal_returns(live, playwright_instance, tmp_path):
    context, page = phone_signed_in(playwright_instance, live, tmp_path / "phone", "worker@demo.example")
    cookies = context.cookies(live.url)
    assert status_with_cookies(live, cookies) == 200
    requests = []
    page.on("request", lambda r: requests.append((r.method, r.url)))

    context.set_offline(True)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # Wiped at once, and the sign-out is remembered; the server has not heard of it yet.
    assert all(phone_storage(page)[name] == 0 for name in RECORD_STORES + ["outbox"])
    assert phone_meta(page, "sign_out_pending")
    assert status_with_cookies(live, cookies) == 200

    # Closing and reopening the app with no signal changes nothing: nobody is signed in.
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    requests.clear()
    context.set_offline(False)
    wait_until(page, lambda: status_with_cookies(live, cookies) == 401)
    wait_until(page, lambda: phone_meta(page, "sign_out_pending") is None)
    assert ("DELETE", live.url + "/api/v1/session") in requests
    # The app starts again after a while: still signed out, nothing pulled or pushed.
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.wait_for_timeout(1000)
    assert sync_requests(requests) == []
    assert all(phone_storage(page)[name] == 0 for name in RECORD_STORES)
    expect(page.locator("#sync-state")).to_have_count(0)

    # Signing in again works as usual.
    page.get_by_label("Email").fill("worker@demo.example")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(header(page)).to_contain_text("All sent")
    assert phone_storage(page)["people"] > 0
    context.close()


def test_a_pull_in_flight_when_sign_out_is_pressed_stores_nothing(live, playwright_instance, tmp_path):
    context, page = phone_signed_in(playwright_instance, live, tmp_path / "phone", "worker@demo.example")
    cookies = context.cookies(live.url)
    # The next pull starts from zero (the whole caseload), and the network holds it on the way.
    page.evaluate("""async () => {
        const db = await new Promise((ok) => { const r = indexedDB.open('tandem'); r.onsuccess = () => ok(r.result); });
        await new Promise((ok) => { const tx = db.transaction('meta', 'readwrite'); tx.objectStore('meta').put(0, 'cursor'); tx.oncomplete = ok; });
        db.close();
    }""")
    held = []
    page.route("**/api/v1/sync/pull*", lambda route: held.append(route))
    page.get_by_role("link", name="All sent").click()
    expect(page.get_by_role("heading", name="Changes on this phone")).to_be_visible()
    page.get_by_role("button", name="Sync now").click()
    wait_until(page, lambda: len(held) == 1)
    reply = held[0].fetch()  # the server has answered: the whole caseload is on its way
    assert reply.status == 200 and "Sam Taylor" in reply.text()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # The held reply now arrives: it must not reach the phone's storage.
    try:
        held[0].fulfill(response=reply)
    except PlaywrightError:
        pass  # the sign-out already aborted the request
    page.wait_for_timeout(1500)
    assert all(phone_storage(page)[name] == 0 for name in RECORD_STORES)
    assert len(held) == 1  # no further pull
    wait_until(page, lambda: status_with_cookies(live, cookies) == 401)
    context.close()


def test_signing_in_straight_after_an_offline_sign_out_is_sent(live, playwright_instance, tmp_path):
    """The signal is back but the phone has not yet told the server about a sign-out made offline;
    the next person signs in at once. The sign-out goes first, ending the session whose CSRF token
    the page held: the sign-in must use the new session's token, not fail on the old one."""
    context, page = phone_signed_in(playwright_instance, live, tmp_path / "phone", "worker@demo.example")
    context.set_offline(True)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    blocked = []

    def hold_sign_out(route):
        if route.request.method == "DELETE":
            blocked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/session", hold_sign_out)
    context.set_offline(False)
    page.reload()  # the app starts with the signal back; its first try to send the sign-out fails
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    wait_until(page, lambda: blocked)
    page.unroute("**/api/v1/session")
    page.get_by_label("Email").fill("residential@demo.example")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.locator(".card-title").filter(has_text="Ben Carter")).to_have_count(1)
    assert phone_meta(page, "sign_out_pending") is None
    context.close()
