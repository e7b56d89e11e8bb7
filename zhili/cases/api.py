"""/api/v1/cases/: intake with Idempotency-Key, scoped reads, transitions, signed webhook, public tracking.

Refusals carry a stable ``code``: domain refusals from the actions (409 for a transition not allowed
in the current state, 422 for bad input, 404/403 for scope), and ``validation_error`` (422) for a
body that does not fit the schema.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.responses import NinjaJSONEncoder

from zhili.accounts.models import Department
from zhili.cases import actions, selectors, tracking
from zhili.cases.intake import client_address, request_hash, run_idempotent, verify_webhook
from zhili.cases.models import Case, Category, Channel
from zhili.cases.photos import photo_response
from zhili.cases.states import Transition
from zhili.core.errors import DomainError
from zhili.territory.models import Node, NodeKind

router = Router(tags=["cases"])


class ErrorOut(Schema):
    code: str
    message: str


class CaseIn(Schema):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=5000)
    lat: float | None = Field(None, description="latitude (WGS 84 degrees)")
    lng: float | None = Field(None, description="longitude (WGS 84 degrees)")
    address: str = ""
    node: str | None = Field(None, description="territory node code, when there is no place")
    category: str | None = Field(None, description="category code")
    urgency: str = "normal"
    channel: str = Field("api", description="api; staff may also file hotline or patrol reports")
    contact_name: str = ""
    contact_mobile: str = ""
    anonymous: bool = False
    external_ref: str = ""
    photos: list[str] = Field(default_factory=list, description="base64 JPEG or PNG, at most 6")


class WebhookCaseIn(Schema):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=5000)
    lat: float | None = None
    lng: float | None = None
    address: str = ""
    node: str | None = None
    category: str | None = None
    urgency: str = "normal"
    contact_name: str = ""
    contact_mobile: str = ""
    external_ref: str = ""


class Ref(Schema):
    id: int
    name: str


class CategoryRef(Schema):
    code: str
    name: str


class ContactOut(Schema):
    name: str
    mobile: str


class EventOut(Schema):
    id: int
    kind: str
    label: str
    from_status: str
    to_status: str
    actor: str
    note: str
    data: dict[str, Any]
    created_at: datetime
    attachments: list[int]


class CaseOut(Schema):
    id: int
    code: str
    title: str
    body: str
    status: str
    status_label: str
    channel: str
    category: CategoryRef | None
    category_confidence: float | None
    node: Ref
    grid_id: int | None
    lat: float | None
    lng: float | None
    address: str
    urgency: str
    priority: int
    department: Ref | None
    assigned_grid: Ref | None
    binding: bool
    return_count: int
    reopen_count: int
    needs_review: bool
    merged_into: str | None
    anonymous: bool
    contact: ContactOut
    sla_state: str
    accept_due_at: datetime | None
    contact_due_at: datetime | None
    contacted_at: datetime | None = Field(..., description="when the resident was first contacted")
    finish_due_at: datetime | None
    escalated_at: datetime | None
    created_at: datetime
    allowed_transitions: list[str]
    events: list[EventOut]


class CaseRow(Schema):
    id: int
    code: str
    title: str
    status: str
    status_label: str
    category: str
    department: str
    sla_state: str
    priority: int
    finish_due_at: datetime | None
    created_at: datetime


class CaseListOut(Schema):
    count: int
    items: list[CaseRow]


class ListQuery(Schema):
    status: str = ""
    sla_state: str = ""
    q: str = Field("", max_length=100)
    phone: str = Field("", max_length=20)
    mine: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class TransitionIn(Schema):
    note: str = ""
    reason: str = ""
    feedback: str = ""
    department: int | None = None
    grid: int | None = None
    until: datetime | None = None
    rating: str = ""
    comment: str = ""
    into: str | None = Field(None, description="tracking code of the main case (merge)")
    category: str | None = Field(
        default=None,
        description="code of a category that confirms or corrects the case's category "
        "(accept, dispatch, arbitrate and transfer only)",
    )
    photos: list[str] = Field(default_factory=list)


class ContactIn(Schema):
    note: str


class TrackQuery(Schema):
    code: str = Field(..., max_length=16)
    phone4: str = Field(..., max_length=4)


class TrackEventOut(Schema):
    at: datetime
    label: str
    status: str
    status_label: str
    handled_by: str
    reason: str


class MergedOut(Schema):
    code: str
    status_label: str


class TrackOut(Schema):
    code: str
    title: str
    status: str
    status_label: str
    category: str
    created_at: datetime
    overdue: bool
    can_rate: bool
    timeline: list[TrackEventOut]
    result: str = Field(..., description="The handling result once the case is resolved, numbers masked")
    merged_into: MergedOut | None


def _photos(encoded: list[str]) -> list[bytes]:
    if len(encoded) > 6:
        raise DomainError("too_many_photos", _("At most %(n)s photos.") % {"n": 6}, status=422)
    out = []
    for item in encoded:
        try:
            out.append(base64.b64decode(item, validate=True))
        except (binascii.Error, ValueError):
            raise DomainError(
                "upload_not_image", _("Only JPEG or PNG photos can be uploaded."), status=422
            ) from None
    return out


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise DomainError("category_invalid", _("Unknown category."), status=422)
    return category


def _node(code: str | None) -> Node | None:
    if not code:
        return None
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise DomainError("node_not_found", _("Unknown area."), status=422)
    return node


def _created(user: Any, case: Case) -> str:
    """The response's JSON text, encoded once as the API encodes it: sent as it is, and stored as
    it is for an Idempotency-Key replay (which the API sends again from the stored value).

    ``staff_view`` is already in ``CaseOut``'s shape, with values of its types, so it is encoded
    without validating it again (that cost more than the rest of the response);
    ``test_intake_cost`` holds it equal to what the detail endpoint sends through the schema."""
    return json.dumps(selectors.staff_view(user, case), cls=NinjaJSONEncoder)


def _reply(response: HttpResponse, status: int, body: dict[str, Any] | str, replayed: bool) -> Any:
    if isinstance(body, str):  # already encoded
        return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(status, body)


@router.post(
    "/",
    response={201: CaseOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    url_name="cases_submit",
    summary="Submit a case (send an Idempotency-Key header to retry safely)",
)
def submit_case(request: HttpRequest, response: HttpResponse, payload: CaseIn) -> Any:
    user = request.user
    if payload.channel not in (Channel.API, Channel.HOTLINE, Channel.PATROL, Channel.H5):
        raise DomainError("channel_invalid", _("Unknown channel."), status=422)

    def run() -> tuple[int, dict[str, Any] | str, Case | None]:
        case = actions.do_submit_case(
            actor=user,
            channel=payload.channel,
            title=payload.title,
            body=payload.body,
            lat=payload.lat,
            lng=payload.lng,
            address=payload.address,
            node=_node(payload.node),
            category=_category(payload.category),
            urgency=payload.urgency,
            contact_name=payload.contact_name,
            contact_mobile=payload.contact_mobile,
            anonymous=payload.anonymous,
            external_ref=payload.external_ref,
            photos=_photos(payload.photos),
        )
        return 201, _created(user, selectors.submitted_case(user, case)), case

    status, body, replayed = actions.retry_code_clash(
        lambda: run_idempotent(
            owner=f"user:{user.pk}",
            key=request.headers.get("Idempotency-Key"),
            digest=request_hash(payload.model_dump()),
            run=run,
        )
    )
    return _reply(response, status, body, replayed)


@router.post(
    "/webhook",
    auth=None,
    response={201: CaseOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    url_name="cases_webhook",
    summary="Signed intake from another system (HMAC-SHA256, see the docs of zhili.cases.intake)",
)
def webhook(request: HttpRequest, response: HttpResponse) -> Any:
    signature = verify_webhook(request)
    try:
        payload = WebhookCaseIn.model_validate_json(request.body)
    except ValueError:
        raise DomainError(
            "validation_error", _("The request body does not fit the schema."), status=422
        ) from None

    def run() -> tuple[int, dict[str, Any], Case | None]:
        case = actions.do_submit_case(
            actor=actions.SYSTEM_ACTOR,
            channel=Channel.WEBHOOK,
            title=payload.title,
            body=payload.body,
            lat=payload.lat,
            lng=payload.lng,
            address=payload.address,
            node=_node(payload.node),
            category=_category(payload.category),
            urgency=payload.urgency,
            contact_name=payload.contact_name,
            contact_mobile=payload.contact_mobile,
            external_ref=payload.external_ref,
        )
        case = Case.objects.select_related("category", "department", "node", "assigned_grid").get(pk=case.pk)
        return (
            201,
            json.loads(CaseOut.model_validate(selectors.staff_view(None, case)).model_dump_json()),
            case,
        )

    status, body, replayed = actions.retry_code_clash(
        lambda: run_idempotent(
            owner="webhook",
            key=request.headers.get("Idempotency-Key") or signature,
            digest=request_hash(payload.model_dump()),
            run=run,
        )
    )
    return _reply(response, status, body, replayed)


@router.post(
    "/track",
    auth=None,
    response={200: TrackOut, 404: ErrorOut, 429: ErrorOut},
    url_name="cases_track",
    summary="Public tracking by code and the last four digits of the phone (rate-limited)",
    description="A POST, so that the four digits stay out of URLs, proxy logs and browser history.",
)
def track(request: HttpRequest, query: TrackQuery) -> Any:
    case = tracking.lookup(client_address(request), query.code, query.phone4)
    return selectors.public_view(case)


@router.get("/", response=CaseListOut, url_name="cases_list", summary="Cases the user may see")
def list_cases(request: HttpRequest, query: Query[ListQuery]) -> Any:
    cases = selectors.case_list(
        request.user,
        selectors.CaseFilters(
            status=query.status, sla_state=query.sla_state, q=query.q, phone=query.phone, mine=query.mine
        ),
    )
    page = list(cases[query.offset : query.offset + query.limit])
    return {
        "count": cases.count(),
        "items": [
            {
                "id": c.pk,
                "code": c.code,
                "title": c.title,
                "status": c.status,
                "status_label": str(c.get_status_display()),
                "category": c.category.name if c.category else "",
                "department": c.department.name
                if c.department
                else (c.assigned_grid.name if c.assigned_grid else ""),
                "sla_state": c.sla_state,
                "priority": c.priority,
                "finish_due_at": c.finish_due_at,
                "created_at": c.created_at,
            }
            for c in page
        ],
    }


@router.get(
    "/{int:case_id}",
    response={200: CaseOut, 404: ErrorOut},
    url_name="cases_detail",
    summary="One case with its timeline",
)
def get_case(request: HttpRequest, case_id: int) -> Any:
    return selectors.staff_view(request.user, selectors.case_detail(request.user, case_id))


_IMAGE = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/{int:case_id}/attachments/{int:attachment_id}",
    response={404: ErrorOut},
    url_name="cases_attachment",
    summary="A photo of a case (JPEG or PNG, its EXIF location removed at upload)",
    openapi_extra={
        "responses": {
            200: {"description": "The photo", "content": {"image/jpeg": _IMAGE, "image/png": _IMAGE}}
        }
    },
)
def attachment(request: HttpRequest, case_id: int, attachment_id: int) -> Any:
    """The ids are those of ``attachments`` in a case's timeline."""
    return photo_response(selectors.case_photo(request.user, case_id, pk=attachment_id))


