from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from zhili.audit.models import AuditAction, AuditEvent
from zhili.cases.models import Category
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.intelligence import selectors
from zhili.intelligence.actions import do_decide_warning, do_scan_warnings
from zhili.intelligence.models import EarlyWarning, WarningEvent
from zhili.intelligence.states import TRANSITIONS, WarningKind, WarningState
from zhili.intelligence.tests.history import add_cases, at, poisson_history, write_history
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db

START, END = date(2024, 1, 2), date(2024, 3, 8)
NOW = at(END, 20)


@pytest.fixture
def cats():
    hb = Category.objects.create(code="HB", name="环境保护", level=1)
    sub = Category.objects.create(code="HB-ZY", name="噪音", level=2, parent=hb)
    jt = Category.objects.create(code="JT", name="交通运输", level=1)
    return {"HB": hb, "HB-ZY": sub, "JT": jt}


def history(region, cats):
    # the sub-category counts in its top-level category's series
    return poisson_history(
        {(cats["HB-ZY"], region.grid_a): 4.0, (cats["JT"], region.grid_c): 3.0, (cats["HB"], region.c2): 2.0},
        START,
        END,
    )


def scan():
    # the whole Spring Festival (10-17 Feb 2024) and the weeks after it
    return do_scan_warnings(now=NOW, days=(END - date(2024, 2, 8)).days + 1)


def test_a_holiday_dip_and_the_return_to_work_raise_no_warning(region, cats):
    write_history(history(region, cats))
    assert scan() == []
    assert not EarlyWarning.objects.exists()


def test_an_injected_spike_raises_exactly_that_warning_once(region, cats):
    h = history(region, cats)
    spike_day = date(2024, 3, 6)
    h[(cats["HB-ZY"], region.grid_a)][spike_day] = 16
    write_history(h)
    raised = scan()
    assert [(w.kind, w.node_id, w.category_id, w.day) for w in raised] == [
        (WarningKind.SPIKE, region.c1.pk, cats["HB"].pk, spike_day)
    ]
    w = raised[0]
    assert w.state == WarningState.NEW and w.severity in ("medium", "high")
    assert w.evidence["observed"] == 16 and 2 <= w.evidence["expected"] <= 6
    assert len(w.case_ids) == 16 and w.evidence["series"][-1] == {
        "day": "2024-03-06",
        "count": 16,
        "expected": w.evidence["expected"],
    }
    assert AuditEvent.objects.filter(action=AuditAction.WARNING_RAISED, target_id=str(w.pk)).count() == 1
    told = set(
        Notification.objects.filter(topic=f"intelligence.warning:{w.pk}").values_list("recipient", flat=True)
    )
    assert told == {region.user("supervisor").pk, region.user("leader").pk}
    # the next scans find the same spike and raise nothing
    assert scan() == [] and do_scan_warnings(now=NOW, days=3) == []
    assert EarlyWarning.objects.count() == 1


def test_repeated_reports_from_one_caller_raise_one_warning(region, cats):
    resident = region.user("resident")
    now = timezone.now()
    base = [
        {"node": region.grid_a, "reporter": resident, "channel": "h5", "created_at": now - timedelta(days=d)}
        for d in (9, 4, 1)
    ]
    add_cases(base)
    raised = do_scan_warnings(now=now, days=1)
    assert [(w.kind, w.node_id, w.evidence["observed"], w.evidence["by"]) for w in raised] == [
        (WarningKind.REPEATED, region.grid_a.pk, 3, "caller")
    ]
    assert resident.username not in str(raised[0].evidence)
    # one more report from the same caller: the warning already says it
    add_cases([{"node": region.grid_a, "reporter": resident, "channel": "h5", "created_at": now}])
    # what staff type in (calls, patrols) is not one caller reporting again and again
    staff = region.user("dispatcher")
    add_cases(
        [{"node": region.grid_b, "reporter": staff, "created_at": now - timedelta(hours=h)} for h in range(5)]
    )
    assert do_scan_warnings(now=now + timedelta(minutes=1), days=1) == []
    # two reports are no pattern
    add_cases(
        [
            {"node": region.grid_b, "address": "幸福路 8 号", "created_at": now - timedelta(days=d)}
            for d in (2, 1)
        ]
    )
    assert do_scan_warnings(now=now + timedelta(minutes=2), days=1) == []


def test_repeated_reports_about_one_place(region):
    now = timezone.now()
    add_cases(
        [
            {"node": region.grid_c, "address": "幸福路8号", "created_at": now - timedelta(days=d)}
            for d in (20, 7, 3, 2)
        ]
    )
    (w,) = do_scan_warnings(now=now, days=1)
    assert (
        w.evidence["by"] == "place" and w.evidence["place"] == "幸福路8号" and w.node_id == region.grid_c.pk
    )
    assert w.severity == "medium"


