"""Charts: drawn once however often their screen renders, and dated the UK way ("9 Jun", never "6/9")."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

TICKS = """async () => {
    const m = await import('/static/js/chart.js');
    const day = (y, mo, d) => Date.UTC(y, mo - 1, d, 12) / 1000;
    const weekly = m.ukDateTicks(null, [day(2026, 6, 9), day(2026, 6, 16), day(2027, 1, 5)], 0, 50, 7 * 86400);
    const monthly = m.ukDateTicks(null, [day(2026, 11, 1), day(2026, 12, 1), day(2027, 1, 1)], 0, 50, 30 * 86400);
    const target = document.createElement('div');
    document.body.append(target);
    const xs = [day(2026, 5, 26), day(2026, 6, 2), day(2026, 6, 9), day(2026, 6, 16)];
    const opts = { width: 300, height: 150, legend: { show: false }, scales: { x: { time: true } }, series: [{}, { stroke: '#000' }] };
    m.plotInto(target, opts, [xs, [1, 2, 3, 4]]);
    const plot = m.plotInto(target, opts, [xs, [1, 2, 3, 4]]);
    await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 50)));  // uPlot draws on the next frame
    const drawn = plot.axes[0]._values;
    const canvases = target.querySelectorAll('canvas').length;
    target.remove();
    return { weekly, monthly, drawn, canvases };
}"""


def test_axis_dates_are_en_gb_and_a_redrawn_chart_replaces_the_old_one(live, page):
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    out = page.evaluate(TICKS)
    assert out["weekly"] == ["9 Jun\n2026", "16 Jun", "5 Jan\n2027"]
    assert out["monthly"] == ["Nov\n2026", "Dec", "Jan\n2027"]
    assert out["drawn"] and all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}(\n\d{4})?", v) for v in out["drawn"]), out["drawn"]
    assert out["canvases"] == 1


def test_the_change_effect_page_draws_each_of_its_charts_once(live, page):
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Changes").click()
    page.get_by_role("link", name="Quieter breakfast time").click()
    expect(page.get_by_role("heading", name=re.compile("Quieter breakfast time"))).to_be_visible()
    charts = page.locator(".chart canvas")  # incidents, engagement, mood
    expect(charts).to_have_count(3)
    # Opening the page directly: the app renders it, syncs, then renders it again.
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name=re.compile("Quieter breakfast time"))).to_be_visible()
    expect(charts).to_have_count(3)
    # Another window redraws it in place.
    page.get_by_label("Weeks before and after").select_option("8")
    expect(page.get_by_role("table", name=re.compile("8 weeks each side"))).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(charts).to_have_count(3)
    assert page.locator("#chart-incidents .uplot").count() == 1