def _department(pk: int | None) -> Department | None:
    if pk is None:
        return None
    department = Department.objects.select_related("node").filter(pk=pk).first()
    if department is None:
        raise DomainError("department_not_found", _("Unknown department."), status=422)
    return department


def _grid(pk: int | None) -> Node | None:
    if pk is None:
        return None
    grid = Node.objects.filter(pk=pk, kind=NodeKind.GRID).first()
    if grid is None:
        raise DomainError("grid_invalid", _("Choose a grid."), status=422)
    return grid


# The transitions that take a category (the dispatcher's confirmation or correction).
CATEGORY_TRANSITIONS = frozenset(
    {Transition.ACCEPT, Transition.DISPATCH, Transition.ARBITRATE, Transition.TRANSFER}
)


def run_transition(
    user: Any, case: Case, name: str, data: TransitionIn, photos: list[bytes] | None = None
) -> Case:
    """One transition by name, from the API or a page (both call the same actions)."""
    try:
        transition = Transition(name)
    except ValueError:
        raise DomainError("unknown_transition", _("Unknown action."), status=404) from None
    a = actions
    images = photos or []
    department, grid = _department(data.department), _grid(data.grid)
    if data.category and transition not in CATEGORY_TRANSITIONS:
        raise DomainError(
            "category_not_applicable",
            _("The category can be set only when accepting, dispatching, arbitrating or transferring."),
            status=422,
        )
    category = _category(data.category)
    calls: dict[Transition, Any] = {
        Transition.ACCEPT: lambda: a.do_accept(case, actor=user, note=data.note, category=category),
        Transition.REJECT: lambda: a.do_reject(case, actor=user, reason=data.reason, note=data.note),
        Transition.DISPATCH: lambda: a.do_dispatch(
            case, actor=user, note=data.note, department=department, grid=grid, category=category
        ),
        Transition.SIGN: lambda: a.do_sign(case, actor=user, note=data.note),
        Transition.START: lambda: a.do_start(case, actor=user, note=data.note),
        Transition.RETURN: lambda: a.do_return(case, actor=user, reason=data.reason),
        Transition.ARBITRATE: lambda: a.do_arbitrate(
            case, actor=user, note=data.note, department=department, grid=grid, category=category
        ),
        Transition.TRANSFER: lambda: a.do_transfer(
            case, actor=user, reason=data.reason, department=department, grid=grid, category=category
        ),
        Transition.REQUEST_EXTENSION: lambda: a.do_request_extension(
            case, actor=user, until=_required_until(data.until), reason=data.reason
        ),
        Transition.APPROVE_EXTENSION: lambda: a.do_approve_extension(case, actor=user, note=data.note),
        Transition.DENY_EXTENSION: lambda: a.do_deny_extension(case, actor=user, note=data.note),
        Transition.SUSPEND: lambda: a.do_suspend(case, actor=user, reason=data.reason),
        Transition.RESUME: lambda: a.do_resume(case, actor=user, note=data.note),
        Transition.RESOLVE: lambda: a.do_resolve(case, actor=user, feedback=data.feedback, photos=images),
        Transition.VERIFY: lambda: a.do_verify(case, actor=user, note=data.note, photos=images),
        Transition.SEND_BACK: lambda: a.do_send_back(case, actor=user, reason=data.reason, photos=images),
        Transition.RATE: lambda: a.do_rate(case, actor=user, rating=data.rating, comment=data.comment),
        Transition.RATE_BY_PHONE: lambda: a.do_rate_by_phone(
            case, actor=user, rating=data.rating, comment=data.comment
        ),
        Transition.CLOSE: lambda: a.do_close(case, actor=user, note=data.note),
        Transition.MERGE: lambda: a.do_merge(
            case, actor=user, into=_main_case(user, data.into), note=data.note
        ),
    }
    if transition not in calls:  # submit and the system's default rating have no endpoint
        raise DomainError("unknown_transition", _("Unknown action."), status=404)
    result: Case = calls[transition]()
    return result


