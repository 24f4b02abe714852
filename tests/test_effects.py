"""The change-effect statistics (server/domain/effects.py), checked against scipy, closed forms
and worked examples by hand. The server takes its quantiles from scipy.stats too; these tests
hold the method (which quantile, which interval, which edge cases) to the documented one.
"""
from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import pytest
from scipy import stats

from server.domain import effects

# ---- distribution functions against scipy ----


@pytest.mark.parametrize("p", [1e-12, 1e-6, 0.001, 0.025, 0.05, 0.2, 0.5, 0.8, 0.975, 0.999, 1 - 1e-9])
def test_normal_ppf_matches_scipy(p):
    assert effects.normal_ppf(p) == pytest.approx(stats.norm.ppf(p), rel=1e-12, abs=1e-12)


def test_z95_is_the_familiar_1_96():
    assert effects.Z95 == pytest.approx(1.959963984540054, abs=1e-14)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7.5, 10, 13.27, 30, 60, 120, 200, 1000, 10000])
@pytest.mark.parametrize("p", [0.0005, 0.025, 0.05, 0.3, 0.5, 0.6, 0.9, 0.975, 0.995, 0.9999])
def test_t_ppf_matches_scipy(df, p):
    assert effects.t_ppf(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9, abs=1e-10)


@pytest.mark.parametrize("df", [0.3, 1, 2.5, 9, 44.4, 500])
@pytest.mark.parametrize("t", [-30, -3.2, -1, 0, 0.4, 2.0, 12])
def test_t_cdf_matches_scipy(df, t):
    assert effects.t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-10, abs=1e-14)


def test_t_ppf_closed_forms():
    # df = 1 is the Cauchy distribution: t = tan(pi (p - 1/2)); df = 2: t = (2p - 1) / sqrt(2 p (1 - p)).
    for p in (0.01, 0.2, 0.975):
        assert effects.t_ppf(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-10)
        assert effects.t_ppf(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-10)
    # The table every statistics book prints: t(0.975, 10) = 2.228, t(0.975, 30) = 2.042.
    assert round(effects.t_ppf(0.975, 10), 3) == 2.228
    assert round(effects.t_ppf(0.975, 30), 3) == 2.042


@pytest.mark.parametrize("a,b,x", [(0.5, 0.5, 0.3), (2, 3, 0.4), (10, 1, 0.95), (1, 10, 0.01), (35, 12, 0.7), (250, 300, 0.46)])
def test_betainc_matches_scipy(a, b, x):
    from scipy.special import betainc

    assert effects.betainc(a, b, x) == pytest.approx(betainc(a, b, x), rel=1e-11, abs=1e-15)


@pytest.mark.parametrize("x,n", [(0, 1), (0, 7), (1, 7), (7, 7), (3, 10), (10, 40), (30, 40), (0, 120), (61, 120), (9, 1000)])
def test_clopper_pearson_matches_scipy_binomtest(x, n):
    lower, upper = effects.clopper_pearson(x, n)
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
    assert lower == pytest.approx(ci.low, abs=1e-12)
    assert upper == pytest.approx(ci.high, abs=1e-12)


def test_clopper_pearson_closed_forms_at_the_edges():
    # x = 0: upper = 1 - (alpha/2)^(1/n); x = n: lower = (alpha/2)^(1/n).
    assert effects.clopper_pearson(0, 20) == (0.0, pytest.approx(1 - 0.025 ** (1 / 20), abs=1e-13))
    assert effects.clopper_pearson(20, 20) == (pytest.approx(0.025 ** (1 / 20), abs=1e-13), 1.0)


# ---- rate ratio ----


