"""Election pages: officials run the election, residents vote on their phones, anyone reads the board.

Every page loads its election through ``policies``: staff through their territory scope (outsider
404, read-only 403 on writes), residents through their place on the roll, the public only once
results are published.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhili.accounts.models import User
from zhili.accounts.roles import READ_ONLY_ROLES, Role
from zhili.authz.policies import has_role, path_q
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors
from zhili.participation.elections import actions, forms, policies, rules, selectors, signing
from zhili.participation.elections.models import (
    Ballot,
    Booth,
    BoothEntry,
    Candidate,
    Election,
    Objection,
    ResidentAccount,
    RollEntry,
    Turnout,
)
from zhili.participation.elections.policies import ElectionAction
from zhili.participation.elections.states import ROLL_POSTED, ElectionStatus
from zhili.residents.actions import do_look_up_by_number
from zhili.residents.models import Person
from zhili.residents.selectors import classify_query, search_persons
from zhili.territory.models import Node, NodeKind

PAGE_SIZE = 50
BOARD_PAGE_SIZE = 100


def _staff(request: HttpRequest, pk: int, action: ElectionAction = ElectionAction.VIEW) -> Election:
    return policies.get_election_for_staff(request.user, pk, action)


def _back(election: Election) -> HttpResponse:
    return redirect("participation:election", pk=election.pk)


def _refusal(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# ---------------------------------------------------------------------------------------------
# Lists and the election page


@login_required
@require_GET
def election_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff = policies.is_election_staff(user)
    context: dict[str, Any] = {
        "staff_elections": (
            policies.staff_elections(user).select_related("node").order_by("-election_day", "-id")
            if staff
            else []
        ),
        "can_create": bool(_manageable_communities(user).exists()),
        "my_elections": [],
        "linked": policies.linked_person_id(user) is not None,
        "is_resident": has_role(user, Role.RESIDENT),
        "posted_rolls": list(
            policies.community_roll_elections(user).select_related("node").order_by("-election_day", "-id")
        )
        if has_role(user, Role.RESIDENT)
        else [],
    }
    person_id = policies.linked_person_id(user)
    if person_id is not None:
        entries = {
            entry.election_id: entry
            for entry in RollEntry.objects.filter(person_id=person_id).select_related("turnout")
        }
        elections = list(policies.voter_elections(user).select_related("node").order_by("-election_day"))
        context["my_elections"] = [(election, entries.get(election.pk)) for election in elections]
    return render(request, "participation/elections/list.html", context)


def _manageable_communities(user: Any) -> Any:
    paths = policies.staff_paths(user, ElectionAction.MANAGE)
    return Node.objects.filter(path_q(paths, "path"), kind=NodeKind.COMMUNITY).order_by("sort_key")


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def election_new(request: HttpRequest) -> HttpResponse:
    nodes = _manageable_communities(request.user)
    if not nodes.exists():
        # A read-only role sees elections but may not start one; anyone else has no business here.
        if has_role(request.user, *READ_ONLY_ROLES) and policies.is_election_staff(request.user):
            raise Forbidden()
        raise NotFound()
    form = forms.NewElectionForm(request.POST or None, nodes=nodes)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            election = actions.do_create_election(
                node=data.pop("node"),
                kind=data.pop("kind"),
                title=data.pop("title"),
                election_day=data.pop("election_day"),
                actor=request.user,
                **data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Election created. Add its posts next."))
            return _back(election)
    return render(request, "participation/elections/form.html", {"form": form, "election": None})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def election_settings(request: HttpRequest, pk: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    form = forms.ElectionForm(request.POST or None, instance=election)
    if election.status != ElectionStatus.DRAFT:
        messages.error(request, _("The rules can only change while the election is a draft."))
        return _back(election)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.changed_data}
        election.refresh_from_db()  # the form wrote onto the instance; the action does the change
        try:
            if values:
                actions.do_update_election_rules(election, actor=request.user, **values)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Settings saved."))
            return _back(election)
    return render(request, "participation/elections/form.html", {"form": form, "election": election})


def _names(election: Election) -> dict[int, str]:
    return dict(
        Candidate.objects.filter(post__election=election).values_list("pk", "person__name")  # type: ignore[arg-type]
    )


def _results(election: Election, tally: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The tally's posts with candidate names, most votes first, for templates."""
    if tally is None:
        return []
    names = _names(election)
    rows = []
    for post in tally["posts"]:
        elected = set(post["elected"])
        tied = set(post["tied"])
        candidates = sorted(
            (
                {
                    "id": int(cid),
                    "name": names.get(int(cid), cid),
                    "votes": votes,
                    "elected": int(cid) in elected,
                    "tied": int(cid) in tied,
                }
                for cid, votes in post["votes"].items()
            ),
            key=lambda row: (-row["votes"], row["id"]),
        )
        rows.append({**post, "candidates": candidates})
    return rows


