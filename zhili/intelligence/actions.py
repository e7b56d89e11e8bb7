"""Writes of the intelligence app: training a classifier version and (maybe) activating it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.intelligence import conf, selectors, textclf
from zhili.intelligence.models import ClassifierModel


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
        if better:
            decision = f"activated: macro-F1 {report['macro_f1']:.4f}" + (
                f" ≥ {current.macro_f1:.4f} of {current.version}" if current and current.macro_f1 else ""
            )
            if current is not None:
                current.active = False
                current.save(update_fields=["active"])
        else:
            assert current is not None and current.macro_f1 is not None
            decision = f"kept {current.version}: macro-F1 {report['macro_f1']:.4f} < {current.macro_f1:.4f}"
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
