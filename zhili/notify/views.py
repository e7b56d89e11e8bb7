"""The in-app inbox: read my messages, open what one is about, mark them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from zhili.core.errors import NotFound
from zhili.core.http import page_errors
from zhili.notify import actions, selectors, topics


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    messages_list = selectors.inbox(request.user, unread_only=unread_only)
    topics.attach_notes(messages_list)
    return render(
        request,
        "notify/inbox.html",
        {
            "messages_list": messages_list,
            "unread_only": unread_only,
        },
    )


@login_required
@require_POST
@page_errors
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one message read, then go where it points (a page of this site only)."""
    message = selectors.own_message(request.user, pk)
    if message is None:
        raise NotFound()
    actions.do_mark_read(message, actor=request.user)
    target = message.url if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notify:inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    actions.do_mark_all_read(actor=request.user)
    return redirect("notify:inbox")