def test_rate_ratio_worked_example_from_api_md():
    # API.md: 30 incidents in 6 weeks before, 10 in 6 weeks after.
    # RR = (10/6) / (30/6) = 1/3; SE(ln RR) = sqrt(1/10 + 1/30) = sqrt(0.13333) = 0.365148;
    # ln RR = -1.098612; ± 1.959964 × 0.365148 = ± 0.715677 → exp(-1.814289) = 0.1630, exp(-0.382935) = 0.6819.
    rr = effects.rate_ratio(10, 6, 30, 6)
    assert rr["rate_ratio"] == pytest.approx(1 / 3)
    assert rr["ci95"][0] == pytest.approx(0.16295, abs=1e-4)
    assert rr["ci95"][1] == pytest.approx(0.68186, abs=1e-4)
    assert [round(v, 2) for v in rr["ci95"]] == [0.16, 0.68]  # the figures API.md shows
    assert "normal approximation to the log rate ratio" in rr["method"]


@pytest.mark.parametrize("a,ta,b,tb", [(10, 6, 30, 6), (46, 18, 122, 20), (3, 4, 9, 5), (120, 52, 80, 52), (1, 6, 1, 6)])
def test_rate_ratio_matches_the_formula_with_scipy_quantile(a, ta, b, tb):
    rr = effects.rate_ratio(a, ta, b, tb)
    expected = (a / ta) / (b / tb)
    se = math.sqrt(1 / a + 1 / b)
    z = stats.norm.ppf(0.975)
    assert rr["rate_ratio"] == pytest.approx(expected)
    assert rr["ci95"][0] == pytest.approx(math.exp(math.log(expected) - z * se), rel=1e-12)
    assert rr["ci95"][1] == pytest.approx(math.exp(math.log(expected) + z * se), rel=1e-12)


def test_unequal_exposure_changes_the_ratio_not_the_spread():
    # 12 incidents in 4 weeks before (3 a week), 12 in 8 weeks after (1.5 a week): RR = 0.5.
    rr = effects.rate_ratio(12, 8, 12, 4)
    assert rr["rate_ratio"] == pytest.approx(0.5)
    se = math.sqrt(1 / 12 + 1 / 12)
    assert math.log(rr["ci95"][1] / rr["ci95"][0]) == pytest.approx(2 * stats.norm.ppf(0.975) * se)


def test_no_incidents_after_uses_the_exact_conditional_interval():
    # a = 0 after (6 weeks), b = 18 before (6 weeks): p = a/(a+b) has the Clopper-Pearson interval
    # [0, 1 - 0.025^(1/18)]; RR = p/(1-p) × tb/ta.
    rr = effects.rate_ratio(0, 6, 18, 6)
    p_hi = stats.binomtest(0, 18).proportion_ci(method="exact").high
    assert rr["rate_ratio"] == 0
    assert rr["ci95"][0] == 0
    assert rr["ci95"][1] == pytest.approx(p_hi / (1 - p_hi), rel=1e-10)
    assert rr["exact"] and "Clopper-Pearson" in rr["method"]


def test_no_incidents_before_gives_an_unbounded_upper_limit():
    rr = effects.rate_ratio(5, 6, 0, 6)
    p_lo = stats.binomtest(5, 5).proportion_ci(method="exact").low
    assert rr["rate_ratio"] is None
    assert rr["ci95"][0] == pytest.approx(p_lo / (1 - p_lo), rel=1e-10)
    assert rr["ci95"][1] is None


def test_no_incidents_at_all_has_no_ratio():
    assert effects.rate_ratio(0, 6, 0, 6)["rate_ratio"] is None


def test_exact_interval_agrees_with_scipy_for_nonzero_counts_too():
    # The conditional binomial interval is a textbook alternative; check the conversion with
    # scipy for a case where both counts are positive (the API uses it only when one is zero).
    a, ta, b, tb = 7, 6, 21, 8
    p_lo, p_hi = effects.clopper_pearson(a, a + b)
    ci = stats.binomtest(a, a + b).proportion_ci(method="exact")
    assert (p_lo / (1 - p_lo)) * tb / ta == pytest.approx((ci.low / (1 - ci.low)) * tb / ta, rel=1e-10)
    assert (p_hi / (1 - p_hi)) * tb / ta == pytest.approx((ci.high / (1 - ci.high)) * tb / ta, rel=1e-10)


# ---- Welch interval ----


