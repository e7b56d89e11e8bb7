"""Scoring rules and ranking: pure functions over decimals (no database)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENT = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def raw_value(numerator: int, denominator: int | None, *, is_rate: bool) -> Decimal | None:
    """A rate in percent (None without a denominator), or the count itself."""
    if not is_rate:
        return Decimal(numerator)
    if not denominator:
        return None
    return q2(Decimal(numerator) * HUNDRED / Decimal(denominator))


def points_for(value: Decimal | None, config: dict[str, Any], *, higher_is_better: bool = True) -> Decimal:
    """0..100 points (a per-item rule may stop at its cap instead) for one indicator's value."""
    if value is None:
        return HUNDRED if config.get("no_data", "full") == "full" else ZERO
    rule = config.get("rule", "linear")
    floor, target = dec(config.get("floor")), dec(config.get("target"))
    if rule == "per_item":
        per_item = dec(config.get("points_per_item")) or ZERO
        cap = dec(config.get("cap"))
        points = per_item * value
        return q2(min(points, cap) if cap is not None else points)
    if rule == "threshold":
        if target is None:
            return ZERO
        met = value >= target if higher_is_better else value <= target
        return HUNDRED if met else ZERO
    # linear: a straight line through (floor, 0) and (target, 100), clamped; a target below the
    # floor means lower is better (a reopen rate …).
    if floor is None or target is None or floor == target:
        return ZERO
    points = (value - floor) * HUNDRED / (target - floor)
    return q2(max(ZERO, min(HUNDRED, points)))


def weighted(points: Decimal, weight: Decimal) -> Decimal:
    """Points times weight per hundred: with weights adding up to 100 the total is out of 100."""
    return q2(points * weight / HUNDRED)


def competition_ranks(totals: Sequence[Decimal]) -> list[int]:
    """1224 ranking: equal totals share a rank, the next rank skips as many places."""
    order = sorted(range(len(totals)), key=lambda i: -totals[i])
    ranks = [0] * len(totals)
    for place, index in enumerate(order):
        if place and totals[index] == totals[order[place - 1]]:
            ranks[index] = ranks[order[place - 1]]
        else:
            ranks[index] = place + 1
    return ranks


def total_of(parts: Iterable[Decimal]) -> Decimal:
    return q2(sum(parts, ZERO))
