"""Writes of the intelligence app: classifier versions, early warnings and their decisions,
hotspot snapshots."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError, Forbidden
from zhili.intelligence import conf, selectors, textclf
from zhili.intelligence.decisions import decision_code
from zhili.intelligence.models import (
    ClassifierModel,
    EarlyWarning,
    Hotspot,
    HotspotSnapshot,
    WarningEvent,
)
from zhili.intelligence.scan import Candidate
from zhili.intelligence.states import DECIDE_ROLES, TRANSITIONS, WarningKind


def do_retrain_classifier(
    *, actor: Any = None, folds: int = 5, force: bool = False
) -> ClassifierModel | None:
    """Train on confirmed cases; activate only if cross-validated macro-F1 is not worse.

    The figure compared is each version's own cross-validation on the cases it was trained on:
    a new version replaces the active one when ``new.macro_f1 >= active.macro_f1``. Returns the
    new version (active or not), or ``None`` when there are too few confirmed cases.
    """
    docs, labels = selectors.confirmed_cases()
    counts = Counter(labels)
    keep = {c for c, n in counts.items() if n >= 2}  # a class seen once cannot be validated
    docs = [d for d, lab in zip(docs, labels, strict=True) if lab in keep]
    labels = [lab for lab in labels if lab in keep]
    if len(keep) < 2 or (len(docs) < conf.min_training_cases() and not force):
        return None
    k = max(2, min(folds, min(counts[c] for c in keep)))
    cats = selectors.categories()
    prior = selectors.catalogue_prior(cats, keep)
    report = textclf.evaluate_cv(docs, labels, folds=k, prior=prior, latency=False)
    model = textclf.default_classifier().fit(docs, labels, prior=prior)
    metrics = {
        key: report[key]
        for key in ("macro_f1", "macro_f1_std", "accuracy", "per_class", "folds", "n_prior", "baseline")
    }
    with transaction.atomic():
        current = ClassifierModel.objects.select_for_update().filter(active=True).first()
        better = current is None or current.macro_f1 is None or report["macro_f1"] >= current.macro_f1
        decision = decision_code(
            activated=better,
            macro_f1=report["macro_f1"],
            previous=current.version if current is not None else None,
            previous_f1=current.macro_f1 if current is not None else None,
        )
        if better and current is not None:
            current.active = False
            current.save(update_fields=["active"])
        version = ClassifierModel.objects.create(
            blob=textclf.dump_model(model, metrics={"macro_f1": report["macro_f1"]}),
            labels=model.classes_,
            n_train=len(docs),
            macro_f1=report["macro_f1"],
            metrics=metrics,
            active=better,
            decision=decision,
        )
        record_audit(
            AuditAction.CLASSIFIER_RETRAINED,
            actor=actor,
            target=version,
            details={
                "n_train": len(docs),
                "macro_f1": report["macro_f1"],
                "active": better,
                "decision": decision,
            },
        )
    return version


# -- early warnings --------------------------------------------------------------------------------


def _warning_text(warning: EarlyWarning) -> tuple[str, str]:
    ev = warning.evidence
    values = {
        "area": ev.get("area") or warning.node.name,
        "category": ev.get("category") or "-",
        "day": warning.day.isoformat(),
        "observed": ev.get("observed", 0),
        "expected": ev.get("expected", 0),
        "window": ev.get("window", 0),
    }
    if warning.kind == WarningKind.SPIKE:
        subject = _("Early warning: unusual rise of %(category)s in %(area)s") % values
        body = _("%(observed)s requests on %(day)s where about %(expected)s were expected.") % values
    else:
        subject = _("Early warning: repeated reports in %(area)s") % values
        body = _("%(observed)s reports from one caller or one place within %(window)s days.") % values
    return subject, body


def _warning_url(warning: EarlyWarning) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("intelligence:warning", args=[warning.pk])
    except NoReverseMatch:  # pages not mounted (API-only deployment)
        return ""


def _tell_staff(warning: EarlyWarning) -> int:
    """In-app messages to the supervisors and leaders at the warning's node or above it."""
    from zhili.accounts.roles import Role
    from zhili.cases.notifications import staff_over
    from zhili.notify.actions import do_enqueue_notification
    from zhili.notify.models import NotifyChannel

    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _warning_text(warning)
        users = {u.pk: u for role in (Role.SUPERVISOR, Role.LEADER) for u in staff_over(warning.node, role)}
        for user in users.values():
            do_enqueue_notification(
                channel=NotifyChannel.IN_APP,
                recipient=user,
                subject=subject,
                body=body,
                topic=f"intelligence.warning:{warning.pk}",
                url=_warning_url(warning),
            )
    return len(users)


def _overlaps_earlier(candidate: Candidate) -> bool:
    """Repeated reports: a warning about the same subject that shares a case already says it."""
    subject = candidate.evidence.get("subject")
    if candidate.kind != WarningKind.REPEATED or not subject:
        return False
    ids = set(candidate.evidence.get("case_ids", []))
    earlier = EarlyWarning.objects.filter(
        kind=WarningKind.REPEATED, fingerprint__startswith=f"repeated:{subject}:"
    ).values_list("evidence", flat=True)
    return any(ids & set(ev.get("case_ids", [])) for ev in earlier)


