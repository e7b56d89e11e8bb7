"""Case statuses and the one table of allowed transitions.

Every status change goes through ``zhili.cases.actions.do_transition`` which refuses any
(transition, from, to) that is not an edge of ``TRANSITIONS``. A transition may have several edges
(``resume`` returns to whatever status the case was suspended from; ``rate`` ends in ``rated`` or,
the first time a resident is dissatisfied, reopens the case). ``tests/test_states.py`` holds the
table against the actions: every edge is walked by its action, and no action leaves the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhili.accounts.roles import Role


class CaseStatus(models.TextChoices):
    # main path
    PENDING = "pending", _("Pending acceptance")  # 待受理: in the dispatcher's queue
    ACCEPTED = "accepted", _("Accepted")  # 已受理: taken on, not yet dispatched
    DISPATCHED = "dispatched", _("Dispatched")  # 已派单: waiting for the department/grid to sign
    SIGNED = "signed", _("Signed for")  # 已签收
    IN_PROGRESS = "in_progress", _("In progress")  # 处理中
    RESOLVED = "resolved", _("Resolved")  # 已办结: feedback given, waiting for verification
    VERIFIED = "verified", _("Verified")  # 已核实: confirmed on site, waiting for the rating
    RATED = "rated", _("Rated")  # 已评价
    CLOSED = "closed", _("Closed")  # 已关闭
    # side paths
    RETURNED = "returned", _("Returned")  # 已退回: back with the dispatcher (or the supervisor)
    EXTENSION_PENDING = "extension_pending", _("Extension awaiting approval")  # 延期审批中
    SUSPENDED = "suspended", _("Suspended")  # 挂起: the SLA clock is paused
    REJECTED = "rejected", _("Rejected")  # 不予受理
    MERGED = "merged", _("Merged")  # 已合并 into another case


# Not finished: these count for queues, deadlines and duplicate search.
OPEN_STATUSES = frozenset(
    {
        CaseStatus.PENDING,
        CaseStatus.ACCEPTED,
        CaseStatus.DISPATCHED,
        CaseStatus.SIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.RETURNED,
        CaseStatus.EXTENSION_PENDING,
        CaseStatus.SUSPENDED,
    }
)
# The finish clock runs in these (open minus suspended). The sweep only looks at them.
CLOCK_RUNNING_STATUSES = OPEN_STATUSES - {CaseStatus.SUSPENDED}
FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED})
# Where a suspension or an extension request can come back to.
WORKING_STATUSES = (CaseStatus.SIGNED, CaseStatus.IN_PROGRESS)
SUSPENDABLE_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.DISPATCHED, CaseStatus.SIGNED, CaseStatus.IN_PROGRESS)
MERGEABLE_STATUSES = (CaseStatus.PENDING, CaseStatus.ACCEPTED, CaseStatus.DISPATCHED)

# The status a new case comes from in the table (it has none yet).
NEW = ""
# The pseudo-role of the system itself: intake from a signed webhook, the sweep, default ratings.
SYSTEM = "system"
# The pseudo-role of anyone at all (the public H5 form).
ANYONE = "anyone"


class Transition(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    ACCEPT = "accept", _("Accepted")
    REJECT = "reject", _("Rejected")
    DISPATCH = "dispatch", _("Dispatched")
    SIGN = "sign", _("Signed for")
    START = "start", _("Handling started")
    RETURN = "return", _("Returned")
    ARBITRATE = "arbitrate", _("Arbitrated")
    TRANSFER = "transfer", _("Transferred")
    REQUEST_EXTENSION = "request_extension", _("Extension requested")
    APPROVE_EXTENSION = "approve_extension", _("Extension approved")
    DENY_EXTENSION = "deny_extension", _("Extension denied")
    SUSPEND = "suspend", _("Suspended")
    RESUME = "resume", _("Resumed")
    RESOLVE = "resolve", _("Resolved")
    VERIFY = "verify", _("Verified")
    SEND_BACK = "send_back", _("Sent back for rework")
    RATE = "rate", _("Rated by the resident")
    RATE_BY_PHONE = "rate_by_phone", _("Rated by follow-up call")
    RATE_DEFAULT = "rate_default", _("Rated by default")
    CLOSE = "close", _("Closed")
    MERGE = "merge", _("Merged")


@dataclass(frozen=True)
class Edge:
    transition: Transition
    source: str  # a CaseStatus value, or NEW
    target: CaseStatus


@dataclass(frozen=True)
class Rule:
    """Who may take a transition, and the guards its action checks (names, for the docs and tests)."""

    roles: frozenset[str]
    guards: tuple[str, ...] = ()


S = CaseStatus
T = Transition


def _edges(transition: Transition, sources: tuple[str, ...], *targets: CaseStatus) -> list[Edge]:
    return [Edge(transition, source, target) for source in sources for target in targets]


# fmt: off
EDGES: list[Edge] = [
    # Intake: straight to the dispatcher's queue, or dispatched by a rule when the category is sure.
    *_edges(T.SUBMIT, (NEW,), S.PENDING, S.DISPATCHED),
    *_edges(T.ACCEPT, (S.PENDING,), S.ACCEPTED),
    *_edges(T.REJECT, (S.PENDING, S.ACCEPTED), S.REJECTED),
    # Dispatching from the queue; a returned case goes out again unless it needs arbitration.
    *_edges(T.DISPATCH, (S.PENDING, S.ACCEPTED, S.RETURNED), S.DISPATCHED),
    *_edges(T.SIGN, (S.DISPATCHED,), S.SIGNED),
    *_edges(T.START, (S.SIGNED,), S.IN_PROGRESS),
    *_edges(T.RETURN, (S.DISPATCHED, S.SIGNED), S.RETURNED),
    *_edges(T.ARBITRATE, (S.RETURNED,), S.DISPATCHED),
    *_edges(T.TRANSFER, (S.DISPATCHED, S.SIGNED, S.IN_PROGRESS), S.DISPATCHED),
    *_edges(T.REQUEST_EXTENSION, WORKING_STATUSES, S.EXTENSION_PENDING),
    *_edges(T.APPROVE_EXTENSION, (S.EXTENSION_PENDING,), *WORKING_STATUSES),
    *_edges(T.DENY_EXTENSION, (S.EXTENSION_PENDING,), *WORKING_STATUSES),
    *_edges(T.SUSPEND, SUSPENDABLE_STATUSES, S.SUSPENDED),
    *_edges(T.RESUME, (S.SUSPENDED,), *SUSPENDABLE_STATUSES),
    *_edges(T.RESOLVE, (S.IN_PROGRESS,), S.RESOLVED),
    *_edges(T.VERIFY, (S.RESOLVED,), S.VERIFIED),
    *_edges(T.SEND_BACK, (S.RESOLVED,), S.IN_PROGRESS),
    # Rating: satisfied → rated; the first 不满意 reopens (重办) to the same handler with priority.
    *_edges(T.RATE, (S.VERIFIED,), S.RATED, S.DISPATCHED),
    *_edges(T.RATE_BY_PHONE, (S.VERIFIED,), S.RATED, S.DISPATCHED),
    *_edges(T.RATE_DEFAULT, (S.VERIFIED,), S.RATED),
    *_edges(T.CLOSE, (S.RATED,), S.CLOSED),
    *_edges(T.MERGE, MERGEABLE_STATUSES, S.MERGED),
]
# fmt: on

STAFF_DISPATCH = frozenset({Role.DISPATCHER, Role.SUPERVISOR})
HANDLERS = frozenset({Role.HANDLER, Role.GRID_WORKER})

RULES: dict[Transition, Rule] = {
    # Channel-specific checks happen in do_submit_case (a patrol report needs a grid worker …).
    T.SUBMIT: Rule(frozenset({ANYONE}), ("channel_allowed", "location_in_territory")),
    T.ACCEPT: Rule(STAFF_DISPATCH),
    T.REJECT: Rule(STAFF_DISPATCH, ("reason_from_list",)),
    T.DISPATCH: Rule(STAFF_DISPATCH, ("target_given", "not_awaiting_arbitration")),
    # HANDLERS: the handler of the case's department, or a grid worker of the grid it went to.
    T.SIGN: Rule(HANDLERS, ("is_assignee",)),
    T.START: Rule(HANDLERS, ("is_assignee",)),
    T.RETURN: Rule(HANDLERS, ("is_assignee", "reason_given", "not_binding")),
    T.ARBITRATE: Rule(frozenset({Role.SUPERVISOR}), ("awaiting_arbitration", "target_given")),
    T.TRANSFER: Rule(STAFF_DISPATCH, ("reason_given", "target_given", "not_binding")),
    T.REQUEST_EXTENSION: Rule(HANDLERS, ("is_assignee", "reason_given", "later_deadline")),
    T.APPROVE_EXTENSION: Rule(STAFF_DISPATCH),
    T.DENY_EXTENSION: Rule(STAFF_DISPATCH),
    T.SUSPEND: Rule(STAFF_DISPATCH, ("reason_given",)),
    T.RESUME: Rule(STAFF_DISPATCH),
    T.RESOLVE: Rule(HANDLERS, ("is_assignee", "feedback_given", "photo_if_category_requires")),
    # The supervisor, or a grid worker of the case's own grid (on site).
    T.VERIFY: Rule(frozenset({Role.SUPERVISOR, Role.GRID_WORKER}), ("verifier_of_case",)),
    T.SEND_BACK: Rule(frozenset({Role.SUPERVISOR, Role.GRID_WORKER}), ("verifier_of_case", "reason_given")),
    T.RATE: Rule(frozenset({Role.RESIDENT}), ("is_reporter",)),
    T.RATE_BY_PHONE: Rule(frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.COMMUNITY_STAFF})),
    T.RATE_DEFAULT: Rule(frozenset({SYSTEM}), ("rating_window_passed",)),
    # After a second 不满意 only a supervisor closes.
    T.CLOSE: Rule(STAFF_DISPATCH | {SYSTEM}, ("supervisor_if_disputed",)),
    T.MERGE: Rule(STAFF_DISPATCH, ("main_case_open",)),
}

EDGE_SET = frozenset((e.transition, e.source, e.target) for e in EDGES)


def is_edge(transition: Transition, source: str, target: str) -> bool:
    return (transition, source, target) in EDGE_SET


def targets_from(transition: Transition, source: str) -> list[CaseStatus]:
    return [e.target for e in EDGES if e.transition == transition and e.source == source]


def transitions_from(source: str) -> list[Transition]:
    """Transitions with at least one edge leaving ``source``, in table order."""
    seen: list[Transition] = []
    for edge in EDGES:
        if edge.source == source and edge.transition not in seen:
            seen.append(edge.transition)
    return seen