def test_repeated_reports_name_a_category_only_when_they_share_one(region, cats, client, login):
    from django.urls import reverse

    now = timezone.now()
    same = [
        {
            "node": region.grid_c,
            "address": "幸福路8号",
            "category": cat,
            "created_at": now - timedelta(days=d),
        }
        for d, cat in ((5, cats["HB"]), (3, cats["HB-ZY"]), (2, cats["HB"]))
    ]  # a sub-category counts as its top-level one
    mixed = [
        {
            "node": region.grid_a,
            "address": "朝阳北街13号",
            "category": cat,
            "created_at": now - timedelta(days=d),
        }
        for d, cat in ((5, cats["HB"]), (3, cats["JT"]), (2, None))
    ]
    add_cases(same + mixed)
    by_place = {w.evidence["place"]: w for w in do_scan_warnings(now=now, days=1)}
    one, several = by_place["幸福路8号"], by_place["朝阳北街13号"]
    assert one.category_id == cats["HB"].pk and one.category_label == "环境保护"
    assert several.category_id is None and several.evidence["categories"] == 2
    assert several.category_label == "多个类别" and several.summary.startswith(
        "重复反映 · Grid A · 多个类别 · "
    )
    login("supervisor")
    page = client.get(reverse("intelligence:warning", args=[several.pk])).content.decode()
    assert "重复反映 · Grid A · 多个类别</h1>" in page
    page = client.get(reverse("intelligence:warnings")).content.decode()
    assert "<td>多个类别</td>" in page and "<td>环境保护</td>" in page


def _warning(region, state=WarningState.NEW, node=None):
    n = EarlyWarning.objects.count()
    return EarlyWarning.objects.create(
        kind=WarningKind.SPIKE,
        fingerprint=f"test:{n}",
        node=node or region.c1,
        day=date(2024, 3, 6),
        severity="high",
        evidence={"observed": 9, "expected": 2.0, "case_ids": []},
        state=state,
    )


def test_transition_table_holds_against_the_action(region):
    supervisor = region.user("supervisor")
    for name, (source, target) in TRANSITIONS.items():
        w = _warning(region, state=source)
        done = do_decide_warning(w.pk, name, actor=supervisor, note=f"because {name}")
        assert done.state == target and done.decided_by == supervisor and done.decided_at
        event = WarningEvent.objects.get(warning=w)
        assert (event.transition, event.from_state, event.to_state, event.note) == (
            name,
            source,
            target,
            f"because {name}",
        )
        assert AuditEvent.objects.filter(action=AuditAction.WARNING_DECIDED, target_id=str(w.pk)).count() == 1
        for state in WarningState.values:
            if state == source:
                continue
            other = _warning(region, state=state)
            with pytest.raises(DomainError) as exc:
                do_decide_warning(other.pk, name, actor=supervisor)
            assert exc.value.code == "invalid_transition"
    w = _warning(region)
    with pytest.raises(DomainError):
        do_decide_warning(w.pk, "escalate", actor=supervisor)
    assert EarlyWarning.objects.get(pk=w.pk).state == WarningState.NEW


def test_who_may_see_and_decide(region):
    w = _warning(region)  # at community 1
    for persona in ("supervisor", "leader", "community_staff"):
        assert selectors.get_warning_for_user(region.user(persona), w.pk) == w
    for persona in ("outsider", "grid_worker_a", "resident", "auditor", "admin", "nobody"):
        with pytest.raises(NotFound):
            do_decide_warning(w.pk, "confirm", actor=region.user(persona))
    with pytest.raises(Forbidden):
        do_decide_warning(w.pk, "confirm", actor=region.user("leader"))
    elsewhere = _warning(region, node=region.c2)
    with pytest.raises(NotFound):
        do_decide_warning(elsewhere.pk, "dismiss", actor=region.user("community_staff"))
    done = do_decide_warning(w.pk, "dismiss", actor=region.user("community_staff"), note="已知原因")
    assert done.state == WarningState.DISMISSED


def test_open_warnings_interface_is_scoped_and_newest_first(region):
    a = _warning(region)
    b = _warning(region, node=region.c2)
    _warning(region, state=WarningState.DISMISSED)
    b.day = date(2024, 3, 7)
    b.save()
    assert selectors.open_warnings(region.user("supervisor")) == [b, a]
    assert selectors.open_warnings(region.user("supervisor"), node=region.c1) == [a]
    assert selectors.open_warnings(region.user("community_staff")) == [a]
    assert selectors.open_warnings(region.user("outsider")) == []
    assert selectors.open_warnings(region.user("supervisor"), limit=1) == [b]
