"""The REST API under /api/v1/: every app's router is mounted here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import django_auth

from zhili.core.errors import DomainError

api = NinjaAPI(
    title="zhili 智理 API",
    version="1",
    description="基层治理平台接口 / grassroots governance platform API",
    urls_namespace="api",
    auth=django_auth,
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"code": exc.code, "message": exc.message}, status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # A stable code next to ninja's field-by-field "detail", like every other refusal.
    body = {"code": "validation_error", "message": "invalid request", "detail": exc.errors}
    return api.create_response(request, body, status=422)


def _mount() -> None:
    api.add_router("/accounts/", "zhili.accounts.api.router")
    api.add_router("/audit/", "zhili.audit.api.router")
    from zhili.territory.api import router as territory_router

    api.add_router("/territory/", territory_router)
    from zhili.cases.api import router as cases_router

    api.add_router("/cases/", cases_router)
    api.add_router("/residents/", "zhili.residents.api.router")
    api.add_router("/surveys/", "zhili.participation.surveys.api.router")
    api.add_router("/consultations/", "zhili.participation.consultations.api.router")
    api.add_router("/analytics/", "zhili.analytics.api.router")
    api.add_router("/assessment/", "zhili.analytics.assessment.api.router")
    api.add_router("/emergency/", "zhili.emergency.api.router")
    api.add_router("/disclosure/", "zhili.disclosure.api.router")
    api.add_router("/party/", "zhili.party.api.router")
    api.add_router("/services/", "zhili.services.api.router")


_mount()
