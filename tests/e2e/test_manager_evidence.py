"""Issue: a manager opens the residential service's "quieter breakfast time" change and reads a
before/after with its interval; the domiciliary theme trend shows "rushed" falling."""
from tests.e2e.conftest import axe_violations, sign_in


def test_manager_reads_change_effect_and_theme_trend(live, page):
    sign_in(page, live, "manager@demo.example")
    page.get_by_role("heading", name="People").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Changes").click()
    page.get_by_role("heading", name="Co-produced changes").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Quieter breakfast time").click()
    page.get_by_role("heading", name="Quieter breakfast time (staggered, radio off)").wait_for()
    summary = page.locator(".summary").inner_text()
    assert "association, not cause" in summary
    table = page.get_by_role("table", name="Before and after")
    assert "rate ratio" in table.inner_text()
    page.locator("#effect-chart canvas").wait_for()
    assert axe_violations(page) == []

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    page.get_by_role("heading", name="Feedback conversations").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Riverside Home Care").click()
    page.get_by_role("heading", name="Feedback themes: Riverside Home Care").wait_for()
    rushed = page.get_by_role("row", name="Feeling rushed")
    counts = [int(c.split()[0]) for c in rushed.locator("td").all_inner_texts()]
    assert max(counts[:3]) > 0 and counts[-1] <= min(c for c in counts[:3] if c > 0)
    assert axe_violations(page) == []
