"""Turning domain refusals into responses for pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from zhili.core.errors import Forbidden, NotFound


def page_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound → Django's 404 page, Forbidden → 403 page (same look as every other error)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from None

    return wrapper