def test_welch_worked_example():
    before = [2.0, 3.0, 2.0, 3.0]  # mean 2.5, s² = 1/3
    after = [4.0, 4.0, 3.0, 4.0, 4.0, 4.0]  # mean 3.8333, s² = 1/6
    w = effects.welch_interval(after, before)
    # se² = (1/6)/6 + (1/3)/4 = 0.027778 + 0.083333 = 0.111111, se = 1/3
    # df = 0.111111² / (0.027778²/5 + 0.083333²/3) = 0.0123457 / (0.000154321 + 0.00231481) = 5.0
    assert w["difference"] == pytest.approx(4 / 3)
    assert w["se"] == pytest.approx(1 / 3)
    assert w["df"] == pytest.approx(5.0)
    half = 2.5705818366147395 / 3  # t(0.975, 5) = 2.570582
    assert w["ci95"] == [pytest.approx(4 / 3 - half), pytest.approx(4 / 3 + half)]


@pytest.mark.parametrize(
    "after,before",
    [
        ([3.5, 3.8, 4.0, 3.6, 3.9, 4.1], [2.4, 2.9, 2.6, 2.5, 2.8, 2.3]),
        ([3.1, 2.9, 3.4, 3.0], [3.2, 2.7, 3.5, 3.1, 2.6, 3.3, 3.0, 2.9]),
        ([1.0, 5.0, 2.0, 4.0, 3.0], [2.9, 3.0, 3.1, 3.0]),
    ],
)
def test_welch_matches_scipy(after, before):
    w = effects.welch_interval(after, before)
    res = stats.ttest_ind(after, before, equal_var=False)
    ci = res.confidence_interval(confidence_level=0.95)
    assert w["difference"] == pytest.approx(statistics.mean(after) - statistics.mean(before))
    assert w["df"] == pytest.approx(res.df, rel=1e-12)
    assert w["ci95"][0] == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert w["ci95"][1] == pytest.approx(ci.high, rel=1e-9, abs=1e-12)


def test_welch_without_spread_has_a_point_interval():
    w = effects.welch_interval([4.0, 4.0, 4.0], [3.0, 3.0])
    assert w["difference"] == 1.0 and w["ci95"] == [1.0, 1.0] and w["df"] is None


# ---- windows, series and the comparison ----

MONDAY = date(2025, 3, 3)


def test_windows_when_the_change_starts_on_a_monday():
    w = effects.windows(MONDAY, 6)
    assert w["before"] == (MONDAY - timedelta(weeks=6), MONDAY)
    assert w["after"] == (MONDAY, MONDAY + timedelta(weeks=6))


def test_windows_leave_out_the_week_a_mid_week_change_started_in():
    wednesday = MONDAY + timedelta(days=2)
    w = effects.windows(wednesday, 4)
    assert w["before"] == (MONDAY - timedelta(weeks=4), MONDAY)
    assert w["after"] == (MONDAY + timedelta(weeks=1), MONDAY + timedelta(weeks=5))


def _checks(start: date, weeks: int, incidents, engagement, mood, people=2):
    rows = []
    for i in range(weeks):
        for p in range(people):
            rows.append({
                "week_of": start + timedelta(weeks=i),
                "incidents": incidents[i][p],
                "engagement": engagement[i][p],
                "mood": mood[i][p],
            })
    return rows


