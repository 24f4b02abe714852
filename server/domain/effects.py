"""Did a co-produced change make a difference? The before/after statistics, defined once.

Pure functions only (no database): server/domain/improvement.py loads the rows and calls these.
Nothing here imports scipy; tests/test_effects.py checks every number against scipy.

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
  freedom by Welch-Satterthwaite, difference ± t(0.975, df) · se. The Student t quantile is
  computed here by inverting the t distribution function (itself the regularised incomplete beta
  function, by its continued fraction), with safeguarded Newton steps.
* Enough data: at least MIN_WEEKS weeks with data on each side, and at least one incident on one
  side or the other. Otherwise the figures are shown but the summary says there is not enough data.
* This is a before/after comparison in one service. It shows association, not cause: other things
  change too, which is why changes starting inside the same window are listed.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

MIN_WEEKS = 4
LEVEL = 0.95
QUARTER_DAYS = 91  # a 13-week "quarter" counted from a change's start date

# ---------------------------------------------------------------------------
# Distribution functions (no scipy)
# ---------------------------------------------------------------------------


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def normal_ppf(p: float) -> float:
    """Inverse of the standard normal distribution function: Wichura's algorithm AS 241 (PPND16,
    about 16 digits), polished with one Newton step on math.erfc."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
                   + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                 + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
                   + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                 + 42.313330701600911252) * r + 1.0)
        x = q * num / den
    else:
        r = p if q < 0 else 1.0 - p
        r = math.sqrt(-math.log(r))
        if r <= 5.0:
            r -= 1.6
            num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                       + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                     + 4.6303378461565452959) * r + 1.42343711074968357734)
            den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                       + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                     + 2.05319162663775882187) * r + 1.0)
        else:
            r -= 5.0
            num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                       + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                     + 5.4637849111641143699) * r + 6.6579046435011037772)
            den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                       + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                     + 0.59983220655588793769) * r + 1.0)
        x = num / den
        if q < 0:
            x = -x
    # One Newton step against the exact distribution function.
    density = math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    if density > 0:
        x -= (normal_cdf(x) - p) / density
    return x


Z95 = normal_ppf(0.5 + LEVEL / 2)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz's method)."""
    tiny, eps = 1e-300, 1e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 20000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def beta_ppf(p: float, a: float, b: float) -> float:
    """The inverse of I_x(a, b) in x, by bisection (the function is monotone on [0, 1])."""
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must be between 0 and 1")
    if p == 0.0:
        return 0.0
    if p == 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(400):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if betainc(a, b, mid) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0."""
    return 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))


def t_cdf(t: float, df: float) -> float:
    if df <= 0:
        raise ValueError("df must be positive")
    tail = _t_upper_tail(abs(t), df)
    return 1.0 - tail if t > 0 else tail


def t_pdf(t: float, df: float) -> float:
    return math.exp(
        math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
        - (df + 1.0) / 2.0 * math.log1p(t * t / df)
    )


def t_ppf(p: float, df: float) -> float:
    """The inverse Student t distribution function, for any real df > 0.

    Solves P(T > t) = 1 - p for t >= 0 (using symmetry for p < 0.5) by Newton's method on the exact
    tail probability, kept inside a shrinking bracket (a bisection step whenever Newton would leave it).
    """
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    if df <= 0:
        raise ValueError("df must be positive")
    if p == 0.5:
        return 0.0
    upper = p > 0.5
    target = 1.0 - p if upper else p  # an upper-tail probability below 0.5
    lo, hi = 0.0, max(1.0, normal_ppf(1.0 - target))
    while _t_upper_tail(hi, df) > target:
        lo, hi = hi, hi * 2.0
        if hi > 1e300:
            break
    t = 0.5 * (lo + hi)
    for _ in range(200):
        g = _t_upper_tail(t, df) - target
        if g > 0:
            lo = t
        else:
            hi = t
        slope = t_pdf(t, df)
        step = g / slope if slope > 0 else 0.0
        nxt = t + step
        if not (lo < nxt < hi) or slope == 0:
            nxt = 0.5 * (lo + hi)
        if abs(nxt - t) <= 1e-15 * max(1.0, abs(t)):
            t = nxt
            break
        t = nxt
    return t if upper else -t


# ---------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------


def clopper_pearson(x: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval for a binomial proportion x/n."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError("need 0 <= x <= n and n > 0")
    alpha = 1.0 - level
    lower = 0.0 if x == 0 else beta_ppf(alpha / 2.0, x, n - x + 1)
    upper = 1.0 if x == n else beta_ppf(1.0 - alpha / 2.0, x + 1, n - x)
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
    "interval for a ÷ (a + b), converted to a rate ratio (an upper limit of null means unbounded)."
)
METHOD_WELCH = (
    "Difference in means of the weekly means (after − before) on the 1-5 scale, with a 95% Welch t "
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


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def windows(starts_on: date, weeks: int) -> dict:
    """The Mondays of the before and after weeks (see the module docstring)."""
    after_start = starts_on if starts_on.weekday() == 0 else monday_of(starts_on) + timedelta(days=7)
    before_end = monday_of(starts_on)  # exclusive
    before_start = before_end - timedelta(weeks=weeks)
    after_end = after_start + timedelta(weeks=weeks)  # exclusive
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
            "before": {"from": b0.isoformat(), "to": (b1 - timedelta(days=1)).isoformat()},
            "after": {"from": a0.isoformat(), "to": (a1 - timedelta(days=1)).isoformat()},
        },
        "measures": measures,
        "series": rows,
    }


def quarter_periods(starts_on: date, quarters: int) -> dict:
    """13-week periods counted back and forward from the start date: before[0] is the one just
    before the change, after[0] the one starting on it."""
    step = timedelta(days=QUARTER_DAYS)
    before = [(starts_on - step * (k + 1), starts_on - step * k) for k in range(quarters)][::-1]
    after = [(starts_on + step * k, starts_on + step * (k + 1)) for k in range(quarters)]
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
                    "to": (end - timedelta(days=1)).isoformat(),
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