def _required_until(until: datetime | None) -> datetime:
    if until is None or until.tzinfo is None:
        raise DomainError("until_required", _("Give the new deadline with its time zone."), status=422)
    return until


def _main_case(user: Any, code: str | None) -> Case:
    if not code:
        raise DomainError("into_required", _("Give the tracking code of the main case."), status=422)
    main = selectors.visible_cases(user).filter(code=code.strip().upper()).first()
    if main is None:
        # The case being merged exists; it is the code typed for the main one that is wrong.
        raise DomainError(
            "main_case_not_found", _("No request you can see has this tracking code."), status=422
        )
    return main


@router.post(
    "/{int:case_id}/transitions/{name}",
    response={200: CaseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    url_name="cases_transition",
    summary="Take a transition (accept, dispatch, sign, … see allowed_transitions of the case)",
)
def transition(request: HttpRequest, case_id: int, name: str, payload: TransitionIn) -> Any:
    case = selectors.case_detail(request.user, case_id)
    run_transition(request.user, case, name, payload, _photos(payload.photos))
    return selectors.staff_view(request.user, selectors.case_detail(request.user, case_id))


@router.post(
    "/{int:case_id}/contact",
    response={200: CaseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    url_name="cases_contact",
    summary="Record that the handler reached the resident",
)
def contact(request: HttpRequest, case_id: int, payload: ContactIn) -> Any:
    case = selectors.case_detail(request.user, case_id)
    actions.do_record_contact(case, actor=request.user, note=payload.note)
    return selectors.staff_view(request.user, selectors.case_detail(request.user, case_id))