def test_compare_worked_example():
    # Two people, 4 weeks before and 4 after a Monday change.
    before = _checks(
        MONDAY - timedelta(weeks=4), 4,
        incidents=[(3, 2), (2, 2), (4, 1), (3, 3)],  # weekly totals 5, 4, 5, 6 → 20, mean 5.0
        engagement=[(2, 3), (2, 2), (3, 3), (2, 3)],  # weekly means 2.5, 2, 3, 2.5 → 2.5
        mood=[(3, 3)] * 4,
    )
    after = _checks(
        MONDAY, 4,
        incidents=[(1, 1), (0, 1), (1, 0), (1, 1)],  # 2, 1, 1, 2 → 6, mean 1.5
        engagement=[(4, 4), (3, 4), (4, 4), (4, 3)],  # 4, 3.5, 4, 3.5 → 3.75
        mood=[(3, 3)] * 4,
    )
    result = effects.compare(before + after, MONDAY, 4)
    inc = result["measures"]["incidents"]
    assert result["enough_data"] is True
    assert inc["before"] == {"mean": 5.0, "n": 4, "total": 20}
    assert inc["after"] == {"mean": 1.5, "n": 4, "total": 6}
    # RR = (6/4)/(20/4) = 0.3; se = sqrt(1/6 + 1/20) = 0.465475; exp(ln 0.3 ± 1.959964·0.465475) → 0.1205, 0.7469
    assert inc["rate_ratio"] == 0.3
    assert inc["ci95"] == [0.12, 0.75]
    eng = result["measures"]["engagement"]
    assert eng["before"] == {"mean": 2.5, "n": 4} and eng["after"] == {"mean": 3.75, "n": 4}
    assert eng["difference"] == 1.25
    res = stats.ttest_ind([4, 3.5, 4, 3.5], [2.5, 2, 3, 2.5], equal_var=False).confidence_interval()
    assert eng["ci95"] == [round(res.low, 2), round(res.high, 2)]
    mood = result["measures"]["mood"]
    assert mood["difference"] == 0 and mood["ci95"] == [0, 0]
    assert [row["side"] for row in result["series"]] == ["before"] * 4 + ["after"] * 4
    assert result["series"][0] == {"week_of": "2025-02-03", "side": "before", "people": 2, "incidents": 5, "engagement": 2.5, "mood": 3.0}


def test_compare_ignores_weeks_outside_the_window_and_the_mid_week_start_week():
    wednesday = MONDAY + timedelta(days=2)
    rows = [
        {"week_of": MONDAY - timedelta(weeks=w), "incidents": 9, "engagement": 1, "mood": 1} for w in (5, 6)  # too early for 4 weeks
    ] + [
        {"week_of": MONDAY, "incidents": 50, "engagement": 5, "mood": 5},  # the week the change started in
    ] + [
        {"week_of": MONDAY - timedelta(weeks=w), "incidents": 2, "engagement": 3, "mood": 3} for w in (1, 2, 3, 4)
    ] + [
        {"week_of": MONDAY + timedelta(weeks=w), "incidents": 1, "engagement": 4, "mood": 4} for w in (1, 2, 3, 4)
    ]
    inc = effects.compare(rows, wednesday, 4)["measures"]["incidents"]
    assert inc["before"]["total"] == 8 and inc["after"]["total"] == 4


def test_too_few_weeks_is_not_enough_data_and_says_so():
    rows = [{"week_of": MONDAY - timedelta(weeks=w), "incidents": 2, "engagement": 3, "mood": 3} for w in range(1, 7)]
    rows += [{"week_of": MONDAY + timedelta(weeks=w), "incidents": 1, "engagement": 3, "mood": 3} for w in range(2)]
    result = effects.compare(rows, MONDAY, 6)
    assert result["enough_data"] is False and result["reason"] == "weeks"
    assert result["measures"]["incidents"]["rate_ratio"] is None
    assert result["measures"]["engagement"]["difference"] is None
    text = effects.summarise(result, MONDAY, "Quiet room", [])
    assert "not enough data" in text and "6 weeks with checks before" in text and "2 weeks after" in text
    assert "association" not in text


def test_no_incidents_on_either_side_is_not_enough_data():
    rows = [{"week_of": MONDAY + timedelta(weeks=w), "incidents": 0, "engagement": 3, "mood": 2 + (w % 2)} for w in range(-6, 6)]
    result = effects.compare(rows, MONDAY, 6)
    assert result["enough_data"] is False and result["reason"] == "no_incidents"
    text = effects.summarise(result, MONDAY, "Quiet room", [])
    assert "No incidents were recorded" in text and "not enough data to compare incidents" in text


