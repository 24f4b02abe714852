"""An evicted outbox is lost work: after sign-in the app asks the browser to keep its storage, and
the settings screen says truthfully whether the browser agreed."""
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

KEPT = "Storage on this phone: kept (persistent)"
MAY_BE_CLEARED = "Storage on this phone: may be cleared by the browser when space runs low"


def test_settings_say_whether_the_browser_keeps_the_phones_storage(live, page):
    sign_in(page, live, "worker@demo.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    page.get_by_role("link", name="Inbox").click()
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Storage on this phone")).to_be_visible()
    persisted = page.evaluate("() => navigator.storage.persisted()")
    state = page.locator("#storage-state")
    if persisted:
        expect(state).to_contain_text(KEPT)
        expect(page.get_by_role("button", name="Ask the browser to keep it")).to_have_count(0)
    else:
        expect(state).to_contain_text(MAY_BE_CLEARED)
        expect(page.get_by_text("sync whenever you have a signal")).to_be_visible()
        # Asking again reports what the browser answered, and the text follows the answer.
        page.get_by_role("button", name="Ask the browser to keep it").click()
        expect(page.get_by_role("status").filter(has_text="The browser")).to_be_visible()
        now = page.evaluate("() => navigator.storage.persisted()")
        expect(state).to_contain_text(KEPT if now else MAY_BE_CLEARED)


def test_sign_in_asks_the_browser_to_keep_storage(live, page):
    page.add_init_script(
        """(() => {
            const original = navigator.storage.persist.bind(navigator.storage);
            window.__persistCalls = 0;
            navigator.storage.persist = () => { window.__persistCalls += 1; return original(); };
        })()"""
    )
    sign_in(page, live, "worker@demo.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    assert page.evaluate("() => window.__persistCalls") >= 1
