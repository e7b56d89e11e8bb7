"""Domain errors: refusals with a stable code (English, for the API) and a translated message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal by the domain. ``code`` is stable and English; ``message`` is shown to users.

    Views turn it into a form error; the API turns it into a 4xx with ``{"code", "message"}``.
    """

    status = 400

    def __init__(self, code: str, message: Any = "", *, status: int | None = None, **params: Any) -> None:
        self.code = code
        self.message = str(message) if message else code
        self.params = params
        if status is not None:
            self.status = status
        super().__init__(f"{code}: {self.message}")


class NotFound(DomainError):
    """Missing and invisible objects are one and the same to the caller."""

    status = 404

    def __init__(self, message: Any = "") -> None:
        from django.utils.translation import pgettext

        super().__init__("not_found", message or pgettext("error", "Not found."))


class Forbidden(DomainError):
    """Visible, but this action is not allowed to this user."""

    status = 403

    def __init__(self, message: Any = "") -> None:
        from django.utils.translation import gettext

        super().__init__("forbidden", message or gettext("You are not allowed to do this."))