def test_summary_reports_a_fall_with_its_interval_and_the_overlap():
    before = [{"week_of": MONDAY - timedelta(weeks=w), "incidents": 5, "engagement": 3, "mood": 3} for w in range(1, 7)]
    after = [{"week_of": MONDAY + timedelta(weeks=w), "incidents": 1 + w % 2, "engagement": 3, "mood": 3} for w in range(6)]
    result = effects.compare(before + after, MONDAY, 6)
    text = effects.summarise(
        result, MONDAY, "Quieter breakfast time", [{"description": "Evening walk", "starts_on": "2025-02-10"}]
    )
    assert text.startswith("Incidents fell from 5.0 a week in the 6 weeks before “Quieter breakfast time” started on 3 March 2025 to 1.5 a week")
    assert "rate ratio 0.30, 95% CI" in text
    assert "“Evening walk” on 10 February 2025" in text and "cannot be told apart" in text
    assert text.endswith("This shows association, not cause.")


def test_summary_says_when_the_interval_includes_no_change():
    rows = [{"week_of": MONDAY + timedelta(weeks=w), "incidents": 2 + (w % 3 == 0), "engagement": 3, "mood": 3} for w in range(-6, 6)]
    result = effects.compare(rows, MONDAY, 6)
    text = effects.summarise(result, MONDAY, None, [])
    assert "Incidents went from" in text and "could be chance" in text and "the change started on 3 March 2025" in text


def test_theme_shift_counts_shares_of_reviewed_conversations():
    start = date(2025, 6, 1)
    conversations = [
        # 13 weeks before: 4 reviewed, 3 tagged; one unreviewed (not counted in the share)
        *({"day": start - timedelta(days=30), "reviewed": True, "theme_ids": {"rushed"} if i < 3 else set()} for i in range(4)),
        {"day": start - timedelta(days=20), "reviewed": False, "theme_ids": set()},
        # 13 weeks after: 5 reviewed, 1 tagged
        *({"day": start + timedelta(days=40), "reviewed": True, "theme_ids": {"rushed"} if i == 0 else set()} for i in range(5)),
        # too long ago to count with one quarter
        {"day": start - timedelta(days=200), "reviewed": True, "theme_ids": {"rushed"}},
    ]
    shift = effects.theme_shift(conversations, "rushed", start, 1)
    assert shift["before"]["conversations"] == 5 and shift["before"]["reviewed"] == 4
    assert shift["before"]["tagged"] == 3 and shift["before"]["share"] == 0.75
    assert shift["after"]["tagged"] == 1 and shift["after"]["share"] == 0.2
    assert shift["before"]["quarters"][0]["from"] == "2025-03-02" and shift["after"]["quarters"][0]["to"] == "2025-08-30"


def test_the_headline_is_one_plain_sentence_without_statistics_jargon():
    before = _checks(MONDAY - timedelta(weeks=4), 4, incidents=[(3, 2)] * 4, engagement=[(3, 3)] * 4, mood=[(3, 3)] * 4)
    after = _checks(MONDAY, 4, incidents=[(0, 1)] * 4, engagement=[(3, 3)] * 4, mood=[(3, 3)] * 4)
    fell = effects.headline(effects.compare(before + after, MONDAY, 4))
    assert fell == "Incidents fell after the change, from 5.0 to 1.0 a week."
    few = effects.compare(before[:2], MONDAY, 4)
    theme = {"theme": {"name": "Feeling rushed"}, "before": {"share": 0.8}, "after": {"share": 0.2}}
    assert effects.headline(few, [theme]) == "Feedback about “Feeling rushed” fell after the change, from 80% to 20% of conversations."
    assert effects.headline(few) == "There is not enough data yet to say whether the change made a difference."
    for text in (fell, effects.headline(few, [theme])):
        assert "CI" not in text and "interval" not in text and len(text.split()) < 30


def test_the_95_percent_normal_quantile_constant_is_scipys():
    from server.domain import effects

    assert effects.Z95 == pytest.approx(effects.normal_ppf(0.975), abs=1e-12)