@login_required
@page_errors
@require_GET
def election_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        election = _staff(request, pk)
    except NotFound:
        election, entry = policies.get_election_for_voter(user, pk)
        return _voter_detail(request, election, entry)
    today = timezone.localdate()
    tally = selectors.published_tally(election) if election.status == ElectionStatus.PUBLISHED else None
    deadline = (
        rules.objection_deadline(election.roll_published_on, election.objection_days)
        if election.roll_published_on
        else None
    )
    context = {
        "election": election,
        "can_manage": policies.can(user, ElectionAction.MANAGE, election),
        "summary": selectors.roll_summary(election),
        "turnout": selectors.turnout_counts(election),
        "posts": selectors.posts_with_candidates(election),
        "booths": selectors.booth_states(election),
        "results": _results(election, tally),
        "tally": tally,
        "runoffs": list(election.runoffs.all()),
        "latest_roll_day": rules.latest_roll_publication(election.election_day, election.roll_lead_days),
        "objection_deadline": deadline,
        "objections_running": deadline is not None and today <= deadline,
        "needs_runoff": bool(
            tally
            and tally["valid"]
            and any(p["unfilled"] for p in tally["posts"])
            and not election.runoffs.exists()
        ),
        "post_form": forms.PostForm(),
        "booth_form": forms.BoothForm(),
    }
    return render(request, "participation/elections/detail.html", context)


def _voter_detail(request: HttpRequest, election: Election, entry: RollEntry) -> HttpResponse:
    turnout = Turnout.objects.filter(entry=entry).first()
    today = timezone.localdate()
    objections_open = (
        election.status == ElectionStatus.ROLL_PUBLISHED
        and election.roll_published_on is not None
        and rules.objections_open(election.roll_published_on, election.objection_days, today)
    )
    tally = selectors.published_tally(election) if election.status == ElectionStatus.PUBLISHED else None
    context = {
        "election": election,
        "entry": entry,
        "turnout": turnout,
        "posts": selectors.posts_with_candidates(election) if election.candidates_published_at else [],
        "can_vote": election.status == ElectionStatus.VOTING
        and entry.eligible
        and (turnout is None or (election.allow_ballot_replacement and turnout.channel == "online")),
        "objections_open": objections_open,
        "roll_posted": election.status in ROLL_POSTED,
        "objection_form": forms.VoterObjectionForm(),
        "my_objections": Objection.objects.filter(
            election=election, submitted_by_id=request.user.pk
        ).order_by("-id"),
        "results": _results(election, tally),
        "tally": tally,
    }
    return render(request, "participation/elections/voter.html", context)


# ---------------------------------------------------------------------------------------------
# Set-up: posts, booths, candidates


