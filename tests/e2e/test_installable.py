"""Chromium's own installability check passes: manifest, icons, service worker with a fetch handler.
(A persistent profile: Chromium never offers installation in an incognito context.)"""
from tests.e2e.test_offline import open_persistent, wait_for_service_worker


def test_chromium_finds_the_app_installable(live, playwright_instance, tmp_path):
    context = open_persistent(playwright_instance, tmp_path / "phone")
    page = context.new_page()
    page.goto(live.url + "/signin")
    page.get_by_role("heading", name="Sign in").wait_for()
    wait_for_service_worker(page)
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    assert cdp.send("Page.getAppManifest")["errors"] == []
    context.close()
