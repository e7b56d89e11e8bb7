"""From the case table to warning candidates and hotspot inputs (reads only; actions write).

Spikes (``spike_candidates``): every case counts once, on its local (Asia/Shanghai) day, in the
series of its top-level category × its community (cases filed above any community count at their
own node). ``spikes.detect_spikes`` judges each scanned day against the series' own history of the
same day type, so weekends and the Spring Festival do not raise anything.

Repeated reports (``repeated_candidates``, 矛盾纠纷苗头): the same caller (account or phone,
through the blind index: no number is read) or the same address, ``threshold`` times within
``window_days``.

A candidate's fingerprint names the signal: the same series and day, or the same subject and
first case, always give the same text, so a second scan raises nothing new.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from zhili.intelligence import spikes
from zhili.intelligence.hotspots import Message
from zhili.intelligence.states import Severity, WarningKind
from zhili.territory.models import NodeKind

SERIES_DAYS_SHOWN = 28


def spike_window() -> int:
    return int(getattr(settings, "ZHILI_WARNING_WINDOW_DAYS", 56))


def repeat_threshold() -> int:
    return int(getattr(settings, "ZHILI_WARNING_REPEAT_THRESHOLD", 3))


def repeat_window_days() -> int:
    return int(getattr(settings, "ZHILI_WARNING_REPEAT_DAYS", 30))


@dataclass
class Candidate:
    kind: str
    fingerprint: str
    node_id: int
    category_id: int | None
    day: date
    severity: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class _Tree:
    """Node kinds and paths, and top-level categories, loaded once per scan."""

    def __init__(self) -> None:
        from zhili.cases.models import Category
        from zhili.territory.models import Node, NodeKind

        self.nodes = {pk: (kind, path, name) for pk, kind, path, name in Node.objects.values_list(
            "id", "kind", "path", "name"
        )}  # fmt: skip
        self.community = NodeKind.COMMUNITY
        self.street = NodeKind.STREET
        parents = dict(Category.objects.values_list("id", "parent_id"))
        self.category_names = dict(Category.objects.values_list("id", "name"))
        self.top: dict[int, int] = {}
        for pk in parents:
            top, hops = pk, 0
            while parents.get(top) is not None and hops < 5:
                top, hops = parents[top], hops + 1
            self.top[pk] = top

    def area(self, path: str) -> int:
        """The community a case lies in, or its own node when it lies above every community."""
        ids = path_ids(path)
        for pk in ids:
            if self.nodes.get(pk, ("",))[0] == self.community:
                return pk
        return ids[-1]

    def street_of(self, path: str) -> int:
        ids = path_ids(path)
        for pk in ids:
            if self.nodes.get(pk, ("",))[0] == self.street:
                return pk
        return ids[0]

    def name(self, pk: int) -> str:
        return self.nodes.get(pk, ("", "", ""))[2]


def _local_day(when: datetime) -> date:
    return timezone.localtime(when).date()


def spike_candidates(*, today: date, days: int = 2, window: int | None = None) -> list[Candidate]:
    """Unusual rises on the ``days`` days up to and including ``today``."""
    from zhili.cases.models import Case

    window = window or spike_window()
    first = today - timedelta(days=days - 1)
    rows = Case.objects.filter(
        category__isnull=False,
        created_at__gte=_start_of(first - timedelta(days=window)),
        created_at__lt=_start_of(today + timedelta(days=1)),
    ).values_list("id", "created_at", "node__path", "category_id")
    tree = _Tree()
    series: dict[Hashable, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    ids_on: dict[tuple[Hashable, date], list[int]] = defaultdict(list)
    for pk, created, path, category_id in rows.iterator():
        key = (tree.top.get(category_id, category_id), tree.area(path))
        day = _local_day(created)
        series[key][day] += 1
        if day >= first:
            ids_on[(key, day)].append(pk)
    out = []
    d = first
    while d <= today:
        for s in spikes.detect_spikes(series, d, window=window):
            series_key: tuple[int, int] = s.key  # type: ignore[assignment]
            category_id, node_id = series_key
            history = series[s.key]
            shown = []
            for k in range(SERIES_DAYS_SHOWN - 1, -1, -1):
                day = d - timedelta(days=k)
                mean, _var, _n = spikes.expected(history, day, window=window)
                shown.append(
                    {"day": day.isoformat(), "count": history.get(day, 0), "expected": round(mean, 2)}
                )
            out.append(
                Candidate(
                    kind=WarningKind.SPIKE,
                    fingerprint=f"spike:{category_id}:{node_id}:{d.isoformat()}",
                    node_id=node_id,
                    category_id=category_id,
                    day=d,
                    severity=s.severity,
                    evidence={
                        **s.evidence(),
                        "window": window,
                        "day_type": spikes.day_type(d),
                        "category": tree.category_names.get(category_id, ""),
                        "area": tree.name(node_id),
                        "series": shown,
                        "case_ids": sorted(ids_on[(s.key, d)]),
                    },
                )
            )
        d += timedelta(days=1)
    return out


def caller_key(reporter_id: int | None, bidx: str, channel: str) -> str:
    """Who called: the phone (through its blind index), or the resident's own account on the
    resident form. Staff who type in calls or patrol reports are not the caller."""
    from zhili.cases.models import Channel

    if bidx:
        return f"m{bidx}"
    if reporter_id and channel == Channel.H5:
        return f"u{reporter_id}"
    return ""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _place(address: str) -> str:
    return "".join(address.split())


def repeated_candidates(
    *, now: datetime, window_days: int | None = None, threshold: int | None = None
) -> list[Candidate]:
    """Callers and addresses with ``threshold`` or more reports within the last ``window_days``."""
    from zhili.cases.models import Case

    window_days = window_days or repeat_window_days()
    threshold = threshold or repeat_threshold()
    rows = list(
        Case.objects.filter(created_at__gte=now - timedelta(days=window_days), created_at__lte=now)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "created_at",
            "node__path",
            "category_id",
            "reporter_id",
            "contact_mobile_bidx",
            "address",
            "channel",
        )
    )
    tree = _Tree()
    by_id = {r[0]: r for r in rows}
    events: list[tuple[Hashable, datetime, object]] = []
    for pk, created, _path, _cat, reporter_id, bidx, address, channel in rows:
        caller = caller_key(reporter_id, bidx, channel)
        if caller:
            events.append((("caller", caller), created, pk))
        place = _place(address or "")
        if len(place) >= 4:
            events.append((("place", place), created, pk))
    out = []
    for r in spikes.repeated_reports(events, window_days=window_days, threshold=threshold):
        subject_key: tuple[str, str] = r.key  # type: ignore[assignment]
        subject_kind, subject = subject_key
        ids = sorted(int(str(i)) for i in r.ids)
        members = [by_id[i] for i in ids]
        node_id = common_node(m[2] for m in members)
        tops = Counter(tree.top.get(m[3], m[3]) for m in members if m[3])
        # one caller or one place, whatever the reports are about: a category only when they share one
        category_id = next(iter(tops)) if len(tops) == 1 else None
        n = len(ids)
        severity = Severity.HIGH if n >= 2 * threshold else Severity.MEDIUM if n > threshold else Severity.LOW
        digest = _digest(f"{subject_kind}:{subject}")
        out.append(
            Candidate(
                kind=WarningKind.REPEATED,
                fingerprint=f"repeated:{digest}:{ids[0]}",
                node_id=node_id,
                category_id=category_id,
                day=_local_day(r.last),
                severity=severity,
                evidence={
                    "subject": digest,
                    "by": subject_kind,  # "caller" | "place"
                    # an address is shown (staff of the area see it on the cases anyway); a
                    # caller is never named here, only counted
                    "place": subject if subject_kind == "place" else "",
                    "observed": n,
                    "threshold": threshold,
                    "window": window_days,
                    "first": timezone.localtime(r.first).isoformat(timespec="minutes"),
                    "last": timezone.localtime(r.last).isoformat(timespec="minutes"),
                    "category": tree.category_names.get(category_id, "") if category_id else "",
                    "categories": len(tops),
                    "area": tree.name(node_id),
                    "case_ids": ids,
                },
            )
        )
    return out


def live_messages(*, now: datetime, days: int = 30) -> dict[int, list[tuple[Message, str]]]:
    """Open cases and those of the last ``days``, per street, as hotspot messages with their node path.

    A message's place, when its words name none, is the place named in the case's address (a
    compound, road or village, never the address itself: 幸福里5栋2单元302室 would put a
    resident's home on the big screen), else the case's grid; its weight is the case's 附议."""
    from django.db.models import Count, Q

    from zhili.cases.models import Case, CaseSupport
    from zhili.cases.states import OPEN_STATUSES

    cases = Case.objects.filter(
        Q(created_at__gte=now - timedelta(days=days)) | Q(status__in=sorted(OPEN_STATUSES))
    ).filter(created_at__lte=now)
    support = dict(
        CaseSupport.objects.filter(case__in=cases.values("id"))
        .values("case_id")
        .annotate(n=Count("id"))
        .values_list("case_id", "n")
    )
    rows = cases.order_by("id").values_list(
        "id", "title", "body", "created_at", "reporter_id", "contact_mobile_bidx", "node__path", "channel",
        "address",
    )  # fmt: skip
    tree = _Tree()
    # Names of streets and communities say where the request was filed, not what place it is
    # about: left in, they would make one "place" of a whole street (like the A市 prefixes that
    # hotspots.py drops).
    names = sorted(
        {n for kind, _p, n in tree.nodes.values() if kind != NodeKind.GRID and len(n) >= 2}, key=len
    )
    admin = re.compile("|".join(re.escape(n) for n in reversed(names))) if names else None
    out: dict[int, list[tuple[Message, str]]] = defaultdict(list)
    for pk, title, body, created, reporter_id, bidx, path, channel, address in rows.iterator():
        if admin is not None:
            title, body, address = admin.sub(" ", title), admin.sub(" ", body), admin.sub(" ", address)
        reporter = caller_key(reporter_id, bidx, channel)
        message = Message(
            str(pk),
            title,
            body,
            created,
            reporter,
            float(support.get(pk, 0)),
            _fallback_place(tree, path, address),
        )
        out[tree.street_of(path)].append((message, path))
    return dict(out)


def _fallback_place(tree: _Tree, path: str, address: str) -> str:
    from zhili.intelligence.hotspots import extract_place
    from zhili.intelligence.textclf import normalise

    place = extract_place(normalise(address)) if address.strip() else ""
    if place:
        return place
    node_id = path_ids(path)[-1]
    return tree.name(node_id) if tree.nodes.get(node_id, ("",))[0] == NodeKind.GRID else ""


def path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def common_node(paths: Iterable[str]) -> int:
    """The deepest node on every one of ``paths``."""
    chains = [path_ids(p) for p in paths]
    out = chains[0][0]
    for level in zip(*chains, strict=False):
        if len(set(level)) != 1:
            break
        out = level[0]
    return out