@login_required
@page_errors
@require_POST
def post_add(request: HttpRequest, pk: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    form = forms.PostForm(request.POST)
    if form.is_valid():
        try:
            actions.do_add_post(election, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Post added."))
    else:
        messages.error(request, _("Give the post a name and at least one seat."))
    return _back(election)


@login_required
@page_errors
@require_POST
def booth_add(request: HttpRequest, pk: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    form = forms.BoothForm(request.POST)
    if form.is_valid():
        try:
            actions.do_add_booth(election, actor=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Polling station added."))
    return redirect("participation:booths", pk=election.pk)


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def candidates(request: HttpRequest, pk: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.VIEW)
    can_manage = policies.can(request.user, ElectionAction.MANAGE, election)
    form = forms.CandidateForm(request.POST or None, request.FILES or None, election=election)
    if request.method == "POST":
        if not can_manage:
            raise Forbidden()
        if form.is_valid():
            entry = RollEntry.objects.filter(election=election, pk=form.cleaned_data["entry"]).first()
            if entry is None:
                raise NotFound()
            try:
                actions.do_add_candidate(
                    form.cleaned_data["post"],
                    person=entry.person,
                    actor=request.user,
                    statement=form.cleaned_data["statement"],
                    photo=form.cleaned_data["photo"],
                )
            except DomainError as exc:
                _refusal(request, exc)
            else:
                messages.success(request, _("%(name)s nominated.") % {"name": entry.person.name})
                return redirect("participation:candidates", pk=election.pk)
        else:
            messages.error(request, _("Choose the post."))
    query = request.GET.get("q", "").strip()
    found = (
        selectors.roll_entries(election, query=query, eligible=True)[:20]
        if query and election.status != ElectionStatus.DRAFT
        else []
    )
    return render(
        request,
        "participation/elections/candidates.html",
        {
            "election": election,
            "can_manage": can_manage,
            "open": can_manage
            and election.status in (ElectionStatus.ROLL_PUBLISHED, ElectionStatus.ROLL_FROZEN)
            and election.candidates_published_at is None,
            "posts": selectors.posts_with_candidates(election),
            "query": query,
            "found": found,
            "form": form,
        },
    )


@login_required
@page_errors
@require_POST
def candidate_remove(request: HttpRequest, pk: int, candidate_id: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    candidate = Candidate.objects.filter(post__election=election, pk=candidate_id).first()
    if candidate is None:
        raise NotFound()
    try:
        actions.do_remove_candidate(candidate, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("Nomination withdrawn."))
    return redirect("participation:candidates", pk=election.pk)


@require_GET
def candidate_photo(request: HttpRequest, pk: int, candidate_id: int) -> FileResponse:
    """Candidates' photos are public once the candidates are published; staff see them before."""
    election = Election.objects.filter(pk=pk).first()
    if election is None:
        raise Http404()
    visible = election.candidates_published_at is not None or policies.can(
        request.user, ElectionAction.VIEW, election
    )
    candidate = Candidate.objects.filter(post__election=election, pk=candidate_id).first()
    if not visible or candidate is None or not candidate.photo:
        raise Http404()
    response = FileResponse(candidate.photo.open("rb"))
    response["Content-Type"] = "image/png" if candidate.photo.name.lower().endswith(".png") else "image/jpeg"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------------------------------------
# The roll and objections


@login_required
@page_errors
@require_GET
def roll(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        election = _staff(request, pk)
    except NotFound:
        return _posted_roll(request, policies.get_election_for_roll(request.user, pk))
    query = request.GET.get("q", "").strip()
    eligible_filter = request.GET.get("eligible", "")
    eligible = {"1": True, "0": False}.get(eligible_filter)
    entries = selectors.roll_entries(election, query=query, eligible=eligible)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    linked = set(
        ResidentAccount.objects.filter(person_id__in=[e.person_id for e in page.object_list]).values_list(
            "person_id", flat=True
        )
    )
    return render(
        request,
        "participation/elections/roll.html",
        {
            "election": election,
            "can_manage": policies.can(request.user, ElectionAction.MANAGE, election),
            "summary": selectors.roll_summary(election),
            "page": page,
            "linked": linked,
            "query": query,
            "eligible": eligible_filter,
            "election_day": election.election_day,
        },
    )


def _roll_objections_open(election: Election) -> bool:
    return (
        election.status == ElectionStatus.ROLL_PUBLISHED
        and election.roll_published_on is not None
        and rules.objections_open(election.roll_published_on, election.objection_days, timezone.localdate())
    )


def _posted_roll(
    request: HttpRequest, election: Election, form: forms.RollObjectionForm | None = None
) -> HttpResponse:
    """The roll as posted for the community (选民名单公布): names by grid, nothing else of anyone."""
    query = request.GET.get("q", "").strip()[:50]
    open_ = _roll_objections_open(election)
    chosen = selectors.posted_entry(election, request.POST.get("entry") or request.GET.get("entry"))
    if form is None:
        form = forms.RollObjectionForm(initial={"entry": chosen.pk if chosen else None})
    grids = selectors.posted_roll(election, query=query)
    return render(
        request,
        "participation/elections/posted_roll.html",
        {
            "election": election,
            "grids": grids,
            "count": sum(len(grid.voters) for grid in grids),
            "query": query,
            "objections_open": open_,
            "deadline": (
                rules.objection_deadline(election.roll_published_on, election.objection_days)
                if election.roll_published_on
                else None
            ),
            "chosen": chosen if open_ else None,
            "chosen_grid": chosen.person.household.building.grid.name if chosen and open_ else "",
            "form": form,
            "my_objections": Objection.objects.filter(election=election, submitted_by_id=request.user.pk)
            .select_related("entry__person")
            .order_by("-id"),
            "is_voter": policies.voter_entry(request.user, election) is not None,
        },
        status=400 if form.errors else 200,
    )


@login_required
@page_errors
@require_POST
def roll_objection(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident of the community objects to the posted roll: a name on it, or someone missing."""
    election = policies.get_election_for_roll(request.user, pk)
    form = forms.RollObjectionForm(request.POST)
    if form.is_valid():
        entry = None
        if form.cleaned_data.get("entry"):
            entry = selectors.posted_entry(election, form.cleaned_data["entry"])
            if entry is None:
                raise NotFound()
        try:
            actions.do_submit_objection(
                election,
                actor=request.user,
                text=form.cleaned_data["text"],
                entry=entry,
                missing_name="" if entry else form.cleaned_data["missing_name"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your objection has been sent to the election committee."))
            return redirect("participation:roll", pk=election.pk)
    return _posted_roll(request, election, form)


@login_required
@page_errors
@require_POST
def roll_link(request: HttpRequest, pk: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    form = forms.LinkAccountForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the resident's username."))
        return redirect("participation:roll", pk=election.pk)
    entry = RollEntry.objects.filter(election=election, pk=form.cleaned_data["entry"]).select_related(
        "person__household__building__grid"
    )
    found = entry.first()
    if found is None:
        raise NotFound()
    user = User.objects.filter(username=form.cleaned_data["username"].strip()).first()
    # Only resident accounts registered in the election's community can be linked from here.
    in_scope = user is not None and any(
        membership.node.is_within(election.node)
        for membership in user.memberships.filter(role=Role.RESIDENT, active=True).select_related("node")
    )
    if user is None or not in_scope:
        messages.error(request, _("No resident account of that name in this community."))
        return redirect("participation:roll", pk=election.pk)
    try:
        actions.do_link_resident_account(user=user, person=found.person, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("Account linked to %(name)s.") % {"name": found.person.name})
    return redirect("participation:roll", pk=election.pk)


def _person_by_number(request: HttpRequest, election: Election, number: str) -> Person | None:
    """The person with this full ID card number among those the election's roll draws from (its
    community's registry) and the staff member may see, or None.

    Finding someone by number tells whose number it is, so this is the residents' audited look-up
    by number, counted against its hourly limit (a ``DomainError`` past it). A number registered
    elsewhere, or hidden from this user, is answered like an unknown one.
    """
    kind, text = classify_query(number)
    if kind != "id_number":
        return None
    _kind, visible = search_persons(request.user, text)
    in_registry = set(
        selectors.registry_persons(election)
        .filter(pk__in=[p.pk for p in visible])
        .values_list("pk", flat=True)
    )
    found = [p for p in visible if p.pk in in_registry]
    do_look_up_by_number(kind, found, actor=request.user)
    return found[0] if found else None


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def objections(request: HttpRequest, pk: int) -> HttpResponse:
    election = _staff(request, pk)
    can_manage = policies.can(request.user, ElectionAction.MANAGE, election)
    initial_entry = request.GET.get("entry")
    form = forms.StaffObjectionForm(request.POST or None, initial={"entry": initial_entry})
    if request.method == "POST":
        if not can_manage:
            raise Forbidden()
        if form.is_valid():
            entry = None
            person = None
            if form.cleaned_data.get("entry"):
                entry = RollEntry.objects.filter(election=election, pk=form.cleaned_data["entry"]).first()
                if entry is None:
                    raise NotFound()
            else:
                try:
                    person = _person_by_number(request, election, form.cleaned_data["id_number"])
                except DomainError as exc:
                    form.add_error("id_number", exc.message)
                else:
                    if person is None:
                        form.add_error(
                            "id_number",
                            _("No resident with this ID card number is registered in this community."),
                        )
            if not form.errors:
                try:
                    actions.do_submit_objection(
                        election,
                        actor=request.user,
                        text=form.cleaned_data["text"],
                        entry=entry,
                        person=person,
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Objection recorded."))
                    return redirect("participation:objections", pk=election.pk)
    entry_shown = None
    if initial_entry and initial_entry.isdigit():
        entry_shown = (
            RollEntry.objects.filter(election=election, pk=int(initial_entry))
            .select_related("person")
            .first()
        )
    rows = Objection.objects.filter(election=election).select_related(
        "entry__person", "person", "submitted_by", "decided_by"
    )
    return render(
        request,
        "participation/elections/objections.html",
        {
            "election": election,
            "can_manage": can_manage,
            "objections": rows.order_by("status", "-id"),
            "form": form,
            "decision_form": forms.DecisionForm(),
            "entry_shown": entry_shown,
            "accepting": election.status == ElectionStatus.ROLL_PUBLISHED,
        },
    )


@login_required
@page_errors
@require_POST
def objection_decide(request: HttpRequest, pk: int, objection_id: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    objection = Objection.objects.filter(election=election, pk=objection_id).first()
    if objection is None:
        raise NotFound()
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give the reasons."))
        return redirect("participation:objections", pk=election.pk)
    person = None
    number = form.cleaned_data["id_number"]
    if number.strip() and objection.entry_id is None and objection.person_id is None:
        try:
            person = _person_by_number(request, election, number)
        except DomainError as exc:
            _refusal(request, exc)
            return redirect("participation:objections", pk=election.pk)
        if person is None:
            messages.error(
                request, _("No resident with this ID card number is registered in this community.")
            )
            return redirect("participation:objections", pk=election.pk)
    try:
        actions.do_decide_objection(
            objection,
            actor=request.user,
            uphold=form.cleaned_data["uphold"],
            decision=form.cleaned_data["decision"],
            person=person,
        )
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("participation:objections", pk=election.pk)


@login_required
@page_errors
@require_POST
def voter_objection(request: HttpRequest, pk: int) -> HttpResponse:
    election, entry = policies.get_election_for_voter(request.user, pk)
    form = forms.VoterObjectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what is wrong with your entry."))
    else:
        try:
            actions.do_submit_objection(
                election, actor=request.user, text=form.cleaned_data["text"], entry=entry
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Your objection has been sent to the election committee."))
    return _back(election)


# ---------------------------------------------------------------------------------------------
# Status changes


STEPS: dict[str, Callable[..., Any]] = {
    "publish_roll": actions.do_publish_roll,
    "freeze_roll": actions.do_freeze_roll,
    "publish_candidates": actions.do_publish_candidates,
    "open_voting": actions.do_open_voting,
    "close_voting": actions.do_close_voting,
    "publish_results": actions.do_publish_results,
    "start_runoff": actions.do_start_runoff,
}


def _step_message(step: str) -> str:
    return {
        "publish_roll": _("The voter roll is published; objections are open."),
        "freeze_roll": _("The voter roll is frozen."),
        "publish_candidates": _("The candidates are published to the voters."),
        "open_voting": _("Voting is open."),
        "close_voting": _("Voting is closed. Enter the counts of the polling stations."),
        "publish_results": _("The results and the bulletin board are published."),
        "start_runoff": _("The run-off is prepared: check its candidates and open voting."),
    }[step]


@login_required
@page_errors
@require_POST
def election_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    if step not in STEPS:
        raise NotFound()
    try:
        result = STEPS[step](election, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
        return _back(election)
    messages.success(request, _step_message(step))
    if step == "start_runoff":
        return redirect("participation:election", pk=result.pk)
    return _back(election)


# ---------------------------------------------------------------------------------------------
# Polling stations


@login_required
@page_errors
@require_GET
def booths(request: HttpRequest, pk: int) -> HttpResponse:
    election = _staff(request, pk)
    query = request.GET.get("q", "").strip()
    found = []
    if query and election.status == ElectionStatus.VOTING:
        found = list(
            RollEntry.objects.filter(election=election, eligible=True, person__name__contains=query)
            .filter(Q(turnout__isnull=True))
            .select_related("person__household__building")
            .order_by("person__name")[:20]
        )
    return render(
        request,
        "participation/elections/booths.html",
        {
            "election": election,
            "can_manage": policies.can(request.user, ElectionAction.MANAGE, election),
            "booths": selectors.booth_states(election),
            "query": query,
            "found": found,
            "booth_form": forms.BoothForm(),
            "adding": election.status
            in (ElectionStatus.DRAFT, ElectionStatus.ROLL_PUBLISHED, ElectionStatus.ROLL_FROZEN),
        },
    )


def _booth(election: Election, booth_id: int) -> Booth:
    booth = Booth.objects.filter(election=election, pk=booth_id).first()
    if booth is None:
        raise NotFound()
    return booth


@login_required
@page_errors
@require_POST
def booth_checkin(request: HttpRequest, pk: int, booth_id: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    booth = _booth(election, booth_id)
    form = forms.CheckInForm(request.POST)
    entry = (
        RollEntry.objects.filter(election=election, pk=form.data.get("entry") or 0)
        .select_related("person")
        .first()
    )
    if not form.is_valid() or entry is None:
        raise NotFound()
    try:
        actions.do_check_in_booth_voter(booth, entry=entry, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s receives a paper ballot at %(booth)s.") % {"name": entry.person.name, "booth": booth},
        )
    return redirect("participation:booths", pk=election.pk)


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def booth_count(request: HttpRequest, pk: int, booth_id: int) -> HttpResponse:
    election = _staff(request, pk, ElectionAction.MANAGE)
    booth = _booth(election, booth_id)
    specs = selectors.post_specs(election)
    mine = BoothEntry.objects.filter(booth=booth, entered_by_id=request.user.pk).first()
    initial: dict[str, Any] = {}
    if mine is not None:
        initial["ballots_cast"] = mine.figures.get("ballots_cast")
        for key, entry in mine.figures.get("posts", {}).items():
            initial[f"valid_{key}"] = entry.get("valid")
            for candidate, votes in entry.get("votes", {}).items():
                initial[f"votes_{key}_{candidate}"] = votes
    form = forms.BoothCountForm(request.POST or None, posts=specs, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_enter_booth_count(booth, figures=form.figures(), actor=request.user)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            state = next(s for s in selectors.booth_states(election) if s.booth.pk == booth.pk)
            if state.confirmed:
                messages.success(
                    request, _("Both entries agree: the count of %(booth)s is confirmed.") % {"booth": booth}
                )
            elif state.mismatch:
                messages.error(request, _("The two entries differ: recount and correct the wrong entry."))
            else:
                messages.success(request, _("Entry saved. A second official must enter the same figures."))
            return redirect("participation:booths", pk=election.pk)
    return render(
        request,
        "participation/elections/booth_count.html",
        {
            "election": election,
            "booth": booth,
            "form": form,
            "mine": mine,
            "checked_in": Turnout.objects.filter(booth=booth).count(),
        },
    )


# ---------------------------------------------------------------------------------------------
# Voting


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    election, entry = policies.get_election_for_voter(request.user, pk)
    turnout = Turnout.objects.filter(entry=entry).first()
    replacing = turnout is not None
    if election.status != ElectionStatus.VOTING or not entry.eligible:
        messages.error(request, _("You cannot vote in this election now."))
        return _back(election)
    if replacing and not (election.allow_ballot_replacement and turnout and turnout.channel == "online"):
        messages.error(request, _("You have already voted in this election."))
        return _back(election)
    specs = selectors.post_specs(election)
    form = forms.BallotForm(request.POST or None, posts=specs, replacing=replacing)
    if request.method == "POST" and form.is_valid():
        try:
            result = actions.do_cast_ballot(
                election,
                actor=request.user,
                choices=form.choices(),
                credential=form.cleaned_data.get("credential", ""),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            # Rendered, not redirected: the replacement code is shown this once and stored nowhere.
            response = render(
                request,
                "participation/elections/receipt.html",
                {"election": election, "result": result, "first_time": not result.replaced},
            )
            response["Cache-Control"] = "no-store"
            return response
    posts = selectors.posts_with_candidates(election)
    fields = {spec.id: form[forms.ballot_field_name(spec.id)] for spec in specs}
    return render(
        request,
        "participation/elections/vote.html",
        {
            "election": election,
            "form": form,
            "sections": [(post, fields[post.pk]) for post in posts],
            "replacing": replacing,
        },
    )


# ---------------------------------------------------------------------------------------------
# Public: results, bulletin board, signing key


@require_GET
@page_errors
def results(request: HttpRequest, pk: int) -> HttpResponse:
    election = policies.get_published_election(pk)
    tally = selectors.published_tally(election)
    return render(
        request,
        "participation/elections/results.html",
        {"election": election, "tally": tally, "results": _results(election, tally)},
    )


@require_GET
@page_errors
def board(request: HttpRequest, pk: int) -> HttpResponse:
    election = policies.get_published_election(pk)
    tally = selectors.published_tally(election)
    names = _names(election)
    posts = selectors.post_specs(election)
    tracker = request.GET.get("tracker", "").strip().lower()
    found = selectors.find_tracker(election, tracker) if tracker else None
    ballots = Ballot.objects.filter(election=election, superseded=False).order_by("tracker")
    page = Paginator(ballots.values_list("tracker", "contents"), BOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )

    def readable(contents: dict[str, list[int]]) -> list[tuple[str, list[str]]]:
        return [(spec.name, [names.get(c, str(c)) for c in contents.get(str(spec.id), [])]) for spec in posts]

    return render(
        request,
        "participation/elections/board.html",
        {
            "election": election,
            "tally": tally,
            "results": _results(election, tally),
            "tracker": tracker,
            "found": found,
            "found_choices": readable(found.contents) if found else [],
            "page": page,
            "rows": [(row_tracker, readable(contents)) for row_tracker, contents in page.object_list],
            "board_sha256": election.board.sha256,
            "public_key": signing.public_key_b64(),
        },
    )


@require_GET
@page_errors
def board_json(request: HttpRequest, pk: int) -> HttpResponse:
    election = policies.get_published_election(pk)
    response = HttpResponse(election.board.document, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="election-{election.pk}-board.json"'
    return response


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    body = signing.public_key_pem() + "\n" + signing.public_key_b64() + "\n"
    return HttpResponse(body, content_type="text/plain; charset=utf-8")