def do_raise_warning(candidate: Candidate, *, now: datetime | None = None) -> EarlyWarning | None:
    """Store a detected signal once: ``None`` when it (or an overlapping one) was raised before.

    The fingerprint's unique constraint settles races between scanners: the loser's insert fails
    and its whole transaction (audit row, messages) is rolled back.
    """
    from zhili.territory.models import Node

    if EarlyWarning.objects.filter(fingerprint=candidate.fingerprint).exists() or _overlaps_earlier(
        candidate
    ):
        return None
    try:
        with transaction.atomic():
            warning = EarlyWarning.objects.create(
                kind=candidate.kind,
                fingerprint=candidate.fingerprint,
                node=Node.objects.get(pk=candidate.node_id),
                category_id=candidate.category_id,
                day=candidate.day,
                severity=candidate.severity,
                evidence=candidate.evidence,
                created_at=now or timezone.now(),
            )
            record_audit(
                AuditAction.WARNING_RAISED,
                target=warning,
                node=warning.node,
                details={
                    "kind": warning.kind,
                    "day": warning.day.isoformat(),
                    "severity": warning.severity,
                    "observed": candidate.evidence.get("observed"),
                    "cases": len(candidate.evidence.get("case_ids", [])),
                },
            )
            _tell_staff(warning)
    except IntegrityError:  # another scanner raised it first
        return None
    return warning


def do_scan_warnings(*, now: datetime | None = None, days: int = 2) -> list[EarlyWarning]:
    """Detect on the last ``days`` days and raise what is new. Safe to run twice, and in parallel."""
    from zhili.cases.rulebook import rulebook
    from zhili.intelligence.scan import repeated_candidates, spike_candidates

    rulebook()  # brings the administrators' holiday arrangements to the calendar of day types
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    candidates = [*spike_candidates(today=today, days=days), *repeated_candidates(now=now)]
    raised = [do_raise_warning(c, now=now) for c in candidates]
    return [w for w in raised if w is not None]


def can_decide(user: Any, warning: EarlyWarning) -> bool:
    from zhili.authz.policies import role_paths

    path = warning.node.path
    return any(path.startswith(p) for role in DECIDE_ROLES for p in role_paths(user, role))


def do_decide_warning(warning_id: int, transition: str, *, actor: Any, note: str = "") -> EarlyWarning:
    """Confirm or dismiss: row lock, table check, one event row and one audit row."""
    from zhili.intelligence.selectors import get_warning_for_user

    note = (note or "").strip()[:2000]
    with transaction.atomic():
        get_warning_for_user(actor, warning_id)  # 404 for missing and invisible
        warning = EarlyWarning.objects.select_for_update().select_related("node").get(pk=warning_id)
        if not can_decide(actor, warning):
            raise Forbidden()
        edge = TRANSITIONS.get(transition)
        if edge is None or edge[0] != warning.state:
            raise DomainError(
                "invalid_transition", _("This warning cannot be changed that way any more."), status=409
            )
        source, target = edge
        warning.state = target
        warning.decided_at = timezone.now()
        warning.decided_by = actor
        warning.save(update_fields=["state", "decided_at", "decided_by"])
        WarningEvent.objects.create(
            warning=warning,
            actor=actor,
            transition=transition,
            from_state=source,
            to_state=target,
            note=note,
            created_at=warning.decided_at,
        )
        record_audit(
            AuditAction.WARNING_DECIDED,
            actor=actor,
            target=warning,
            node=warning.node,
            details={"transition": transition, "from": source, "to": target, "note": note},
        )
    return warning


# -- hotspots ----------------------------------------------------------------------------------------

KEEP_SNAPSHOTS = 3


def do_refresh_hotspots(*, now: datetime | None = None, days: int = 30, top: int = 20) -> HotspotSnapshot:
    """Cluster the live cases of each street into a new snapshot; older snapshots beyond a few go.

    Hotspots are derived data (the next run recomputes them from the cases), so no audit row.
    """
    from zhili.intelligence.hotspots import find_hotspots
    from zhili.intelligence.scan import common_node, live_messages

    now = now or timezone.now()
    per_street = live_messages(now=now, days=days)
    rows = []
    n_cases = 0
    for _street, items in sorted(per_street.items()):
        n_cases += len(items)
        path_of = {m.id: path for m, path in items}
        for h in find_hotspots([m for m, _p in items], top=top):
            rows.append(
                Hotspot(
                    node_id=common_node(path_of[i] for i in h.ids),
                    label=h.label[:200],
                    place=h.place[:100],
                    keywords=h.keywords,
                    size=h.size,
                    reporters=h.reporters,
                    heat=round(h.heat, 3),
                    first_seen=h.first_seen,
                    last_seen=h.last_seen,
                    case_ids=[int(i) for i in h.ids],
                )
            )
    with transaction.atomic():
        snapshot = HotspotSnapshot.objects.create(
            created_at=now, since=now - timedelta(days=days), n_cases=n_cases
        )
        for row in rows:
            row.snapshot = snapshot
        Hotspot.objects.bulk_create(rows)
        keep = list(
            HotspotSnapshot.objects.order_by("-created_at", "-id").values_list("id", flat=True)[
                :KEEP_SNAPSHOTS
            ]
        )
        HotspotSnapshot.objects.exclude(pk__in=keep).delete()
    return snapshot


def run_scan(*, days: int = 2, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: new warnings of the last ``days`` days, then a fresh hotspot snapshot."""
    raised = do_scan_warnings(now=now, days=days)
    snapshot = do_refresh_hotspots(now=now)
    return {"warnings_raised": len(raised), "hotspots": snapshot.hotspots.count(), "cases": snapshot.n_cases}
