"""Did a co-produced change make a difference? The before/after statistics, defined once.

Pure functions only (no database): server/domain/change_effects.py loads the rows and calls these.
The quantiles and the exact binomial interval come from scipy.stats (scipy.special for the
incomplete beta function); tests/test_effects.py checks them against closed forms, the worked
example in API.md and independent computations.

The comparison (PRODUCT.md, Measures: "Change effect")
------------------------------------------------------
* Windows. Weekly checks are dated by the Monday of their week. The "after" window is the first
  `weeks` weeks starting with the first Monday on or after `starts_on`; the "before" window is the
  `weeks` weeks that end before the Monday of the week containing `starts_on`. When a change starts
  mid-week, that week held both regimes and is left out of both sides.
* Weekly series. For each week with at least one check from the people the change applies to:
  the total incidents (the service's total that week), and the mean engagement and mean mood
  (1-5) over the people checked that week.
* Incidents, a count: before/after mean incidents per week, the number of weeks with data (n) and
  the total. The rate ratio is RR = (a / ta) / (b / tb), with a, b the after and before totals and
  ta, tb the weeks with data on each side (the exposure). Its 95% confidence interval comes from the
  normal approximation to the log rate ratio: exp(ln RR ± z · sqrt(1/a + 1/b)), z = 1.959964.
  That approximation has no answer when one side had no incidents at all; then (and only then) the
  interval is the exact conditional one: given a + b incidents in all, a is binomial with
  p = ta·RR / (ta·RR + tb), so a Clopper-Pearson interval for p turns into one for RR. The reply's
  `method` says which was used.
* Engagement and mood, 1-5 scales: before/after mean of the weekly means and n (weeks); the
  difference (after - before) with a Welch t interval: se = sqrt(s1²/n1 + s2²/n2), degrees of
  freedom by Welch-Satterthwaite, difference ± t(0.975, df) · se, with the Student t quantile for
  real-valued df from scipy.stats.t.
* Enough data: at least MIN_WEEKS weeks with data on each side, and at least one incident on one
  side or the other. Otherwise the figures are shown but the summary says there is not enough data.
* This is a before/after comparison in one service. It shows association, not cause: other things
  change too, which is why changes starting inside the same window are listed.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta


from .dates import monday_of


def _scipy():
    """scipy.stats and scipy.special, imported the first time a change's effect is worked out: they
    add about 80 MB to a process, which an app server that never opens a change page need not carry."""
    from scipy import special, stats

    return stats, special

MIN_WEEKS = 4
LEVEL = 0.95
QUARTER_DAYS = 91  # a 13-week "quarter" counted from a change's start date

# ---------------------------------------------------------------------------
# Distribution functions and the exact binomial interval (scipy.stats)
# ---------------------------------------------------------------------------


def normal_cdf(x: float) -> float:
    stats, _ = _scipy()
    return float(stats.norm.cdf(x))


def normal_ppf(p: float) -> float:
    """Inverse of the standard normal distribution function."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    stats, _ = _scipy()
    return float(stats.norm.ppf(p))


# The 0.975 quantile of the standard normal, normal_ppf(0.5 + LEVEL / 2) (tests/test_effects.py checks it):
# a constant, so importing this module does not load scipy.
Z95 = 1.959963984540054


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    _, special = _scipy()
    return float(special.betainc(a, b, min(max(x, 0.0), 1.0)))


def t_cdf(t: float, df: float) -> float:
    if df <= 0:
        raise ValueError("df must be positive")
    stats, _ = _scipy()
    return float(stats.t.cdf(t, df))


