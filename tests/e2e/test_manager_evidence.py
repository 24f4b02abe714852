"""Issue: a manager opens the residential service's "quieter breakfast time" change and reads a
before/after with its interval; the domiciliary theme trend shows "rushed" falling."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations, sign_in


def test_manager_reads_change_effect_and_theme_trend(live, page):
    sign_in(page, live, "manager@demo.example")
    page.get_by_role("heading", name="People").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Changes").click()
    page.get_by_role("heading", name="Co-produced changes").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Quieter breakfast time").click()
    expect(page.get_by_role("heading", name="Quieter breakfast time (staggered, radio off)")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("Incidents fell after the change")
    expect(page.locator("details.methods")).to_contain_text("association, not cause")
    expect(page.get_by_role("table", name="Before and after")).to_contain_text("rate ratio")
    page.locator("#chart-incidents canvas").wait_for()
    assert axe_violations(page) == []

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    page.get_by_role("heading", name="Feedback conversations").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Riverside Home Care").click()
    page.get_by_role("heading", name="Feedback themes: Riverside Home Care").wait_for()
    rows = page.get_by_role("table", name="Conversations tagged with each theme").locator("tbody tr")
    expect(rows.first).to_be_visible()
    # One row per quarter, newest first; "Feeling rushed: 3 (60%)" in a quarter where it was tagged.
    counts = []
    for text in reversed(rows.all_inner_texts()):
        found = re.search(r"Feeling rushed: (\d+)", text)
        counts.append(int(found.group(1)) if found else 0)
    assert max(counts[:3]) > 0 and counts[-1] <= min(c for c in counts[:3] if c > 0)
    assert axe_violations(page) == []
