"""Assessment pages: runs, indicator set editor, ranking, subject detail, the cases behind a figure,
trend and the .xlsx report. The same actions as the API (zhili.analytics.assessment.api)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhili.analytics.assessment import actions, policies, registry, selectors, xlsx
from zhili.analytics.assessment.forms import (
    ComputeForm,
    CorrectForm,
    IndicatorFormSet,
    IndicatorSetForm,
    manageable_nodes,
)
from zhili.analytics.assessment.models import IndicatorSet
from zhili.analytics.assessment.states import RunState
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors


def _staff(request: HttpRequest) -> None:
    if not policies.is_staff(request.user):
        raise NotFound()


@login_required
@page_errors
def index(request: HttpRequest) -> HttpResponse:
    _staff(request)
    sets = policies.manageable_sets(request.user).select_related("node")
    form = ComputeForm(request.POST or None, sets=sets)
    if request.method == "POST":
        if not sets.exists():
            raise Forbidden()
        if form.is_valid():
            try:
                run = actions.do_compute_run(
                    indicator_set=form.cleaned_data["indicator_set"],
                    month=form.cleaned_data["month"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Computed."))
                return redirect("assessment:run", run_id=run.pk)
    return render(
        request,
        "assessment/index.html",
        {
            "runs": selectors.run_list(request.user)[:200],
            "form": form,
            "can_manage": sets.exists(),
            "sets": policies.visible_sets(request.user)
            .select_related("node")
            .order_by("node__sort_key", "name"),
        },
    )


@login_required
@page_errors
def set_edit(request: HttpRequest, set_id: int | None = None) -> HttpResponse:
    _staff(request)
    nodes = manageable_nodes(request.user)
    if set_id is None:
        if not nodes.exists():
            raise Forbidden()
        instance = IndicatorSet()
    else:
        instance = policies.get_set_for_user(request.user, set_id, manage=True)
    form = IndicatorSetForm(request.POST or None, instance=instance, nodes=nodes)
    formset = IndicatorFormSet(request.POST or None, instance=instance, prefix="ind")
    formset.subject_kind = request.POST.get("subject_kind") or instance.subject_kind  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = actions.do_save_indicator_set(form=form, formset=formset, actor=request.user)
        messages.success(request, _("Indicator set saved."))
        return redirect("assessment:set_edit", set_id=saved.pk)
    return render(
        request,
        "assessment/set_form.html",
        {
            "form": form,
            "formset": formset,
            "indicator_set": instance if instance.pk else None,
            "registry": [
                {
                    "label": d.label,
                    "explanation": registry.explanation_of(d.code),
                    "kinds": d.kinds,
                }
                for d in registry.REGISTRY.values()
            ],
        },
    )


def _run_context(request: HttpRequest, run: Any) -> dict[str, Any]:
    cols = selectors.columns(run)
    rows = selectors.results(request.user, run, cols)
    # How many of the rows have an indicator without data: the page explains what it means.
    without_data = len([row for row in rows if row.without_data])  # type: ignore[attr-defined]
    return {
        "run": run,
        "columns": cols,
        "rows": rows,
        "without_data": without_data,
        "versions": selectors.versions(run),
        "can_manage": policies.can_manage_at(request.user, run.node.path),
        "whole": policies.sees_whole(request.user, run.node.path),
        "correct_form": CorrectForm(),
        "draft": run.state == RunState.DRAFT,
    }


@login_required
@page_errors
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = policies.get_run_for_user(request.user, run_id)
    return render(request, "assessment/run.html", _run_context(request, run))


@login_required
@require_POST
@page_errors
def run_action(request: HttpRequest, run_id: int, verb: str) -> HttpResponse:
    run = policies.get_run_for_user(request.user, run_id, manage=True)
    try:
        if verb == "recompute":
            run = actions.do_recompute_run(run, actor=request.user)
            messages.success(request, _("Computed."))
        elif verb == "publish":
            run = actions.do_publish_run(run, actor=request.user)
            messages.success(request, _("Published. The results are frozen."))
        elif verb == "correct":
            form = CorrectForm(request.POST)
            if not form.is_valid():
                raise DomainError("reason_required", _("Say why the published results are corrected."))
            run = actions.do_correct_run(run, reason=form.cleaned_data["reason"], actor=request.user)
            messages.success(request, _("Correction started as version %(v)s.") % {"v": run.version})
        else:
            raise NotFound()
    except DomainError as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        messages.error(request, exc.message)
    return redirect("assessment:run", run_id=run.pk)


@login_required
@page_errors
def run_export(request: HttpRequest, run_id: int) -> HttpResponse:
    run = policies.get_run_for_user(request.user, run_id)
    cols = selectors.columns(run)
    body = xlsx.workbook_bytes(run, cols, selectors.results(request.user, run, cols))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{xlsx.filename(run)}"'
    return response


@login_required
@page_errors
def subject_detail(request: HttpRequest, run_id: int, result_id: int) -> HttpResponse:
    run = policies.get_run_for_user(request.user, run_id)
    result = policies.get_result_for_user(request.user, run, result_id)
    columns = selectors.columns(run)
    cols = {c.code: c for c in columns}
    ordered = list(result.scores.order_by("position", "id"))
    scores = [{"score": s, "column": cols.get(s.code)} for s in ordered]
    return render(
        request,
        "assessment/subject.html",
        {
            "run": run,
            "result": result,
            "scores": scores,
            "without_data": selectors.without_data(ordered, columns),
        },
    )


@login_required
@page_errors
def explain(request: HttpRequest, run_id: int, score_id: int) -> HttpResponse:
    run = policies.get_run_for_user(request.user, run_id)
    score = selectors.get_score(request.user, run, score_id)
    column = next((c for c in selectors.columns(run) if c.code == score.code), None)
    return render(
        request,
        "assessment/explain.html",
        {"run": run, "score": score, "column": column, "explained": selectors.explain(score)},
    )


@login_required
@page_errors
def trend(request: HttpRequest, set_id: int) -> HttpResponse:
    indicator_set = policies.get_set_for_user(request.user, set_id)
    data = selectors.trend(request.user, indicator_set)
    chart = {
        "months": data["months"],
        "series": [
            {"name": s["name"], "data": [None if t is None else float(t) for t in s["totals"]]}
            for s in data["series"]
        ],
        "yName": _("Total"),
    }
    return render(
        request,
        "assessment/trend.html",
        {
            "indicator_set": indicator_set,
            "trend": data,
            "chart": chart,
            "back": reverse("assessment:index"),
        },
    )