def t_ppf(p: float, df: float) -> float:
    """The inverse Student t distribution function, for any real df > 0."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    if df <= 0:
        raise ValueError("df must be positive")
    stats, _ = _scipy()
    return float(stats.t.ppf(p, df))


def clopper_pearson(x: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval for a binomial proportion x/n: the alpha/2 and
    1 - alpha/2 quantiles of Beta(x, n - x + 1) and Beta(x + 1, n - x)."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError("need 0 <= x <= n and n > 0")
    alpha = 1.0 - level
    stats, _ = _scipy()
    lower = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2.0, x, n - x + 1))
    upper = 1.0 if x == n else float(stats.beta.ppf(1.0 - alpha / 2.0, x + 1, n - x))
    return lower, upper


METHOD_RR_LOG = (
    "Rate ratio of incidents per week, after ÷ before: RR = (a/ta) ÷ (b/tb), where a and b are the "
    "incidents after and before and ta and tb the weeks with checks on each side. 95% confidence "
    "interval by the normal approximation to the log rate ratio: exp(ln RR ± 1.96 × √(1/a + 1/b))."
)
METHOD_RR_EXACT = (
    "Rate ratio of incidents per week, after ÷ before: RR = (a/ta) ÷ (b/tb), where a and b are the "
    "incidents after and before and ta and tb the weeks with checks on each side. One side had no "
    "incidents, so the 95% confidence interval is the exact conditional one: a Clopper-Pearson "
    "interval for a ÷ (a + b), converted to a rate ratio (with no upper limit when there were no incidents before)."
)
METHOD_WELCH = (
    "Difference in means of the weekly means (after − before) on the 1–5 scale, with a 95% Welch t "
    "interval: difference ± t(0.975, df) × √(s₁²/n₁ + s₂²/n₂), df by the Welch-Satterthwaite formula."
)


def rate_ratio(a: int, ta: float, b: int, tb: float, level: float = LEVEL) -> dict:
    """Rate ratio (after ÷ before) of two counts with exposures ta and tb, and its confidence interval.

    Both counts > 0: log normal approximation. One count 0: exact conditional (Clopper-Pearson).
    Both 0: no ratio. Upper limit None means unbounded (no incidents before)."""
    if ta <= 0 or tb <= 0:
        raise ValueError("exposures must be positive")
    if a == 0 and b == 0:
        return {"rate_ratio": None, "ci95": None, "method": METHOD_RR_LOG, "exact": False}
    if a > 0 and b > 0:
        rr = (a / ta) / (b / tb)
        z = normal_ppf(0.5 + level / 2.0)
        se = math.sqrt(1.0 / a + 1.0 / b)
        return {
            "rate_ratio": rr,
            "ci95": [math.exp(math.log(rr) - z * se), math.exp(math.log(rr) + z * se)],
            "method": METHOD_RR_LOG,
            "exact": False,
        }
    p_lo, p_hi = clopper_pearson(a, a + b, level)

    def to_rr(p: float) -> float | None:
        return None if p >= 1.0 else (p / (1.0 - p)) * (tb / ta)

    rr = None if b == 0 else (a / ta) / (b / tb)
    return {"rate_ratio": rr, "ci95": [to_rr(p_lo), to_rr(p_hi)], "method": METHOD_RR_EXACT, "exact": True}


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def sample_variance(values: list[float]) -> float:
    m = sum(values) / len(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def welch_interval(after: list[float], before: list[float], level: float = LEVEL) -> dict:
    """Difference in means (after − before) with a Welch t interval. Needs 2+ values on each side."""
    if len(after) < 2 or len(before) < 2:
        raise ValueError("need at least two values on each side")
    n1, n2 = len(after), len(before)
    m1, m2 = mean(after), mean(before)
    v1, v2 = sample_variance(after) / n1, sample_variance(before) / n2
    diff = m1 - m2
    se = math.sqrt(v1 + v2)
    if se == 0.0:
        # Every week the same on both sides: no spread, so no uncertainty to estimate.
        return {"difference": diff, "ci95": [diff, diff], "df": None, "se": 0.0}
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = t_ppf(0.5 + level / 2.0, df) * se
    return {"difference": diff, "ci95": [diff - half, diff + half], "df": df, "se": se}


# ---------------------------------------------------------------------------
# The change effect
# ---------------------------------------------------------------------------


def shifted(day: date, delta: timedelta) -> date:
    """day + delta, held at the ends of the calendar (years 1 and 9999) instead of overflowing.
    Input dates are kept far from the ends (server/domain/dates.py), but a change stored earlier
    or by hand may start anywhere; its windows are then cut short and hold no data."""
    try:
        return day + delta
    except OverflowError:
        return date.max if delta > timedelta(0) else date.min


def windows(starts_on: date, weeks: int) -> dict:
    """The Mondays of the before and after weeks (see the module docstring)."""
    after_start = starts_on if starts_on.weekday() == 0 else shifted(monday_of(starts_on), timedelta(days=7))
    before_end = monday_of(starts_on)  # exclusive
    before_start = shifted(before_end, -timedelta(weeks=weeks))
    after_end = shifted(after_start, timedelta(weeks=weeks))  # exclusive
    return {"before": (before_start, before_end), "after": (after_start, after_end)}


def weekly_series(checks) -> list[dict]:
    """checks: iterable of objects or dicts with week_of, incidents, engagement, mood.
    One row per week with data: total incidents, mean engagement and mood, people checked."""
    weeks: dict[date, list] = defaultdict(list)
    for c in checks:
        row = c if isinstance(c, dict) else {"week_of": c.week_of, "incidents": c.incidents, "engagement": c.engagement, "mood": c.mood}
        weeks[row["week_of"]].append(row)
    out = []
    for week in sorted(weeks):
        rows = weeks[week]
        out.append(
            {
                "week_of": week,
                "people": len(rows),
                "incidents": sum(r["incidents"] for r in rows),
                "engagement": sum(r["engagement"] for r in rows) / len(rows),
                "mood": sum(r["mood"] for r in rows) / len(rows),
            }
        )
    return out


def _r(x: float | None, places: int = 2):
    return None if x is None else round(x, places)


def _scale_measure(after: list[float], before: list[float]) -> dict:
    out = {
        "before": {"mean": _r(mean(before)), "n": len(before)},
        "after": {"mean": _r(mean(after)), "n": len(after)},
        "difference": None,
        "ci95": None,
        "method": METHOD_WELCH,
    }
    if len(after) >= MIN_WEEKS and len(before) >= MIN_WEEKS:
        w = welch_interval(after, before)
        out["difference"] = _r(w["difference"])
        out["ci95"] = [_r(w["ci95"][0]), _r(w["ci95"][1])]
    return out


def compare(checks, starts_on: date, weeks: int) -> dict:
    """Before/after figures for weekly checks around a change's start date.

    Returns {"weeks", "enough_data", "reason", "window", "measures", "series"}; `reason` is None,
    "weeks" (too few weeks with data on a side) or "no_incidents" (none on either side)."""
    win = windows(starts_on, weeks)
    (b0, b1), (a0, a1) = win["before"], win["after"]
    series = weekly_series(checks)
    before = [w for w in series if b0 <= w["week_of"] < b1]
    after = [w for w in series if a0 <= w["week_of"] < a1]
    nb, na = len(before), len(after)
    tb, ta = sum(w["incidents"] for w in before), sum(w["incidents"] for w in after)

    incidents = {
        "before": {"mean": _r(tb / nb if nb else None), "n": nb, "total": tb},
        "after": {"mean": _r(ta / na if na else None), "n": na, "total": ta},
        "rate_ratio": None,
        "ci95": None,
        "method": METHOD_RR_LOG,
    }
    reason = None
    if nb < MIN_WEEKS or na < MIN_WEEKS:
        reason = "weeks"
    elif ta == 0 and tb == 0:
        reason = "no_incidents"
    else:
        rr = rate_ratio(ta, na, tb, nb)
        incidents["rate_ratio"] = _r(rr["rate_ratio"])
        incidents["ci95"] = [_r(v) for v in rr["ci95"]]
        incidents["method"] = rr["method"]

    measures = {
        "incidents": incidents,
        "engagement": _scale_measure([w["engagement"] for w in after], [w["engagement"] for w in before]),
        "mood": _scale_measure([w["mood"] for w in after], [w["mood"] for w in before]),
    }
    rows = []
    for side, chosen in (("before", before), ("after", after)):
        for w in chosen:
            rows.append(
                {
                    "week_of": w["week_of"].isoformat(),
                    "side": side,
                    "people": w["people"],
                    "incidents": w["incidents"],
                    "engagement": _r(w["engagement"]),
                    "mood": _r(w["mood"]),
                }
            )
    return {
        "weeks": weeks,
        "enough_data": reason is None,
        "reason": reason,
        "window": {
            "before": {"from": b0.isoformat(), "to": shifted(b1, -timedelta(days=1)).isoformat()},
            "after": {"from": a0.isoformat(), "to": shifted(a1, -timedelta(days=1)).isoformat()},
        },
        "measures": measures,
        "series": rows,
    }


def quarter_periods(starts_on: date, quarters: int) -> dict:
    """13-week periods counted back and forward from the start date: before[0] is the one just
    before the change, after[0] the one starting on it."""
    step = timedelta(days=QUARTER_DAYS)
    before = [(shifted(starts_on, -step * (k + 1)), shifted(starts_on, -step * k)) for k in range(quarters)][::-1]
    after = [(shifted(starts_on, step * k), shifted(starts_on, step * (k + 1))) for k in range(quarters)]
    return {"before": before, "after": after}


def theme_shift(conversations, theme_id: str, starts_on: date, quarters: int) -> dict:
    """Share of reviewed conversations tagged with a theme, per 13-week period before vs after.

    conversations: iterable of dicts {"day": date, "reviewed": bool, "theme_ids": set}. The share
    is over reviewed conversations (unreviewed ones have not had the chance to be tagged)."""
    periods = quarter_periods(starts_on, quarters)
    convs = list(conversations)
    out = {}
    for side in ("before", "after"):
        rows = []
        for start, end in periods[side]:
            inside = [c for c in convs if start <= c["day"] < end]
            reviewed = [c for c in inside if c["reviewed"]]
            tagged = sum(1 for c in reviewed if theme_id in c["theme_ids"])
            rows.append(
                {
                    "from": start.isoformat(),
                    "to": shifted(end, -timedelta(days=1)).isoformat(),
                    "conversations": len(inside),
                    "reviewed": len(reviewed),
                    "tagged": tagged,
                    "share": _r(tagged / len(reviewed)) if reviewed else None,
                }
            )
        reviewed_total = sum(r["reviewed"] for r in rows)
        tagged_total = sum(r["tagged"] for r in rows)
        out[side] = {
            "quarters": rows,
            "conversations": sum(r["conversations"] for r in rows),
            "reviewed": reviewed_total,
            "tagged": tagged_total,
            "share": _r(tagged_total / reviewed_total) if reviewed_total else None,
        }
    return out


# ---------------------------------------------------------------------------
# The plain-English sentence
# ---------------------------------------------------------------------------

ASSOCIATION = "This shows association, not cause."


def headline(effect: dict, themes: list[dict] | None = None) -> str:
    """The first thing a reader sees: one sentence in plain words (under 30, no statistics jargon).
    Incidents when they can be compared; otherwise the share of feedback about a theme the change
    answers; otherwise mood or engagement when the difference is clear; otherwise "not enough data".
    The full figures and their intervals are in `summarise` and the tables."""
    inc = effect["measures"]["incidents"]
    if effect["reason"] is None and inc["ci95"] is not None:
        lo, hi = inc["ci95"]
        before, after = _num(inc["before"]["mean"]), _num(inc["after"]["mean"])
        if hi is not None and hi < 1:
            return f"Incidents fell after the change, from {before} to {after} a week."
        if lo is not None and lo > 1:
            return f"Incidents rose after the change, from {before} to {after} a week."
        return f"Incidents went from {before} to {after} a week after the change; a difference this size could be chance."
    for theme in themes or []:
        b, a = theme["before"], theme["after"]
        if b["share"] is None or a["share"] is None or b["share"] == a["share"]:
            continue
        verb = "fell" if a["share"] < b["share"] else "rose"
        return (f"Feedback about “{theme['theme']['name']}” {verb} after the change, "
                f"from {b['share'] * 100:.0f}% to {a['share'] * 100:.0f}% of conversations.")
    for key, label in (("mood", "Mood"), ("engagement", "Engagement")):
        s = effect["measures"][key]
        if s["difference"] is None:
            continue
        lo, hi = s["ci95"]
        if lo > 0 or hi < 0:
            verb = "rose" if lo > 0 else "fell"
            return f"{label} {verb} after the change, from {_num(s['before']['mean'])} to {_num(s['after']['mean'])} out of 5."
    return "There is not enough data yet to say whether the change made a difference."


def long_date(day: date) -> str:
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
    return f"{day.day} {months[day.month - 1]} {day.year}"


def _num(x: float | None, places: int = 1) -> str:
    return "–" if x is None else f"{x:.{places}f}"


def _quarters(n: int) -> str:
    return _weeks(13 * n)


def _weeks(n: int) -> str:
    return f"{n} week" if n == 1 else f"{n} weeks"


def summarise(effect: dict, starts_on: date, name: str | None, overlapping: list[dict], themes: list[dict] | None = None) -> str:
    """One paragraph of plain English. `name` is the change's description (None: "the change",
    for anonymised views). `overlapping`: [{"description" (optional), "starts_on"}]."""
    what = f"“{name}”" if name else "the change"
    started = f"{what} started on {long_date(starts_on)}"
    m = effect["measures"]
    inc = m["incidents"]
    nb, na = inc["before"]["n"], inc["after"]["n"]
    parts = []
    found = False
    if effect["reason"] == "weeks":
        if nb == 0 and na == 0:
            parts.append(
                f"No weekly checks were recorded in the {_weeks(effect['weeks'])} before or after {started}, "
                "so there is not enough data to judge it from weekly figures."
            )
        else:
            parts.append(
                f"There is not enough data to judge {what} from weekly checks: {_weeks(nb)} with checks before it "
                f"started on {long_date(starts_on)} and {_weeks(na)} after; at least {MIN_WEEKS} are needed on each side."
            )
    elif effect["reason"] == "no_incidents":
        parts.append(
            f"No incidents were recorded in the {_weeks(nb)} before or the {_weeks(na)} after {started}, "
            "so there is not enough data to compare incidents."
        )
    else:
        rr, ci = inc["rate_ratio"], inc["ci95"]
        lo, hi = ci
        before_mean, after_mean = inc["before"]["mean"], inc["after"]["mean"]
        if hi is None:
            interval = f"95% CI from {_num(lo, 2)} upwards"
        else:
            interval = f"95% CI {_num(lo, 2)} to {_num(hi, 2)}"
        ratio = f"rate ratio {_num(rr, 2)}, " if rr is not None else ""
        if hi is not None and hi < 1:
            verb = "fell"
        elif lo is not None and lo > 1:
            verb = "rose"
        else:
            verb = "went"
        sentence = (
            f"Incidents {verb} from {_num(before_mean)} a week in the {_weeks(nb)} before {started} "
            f"to {_num(after_mean)} a week in the {_weeks(na)} after ({ratio}{interval})"
        )
        if verb == "went":
            sentence += "; the interval includes no change, so this could be chance"
        parts.append(sentence + ".")
        found = True
    for key, label in (("engagement", "Engagement"), ("mood", "Mood")):
        s = m[key]
        if s["difference"] is None:
            continue
        lo, hi = s["ci95"]
        diff = s["difference"]
        if lo > 0:
            verb = "rose"
        elif hi < 0:
            verb = "fell"
        else:
            verb = "went"
        sentence = (
            f"{label} (1–5) {verb} from {_num(s['before']['mean'])} to {_num(s['after']['mean'])} "
            f"(difference {diff:+.1f}, 95% CI {_num(lo)} to {_num(hi)}"
        )
        sentence += ", which includes no change)." if verb == "went" else ")."
        parts.append(sentence)
        found = True
    for theme in themes or []:
        b, a = theme["before"], theme["after"]
        if b["share"] is None or a["share"] is None:
            continue
        label = f"“{theme['theme']['name']}”" if theme.get("theme", {}).get("name") else "a theme it answers"
        parts.append(
            f"Feedback conversations tagged {label} went from {b['tagged']} of {b['reviewed']} reviewed "
            f"({b['share'] * 100:.0f}%) in the {_quarters(len(b['quarters']))} before to {a['tagged']} of {a['reviewed']} "
            f"({a['share'] * 100:.0f}%) in the {_quarters(len(a['quarters']))} after."
        )
        found = True
    if not found:
        # Nothing measured: say so, and make no claim (not even an association).
        return " ".join(parts)
    if overlapping:
        named = [
            (f"“{o['description']}” on " if o.get("description") else "a change on ") + long_date(date.fromisoformat(o["starts_on"]))
            for o in overlapping
        ]
        other = "Another change" if len(named) == 1 else "Other changes"
        parts.append(
            f"{other} started within the same weeks ({'; '.join(named)}), so the effects cannot be told apart."
        )
    parts.append(ASSOCIATION)
    return " ".join(parts)
