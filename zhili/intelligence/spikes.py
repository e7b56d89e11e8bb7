"""Early warnings (风险预警): unusual counts per category × area × day, and repeated reports.

The count model: each series (category, area) has a daily rate per *day type*: working days,
weekends and statutory holidays, as the official calendar has them (make-up working days 调休
are working days; chinese-calendar), so that a Spring Festival lull lowers neither the
working-day nor the weekend baseline. The rate and its spread come from the series' own last
``window`` days of the same type; extra-Poisson spread is taken as a negative binomial. A day
warns when its count is improbably high (tail probability below ``alpha``), at least
``min_count``, and at least ``min_ratio`` times the expected count. Dips never warn: a holiday
with few requests is not a risk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from scipy import stats


def day_type(day: date) -> str:
    """ "work" (incl. make-up working days), "holiday" (a named statutory holiday) or "weekend".

    Days administrators entered as holiday arrangements (the SLA calendar's entries) come first,
    as they do for SLA clocks: a day off entered is a holiday, a make-up day is a working day."""
    from zhili.cases.sla import entered_day

    entered = entered_day(day)
    if entered is not None:
        return "work" if entered else "holiday"
    return _package_day_type(day)


@lru_cache(maxsize=4096)
def _package_day_type(day: date) -> str:
    try:
        import chinese_calendar

        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if not on_holiday:
            return "work"
        return "holiday" if name else "weekend"
    except (ImportError, NotImplementedError):  # outside the years the calendar knows
        from zhili.cases.sla import FIXED_HOLIDAYS

        if (day.month, day.day) in FIXED_HOLIDAYS:
            return "holiday"
        return "work" if day.weekday() < 5 else "weekend"


@dataclass(frozen=True)
class Spike:
    key: Hashable
    day: date
    observed: int
    expected: float
    p_value: float
    severity: str  # "medium" | "high"

    def evidence(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "observed": self.observed,
            "expected": round(self.expected, 2),
            "p_value": float(f"{self.p_value:.3g}"),
        }


def expected(
    history: Mapping[date, int], day: date, *, window: int = 56, min_history: int = 8
) -> tuple[float, float, int]:
    """Mean and variance of the counts on days of ``day``'s type in the ``window`` days before it.

    Holidays are few: when the window holds too few, days off of both kinds are pooled.
    """
    kind = day_type(day)
    before = [day - timedelta(days=k) for k in range(1, window + 1)]
    values = [history.get(d, 0) for d in before if day_type(d) == kind]
    if kind == "holiday" and len(values) < min_history:
        values = [history.get(d, 0) for d in before if day_type(d) != "work"]
    if not values:
        return 0.0, 0.0, 0
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / max(1, len(values) - 1)
    return mean, var, len(values)


def tail_probability(observed: int, mean: float, var: float) -> float:
    """P(X ≥ observed) under Poisson(mean), or a negative binomial when var > mean."""
    mean = max(mean, 0.1)  # a quiet series still has some chance of a request
    if var > mean * 1.05:
        r = mean * mean / (var - mean)
        p = r / (r + mean)
        return float(stats.nbinom.sf(observed - 1, r, p))
    return float(stats.poisson.sf(observed - 1, mean))


def detect_spikes(
    series: Mapping[Hashable, Mapping[date, int]],
    day: date,
    *,
    window: int = 56,
    alpha: float = 1e-3,
    min_count: int = 5,
    min_ratio: float = 2.0,
    min_history: int = 8,
) -> list[Spike]:
    """Warnings for ``day`` over every (category, area) series; most surprising first."""
    out = []
    for key, history in series.items():
        observed = int(history.get(day, 0))
        if observed < min_count:
            continue
        mean, var, n = expected(history, day, window=window, min_history=min_history)
        if n < min_history or observed < min_ratio * max(mean, 0.5):
            continue
        p = tail_probability(observed, mean, var)
        if p < alpha:
            severe = p < alpha / 1000 or observed >= 4 * max(mean, 1.0)
            out.append(Spike(key, day, observed, mean, p, "high" if severe else "medium"))
    out.sort(key=lambda s: s.p_value)
    return out


def daily_counts(events: Iterable[tuple[Hashable, datetime | date]]) -> dict[Hashable, dict[date, int]]:
    """(key, when) pairs → per key, per day counts."""
    out: dict[Hashable, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for key, when in events:
        d = when.date() if isinstance(when, datetime) else when
        out[key][d] += 1
    return {k: dict(v) for k, v in out.items()}


@dataclass(frozen=True)
class Repeated:
    key: Hashable  # a household, an address, a place
    ids: list[object]
    first: datetime
    last: datetime


def repeated_reports(
    events: Sequence[tuple[Hashable, datetime, object]], *, window_days: float = 30, threshold: int = 3
) -> list[Repeated]:
    """Keys with at least ``threshold`` reports inside any ``window_days`` (矛盾纠纷苗头)."""
    by_key: dict[Hashable, list[tuple[datetime, object]]] = defaultdict(list)
    for key, when, ident in events:
        if key:
            by_key[key].append((when, ident))
    out = []
    span = timedelta(days=window_days)
    for key, items in by_key.items():
        items.sort(key=lambda t: t[0])
        best: list[tuple[datetime, object]] = []
        start = 0
        for end in range(len(items)):
            while items[end][0] - items[start][0] > span:
                start += 1
            if end - start + 1 > len(best):
                best = items[start : end + 1]
        if len(best) >= threshold:
            out.append(Repeated(key, [i for _, i in best], best[0][0], best[-1][0]))
    out.sort(key=lambda r: -len(r.ids))
    return out
