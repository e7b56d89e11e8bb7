"""Every write of an election: one function, one transaction, one audit row each.

Scope (who may run which election) is checked by the pages through ``policies``; the actions
check the rules of the election itself and refuse with a ``DomainError`` naming a stable code.

Ballot secrecy, what it covers and what it does not
---------------------------------------------------
``do_cast_ballot`` writes a ``Turnout`` row (who) and a ``Ballot`` row (what) in one transaction,
so that a voter can never have a ballot counted without being marked as having voted, nor the
reverse. The ballot row carries no voter, no user, no roll entry, no time and a random UUID.

- A later reader of the database, of an export or of the board cannot tell whose ballot is whose.
- While voting is open, someone who can read the database's storage (files, WAL, an
  insertion-ordered dump) can match the n-th ballot written with the n-th voter; PostgreSQL even
  stamps both rows with the same transaction id. Closing rewrites the election's ballots in
  tracker order (``do_close_voting``), which removes the order from the live tables but not from
  backups or WAL taken during voting. Keep those under the same guard as the ballot box.
- The server, at the moment of voting, knows who casts what; no scheme without client-side
  cryptography avoids that. The audit row of a vote names the voter and never the ballot.

Replacement (``allow_ballot_replacement``): the first ballot of a voter gets a random credential,
shown once; only its hash is stored, on the ballot. A later ballot presented with the credential
supersedes the live ballot that carries its hash, and the new ballot carries the same hash, so the
chain can go on; the last one counts. The price: a lost credential means no replacement, and
anyone who obtains a voter's credential and is a voter who has voted online can replace that
ballot (the server cannot tell whose credential it is, by design). The tracker plus the public
board is a receipt of how one voted; replacement is also the answer to someone who demanded it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError, Forbidden
from zhili.participation.elections import board as board_module
from zhili.participation.elections import notifications, rules, selectors, signing
from zhili.participation.elections.models import (
    Ballot,
    Booth,
    BoothEntry,
    Candidate,
    Election,
    ElectionBoard,
    ElectionKind,
    Objection,
    ObjectionStatus,
    Post,
    ResidentAccount,
    RollEntry,
    Turnout,
    VoteChannel,
)
from zhili.participation.elections.states import (
    NOMINATION_OPEN,
    ROLL_EDITABLE,
    TRANSITIONS,
    ElectionStatus,
    Transition,
)
from zhili.residents.models import Person
from zhili.territory.models import Node, NodeKind

BATCH_SIZE = 2000
MAX_PHOTO_BYTES = 2 * 1024 * 1024
RULE_FIELDS = (
    "min_age",
    "residence_rule",
    "min_residence_years",
    "allow_ballot_replacement",
    "tie_rule",
    "objection_days",
    "roll_lead_days",
    "runoff_extra_candidates",
)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _locked(election: Election | int) -> Election:
    pk = election.pk if isinstance(election, Election) else election
    return Election.objects.select_for_update(of=("self",)).select_related("node").get(pk=pk)


def _transition(election: Election, transition: Transition, *, actor: Any, details: dict[str, Any]) -> None:
    source, target = TRANSITIONS[transition]
    if election.status != source:
        raise DomainError(
            "wrong_status",
            _("This cannot be done while the election is “%(status)s”.")
            % {"status": election.get_status_display()},
            status=409,
        )
    election.status = target
    record_audit(
        AuditAction.ELECTION_TRANSITION,
        actor=actor,
        target=election,
        node=election.node,
        details={"transition": str(transition), "from": source, "to": target, **details},
    )


def _require_status(
    election: Election, allowed: frozenset[str] | set[str], code: str = "wrong_status"
) -> None:
    if election.status not in allowed:
        raise DomainError(
            code,
            _("This cannot be done while the election is “%(status)s”.")
            % {"status": election.get_status_display()},
            status=409,
        )


# ---------------------------------------------------------------------------------------------
# Set-up


def do_create_election(
    *,
    node: Node,
    kind: str,
    title: str,
    election_day: date,
    actor: Any,
    **rule_values: Any,
) -> Election:
    if node.kind != NodeKind.COMMUNITY:
        raise DomainError("not_a_community", _("A committee is elected by a community or a village."))
    if kind not in ElectionKind.values:
        raise DomainError("unknown_kind", _("Unknown committee kind."))
    unknown = set(rule_values) - set(RULE_FIELDS)
    if unknown:
        raise DomainError("unknown_rule", f"unknown rule fields: {sorted(unknown)}")
    with transaction.atomic():
        election = Election(
            node=node,
            kind=kind,
            title=title.strip(),
            election_day=election_day,
            created_by=actor if isinstance(actor, User) else None,
            **rule_values,
        )
        _check_rules(election)
        election.save()
        record_audit(
            AuditAction.ELECTION_CREATED,
            actor=actor,
            target=election,
            node=node,
            details={
                "title": election.title,
                "election_day": election_day.isoformat(),
                **_rules_of(election),
            },
        )
    return election


def _rules_of(election: Election) -> dict[str, Any]:
    return {name: getattr(election, name) for name in RULE_FIELDS}


def _check_rules(election: Election) -> None:
    if not election.title:
        raise DomainError("title_required", _("The election needs a title."))
    if election.min_age < 16 or election.min_age > 30:
        raise DomainError("bad_min_age", _("The minimum age must lie between 16 and 30."))
    if election.residence_rule not in rules.ResidenceRule.values:
        raise DomainError("bad_residence_rule", _("Unknown residence rule."))
    if election.tie_rule not in rules.TieRule.values:
        raise DomainError("bad_tie_rule", _("Unknown tie rule."))
    if election.objection_days < 1:
        raise DomainError("bad_objection_days", _("The objection period lasts at least one day."))


def do_update_election_rules(election: Election | int, *, actor: Any, **values: Any) -> Election:
    """Change the title, day or rules; only while the election is a draft."""
    allowed = {"title", "election_day", *RULE_FIELDS}
    unknown = set(values) - allowed
    if unknown:
        raise DomainError("unknown_rule", f"unknown rule fields: {sorted(unknown)}")
    with transaction.atomic():
        election = _locked(election)
        _require_status(election, {ElectionStatus.DRAFT})
        before = {name: getattr(election, name) for name in values}
        for name, value in values.items():
            setattr(election, name, value)
        _check_rules(election)
        election.save(update_fields=list(values))
        record_audit(
            AuditAction.ELECTION_CHANGED,
            actor=actor,
            target=election,
            node=election.node,
            details={"change": "rules", "before": before, "after": values},
        )
    return election


def do_add_post(election: Election | int, *, name: str, seats: int, actor: Any) -> Post:
    with transaction.atomic():
        election = _locked(election)
        _require_status(election, {ElectionStatus.DRAFT})
        name = name.strip()
        if not name:
            raise DomainError("post_name_required", _("The post needs a name."))
        if seats < 1:
            raise DomainError("bad_seats", _("A post has at least one seat."))
        if election.posts.filter(name=name).exists():
            raise DomainError("post_exists", _("This election already has a post of that name."))
        order = election.posts.count()
        post = Post.objects.create(election=election, name=name, seats=seats, order=order)
        record_audit(
            AuditAction.ELECTION_CHANGED,
            actor=actor,
            target=election,
            node=election.node,
            details={"change": "post_added", "post": post.pk, "name": name, "seats": seats},
        )
    return post


def do_add_booth(election: Election | int, *, name: str, actor: Any) -> Booth:
    with transaction.atomic():
        election = _locked(election)
        _require_status(
            election,
            {ElectionStatus.DRAFT, ElectionStatus.ROLL_PUBLISHED, ElectionStatus.ROLL_FROZEN},
        )
        name = name.strip()
        if not name:
            raise DomainError("booth_name_required", _("The polling station needs a name."))
        if election.booths.filter(name=name).exists():
            raise DomainError("booth_exists", _("This election already has a polling station of that name."))
        booth = Booth.objects.create(election=election, name=name)
        record_audit(
            AuditAction.ELECTION_CHANGED,
            actor=actor,
            target=election,
            node=election.node,
            details={"change": "booth_added", "booth": booth.pk, "name": name},
        )
    return booth


def do_link_resident_account(*, user: User, person: Person, actor: Any) -> ResidentAccount:
    """Link a resident's login to their registry entry, after staff checked who they are."""
    with transaction.atomic():
        if not user.memberships.filter(role=Role.RESIDENT, active=True).exists():
            raise DomainError(
                "not_a_resident_account", _("Only a resident account can be linked to a resident.")
            )
        if ResidentAccount.objects.filter(user=user).exists():
            raise DomainError("account_already_linked", _("This account is already linked to a resident."))
        if ResidentAccount.objects.filter(person=person).exists():
            raise DomainError("person_already_linked", _("This resident already has a linked account."))
        link = ResidentAccount.objects.create(
            user=user, person=person, linked_by=actor if isinstance(actor, User) else None
        )
        record_audit(
            AuditAction.RESIDENT_ACCOUNT_LINKED,
            actor=actor,
            target=link,
            node=person.household.building.grid,
            details={"user": user.pk, "person": person.pk},
        )
    return link


# ---------------------------------------------------------------------------------------------
# The roll


def do_publish_roll(election: Election | int, *, actor: Any, today: date | None = None) -> Election:
    """Build the roll from the registry and publish it for objections (第十四条)."""
    today = _today(today)
    with transaction.atomic():
        election = _locked(election)
        _require_status(election, {ElectionStatus.DRAFT})
        latest = rules.latest_roll_publication(election.election_day, election.roll_lead_days)
        if today > latest:
            raise DomainError(
                "roll_too_late",
                _("The roll must be published by %(date)s, %(days)s days before election day.")
                % {"date": latest.isoformat(), "days": election.roll_lead_days},
            )
        if not election.posts.exists():
            raise DomainError("no_posts", _("Add the posts to fill before publishing the roll."))
        rows = rules.build_roll(
            selectors.registry_rows(election), selectors.roll_rules(election), election.election_day
        )
        _transition(
            election,
            Transition.PUBLISH_ROLL,
            actor=actor,
            details={"registry": len(rows), "eligible": sum(1 for _p, ok, _r in rows if ok)},
        )
        RollEntry.objects.bulk_create(
            [
                RollEntry(election=election, person_id=pk, eligible=ok, reason=reason)
                for pk, ok, reason in rows
            ],
            batch_size=BATCH_SIZE,
        )
        election.roll_published_on = today
        election.save(update_fields=["status", "roll_published_on"])
    return election


MISSING_NAME_MAX = 50


def _require_in_registry(election: Election, person: Person) -> None:
    """Only someone of the registry the roll draws from (the election's community) can be put on it."""
    if not selectors.registry_persons(election).filter(pk=person.pk).exists():
        raise DomainError(
            "not_in_community", _("This person is not registered in the community of the election.")
        )


def do_submit_objection(
    election: Election | int,
    *,
    actor: Any,
    text: str,
    entry: RollEntry | None = None,
    person: Person | None = None,
    missing_name: str = "",
    today: date | None = None,
) -> Objection:
    """An objection to the published roll about one subject: an entry (someone wrongly on or off
    it), a registry person (staff identified them), or the name of someone missing (a resident's
    words, until the committee finds them in the registry)."""
    today = _today(today)
    missing_name = " ".join(missing_name.split())
    with transaction.atomic():
        election = _locked(election)
        _require_status(election, {ElectionStatus.ROLL_PUBLISHED}, "objections_closed")
        assert election.roll_published_on is not None
        if not rules.objections_open(election.roll_published_on, election.objection_days, today):
            raise DomainError("objection_period_over", _("The period for objections to the roll is over."))
        if not text.strip():
            raise DomainError("objection_text_required", _("Say what is wrong with the roll."))
        if entry is not None and entry.election_id != election.pk:
            raise DomainError("wrong_election", _("That entry belongs to another election."))
        subjects = sum(1 for subject in (entry, person, missing_name) if subject)
        if subjects == 0:
            raise DomainError("objection_subject_required", _("Name the roll entry or the person concerned."))
        if subjects > 1:
            raise DomainError(
                "objection_one_subject", _("An objection is about one entry or one person missing, not both.")
            )
        if len(missing_name) > MISSING_NAME_MAX:
            raise DomainError(
                "missing_name_too_long",
                _("A name has at most %(count)s characters.") % {"count": MISSING_NAME_MAX},
            )
        pending = Objection.objects.filter(
            election=election, submitted_by=actor, status=ObjectionStatus.PENDING
        )
        if (entry is not None and pending.filter(entry=entry).exists()) or (
            missing_name and pending.filter(missing_name=missing_name).exists()
        ):
            raise DomainError(
                "objection_pending", _("Your objection about this person is already waiting for a decision.")
            )
        if person is not None:
            _require_in_registry(election, person)
        if entry is None and person is not None:
            entry = RollEntry.objects.filter(election=election, person=person).first()
        objection = Objection.objects.create(
            election=election,
            entry=entry,
            person=person if entry is None else None,
            missing_name=missing_name,
            submitted_by=actor,
            text=text.strip(),
        )
        record_audit(
            AuditAction.OBJECTION_SUBMITTED,
            actor=actor,
            target=objection,
            node=election.node,
            details={
                "entry": entry.pk if entry else None,
                "person": person.pk if person else None,
                # Whether a name was given, never the name: the audit log keeps no personal values.
                "missing_name": bool(missing_name),
            },
        )
    return objection


def do_decide_objection(
    objection: Objection | int,
    *,
    actor: Any,
    uphold: bool,
    decision: str,
    person: Person | None = None,
) -> Objection:
    """Uphold (the entry changes: on becomes off, off becomes on, a missing person is added) or reject.

    Upholding an objection that only names someone missing needs ``person``: the registry entry
    the committee found for that name (a person already on the roll gets their entry changed).
    """
    with transaction.atomic():
        pk = objection.pk if isinstance(objection, Objection) else objection
        objection = Objection.objects.select_for_update().get(pk=pk)
        election = _locked(objection.election_id)
        _require_status(election, ROLL_EDITABLE, "roll_frozen")
        if objection.status != ObjectionStatus.PENDING:
            raise DomainError("objection_decided", _("This objection has already been decided."))
        if not decision.strip():
            raise DomainError("decision_required", _("Give the reasons for the decision."))
        change: dict[str, Any] = {}
        if person is not None and (objection.entry_id is not None or objection.person_id is not None):
            raise DomainError("objection_has_subject", _("This objection already names its entry or person."))
        if uphold and objection.entry_id is None and objection.person_id is None:
            if person is None:
                raise DomainError(
                    "identify_person",
                    _("Find the person in the registry (by ID card number) before upholding."),
                )
            _require_in_registry(election, person)
            listed = RollEntry.objects.filter(election=election, person=person).first()
            if listed is not None and listed.eligible:
                raise DomainError(
                    "already_on_roll", _("This person is already an eligible voter on the roll.")
                )
            # Off the roll (ineligible): upholding puts them on it; not on it at all: added.
            objection.entry, objection.person = (listed, None) if listed is not None else (None, person)
        if uphold:
            entry = objection.entry
            if entry is None:
                assert objection.person_id is not None
                entry, _created = RollEntry.objects.get_or_create(
                    election=election,
                    person_id=objection.person_id,
                    defaults={"eligible": True, "reason": rules.Reason.ADDED_ON_OBJECTION},
                )
                if not _created:
                    entry.eligible, entry.reason = True, rules.Reason.ADDED_ON_OBJECTION
                    entry.save(update_fields=["eligible", "reason", "changed_at"])
                objection.entry = entry
                change = {"entry": entry.pk, "eligible": [False, True]}
            else:
                entry = RollEntry.objects.select_for_update().get(pk=entry.pk)
                before = entry.eligible
                entry.eligible = not before
                entry.reason = (
                    rules.Reason.ADDED_ON_OBJECTION if entry.eligible else rules.Reason.REMOVED_ON_OBJECTION
                )
                entry.save(update_fields=["eligible", "reason", "changed_at"])
                change = {"entry": entry.pk, "eligible": [before, entry.eligible]}
        objection.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.REJECTED
        objection.decision = decision.strip()
        objection.decided_by = actor
        objection.decided_at = timezone.now()
        objection.save(update_fields=["status", "decision", "decided_by", "decided_at", "entry", "person"])
        record_audit(
            AuditAction.OBJECTION_DECIDED,
            actor=actor,
            target=objection,
            node=election.node,
            details={
                "status": objection.status,
                # Reasons often name people and the audit log is never edited: the log keeps a
                # fingerprint that proves the stored text unchanged, the objection keeps the words.
                "decision_sha256": hashlib.sha256(objection.decision.encode("utf-8")).hexdigest(),
                **change,
                **({"identified": person.pk} if person is not None else {}),
            },
        )
    return objection


def do_freeze_roll(election: Election | int, *, actor: Any, today: date | None = None) -> Election:
    today = _today(today)
    with transaction.atomic():
        election = _locked(election)
        if election.status == ElectionStatus.ROLL_PUBLISHED:
            assert election.roll_published_on is not None
            pending = election.objections.filter(status=ObjectionStatus.PENDING).count()
            refusal = rules.freeze_refusal(
                election.roll_published_on, election.objection_days, today, pending
            )
            if refusal == "objection_period_running":
                raise DomainError(
                    refusal,
                    _("Objections are accepted until %(date)s; the roll can be frozen after that.")
                    % {"date": rules.objection_deadline(election.roll_published_on, election.objection_days)},
                )
            if refusal:
                raise DomainError(refusal, _("Decide every objection before freezing the roll."))
        summary = selectors.roll_summary(election)
        _transition(election, Transition.FREEZE_ROLL, actor=actor, details={"eligible": summary["eligible"]})
        election.roll_frozen_at = timezone.now()
        election.save(update_fields=["status", "roll_frozen_at"])
    return election


# ---------------------------------------------------------------------------------------------
# Candidates


def _check_photo(photo: Any) -> None:
    if photo is None:
        return
    if photo.size > MAX_PHOTO_BYTES:
        raise DomainError("photo_too_large", _("The photo may be at most 2 MB."))
    head = photo.read(8)
    photo.seek(0)
    if not (head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n")):
        raise DomainError("photo_not_image", _("Only JPEG or PNG photos can be uploaded."))


def do_add_candidate(
    post: Post | int, *, person: Person, actor: Any, statement: str = "", photo: Any = None
) -> Candidate:
    """Nominate an eligible voter of the roll for a post (one post per person)."""
    with transaction.atomic():
        post = Post.objects.select_related("election").get(pk=post.pk if isinstance(post, Post) else post)
        election = _locked(post.election_id)
        _require_status(election, NOMINATION_OPEN, "nominations_closed")
        if election.candidates_published_at is not None:
            raise DomainError("candidates_published", _("The list of candidates has been published."))
        if not RollEntry.objects.filter(election=election, person=person, eligible=True).exists():
            raise DomainError(
                "candidate_not_eligible", _("A candidate must be an eligible voter on the roll.")
            )
        if Candidate.objects.filter(post__election=election, person=person).exists():
            raise DomainError("already_candidate", _("This person already stands in this election."))
        _check_photo(photo)
        candidate = Candidate(
            post=post, person=person, statement=statement.strip(), order=post.candidates.count()
        )
        if photo is not None:
            candidate.photo.save(photo.name, photo, save=False)
        candidate.save()
        record_audit(
            AuditAction.ELECTION_CHANGED,
            actor=actor,
            target=election,
            node=election.node,
            details={
                "change": "candidate_added",
                "post": post.pk,
                "candidate": candidate.pk,
                "person": person.pk,
            },
        )
    return candidate


def do_remove_candidate(candidate: Candidate | int, *, actor: Any) -> None:
    with transaction.atomic():
        pk = candidate.pk if isinstance(candidate, Candidate) else candidate
        candidate = Candidate.objects.select_related("post").get(pk=pk)
        election = _locked(candidate.post.election_id)
        _require_status(election, NOMINATION_OPEN, "nominations_closed")
        if election.candidates_published_at is not None:
            raise DomainError("candidates_published", _("The list of candidates has been published."))
        record_audit(
            AuditAction.ELECTION_CHANGED,
            actor=actor,
            target=election,
            node=election.node,
            details={"change": "candidate_removed", "candidate": candidate.pk, "person": candidate.person_id},
        )
        candidate.delete()


def do_publish_candidates(election: Election | int, *, actor: Any) -> Election:
    """Publish the candidates to the voters; every post must be contested (差额)."""
    with transaction.atomic():
        election = _locked(election)
        _require_status(election, NOMINATION_OPEN, "nominations_closed")
        if election.candidates_published_at is not None:
            raise DomainError("candidates_published", _("The list of candidates has been published."))
        specs = selectors.post_specs(election)
        if not specs:
            raise DomainError("no_posts", _("Add the posts to fill before publishing the roll."))
        problems = rules.contested_problems(specs)
        if problems:
            names = "、".join(spec.name for spec in specs if spec.id in problems)
            raise DomainError(
                "not_contested",
                _("Each post needs more candidates than seats (差额选举): %(posts)s.") % {"posts": names},
            )
        election.candidates_published_at = timezone.now()
        election.save(update_fields=["candidates_published_at"])
        record_audit(
            AuditAction.ELECTION_CHANGED,
            actor=actor,
            target=election,
            node=election.node,
            details={
                "change": "candidates_published",
                "posts": {spec.id: [c.id for c in spec.candidates] for spec in specs},
            },
        )
        notifications.candidates_published(election, actor=actor)
    return election


# ---------------------------------------------------------------------------------------------
# Voting


def do_open_voting(election: Election | int, *, actor: Any) -> Election:
    with transaction.atomic():
        election = _locked(election)
        if election.status == ElectionStatus.ROLL_FROZEN and election.candidates_published_at is None:
            raise DomainError("candidates_unpublished", _("Publish the candidates before voting opens."))
        _transition(election, Transition.OPEN_VOTING, actor=actor, details={})
        election.voting_opened_at = timezone.now()
        election.save(update_fields=["status", "voting_opened_at"])
        notifications.voting_opened(election, actor=actor)
    return election


@dataclass(frozen=True)
class CastResult:
    tracker: str
    credential: str  # shown once to the voter when the election allows replacement; else ""
    replaced: bool


def _voter_entry(election: Election, user: Any) -> RollEntry:
    link = ResidentAccount.objects.filter(user=user).values_list("person_id", flat=True).first()
    if link is None:
        raise Forbidden(_("Your account is not linked to a registered resident."))
    entry = RollEntry.objects.select_for_update().filter(election=election, person_id=link).first()
    if entry is None or not entry.eligible:
        raise DomainError("not_on_roll", _("You are not an eligible voter of this election."), status=403)
    return entry


def _clean_choices(election: Election, choices: dict[Any, Any]) -> dict[str, list[int]]:
    try:
        contents = rules.canonical_contents(choices)
    except (TypeError, ValueError):
        raise DomainError("bad_ballot", _("The ballot could not be read.")) from None
    specs = selectors.post_specs(election)
    known = {str(spec.id) for spec in specs}
    if set(contents) - known:
        raise DomainError("bad_ballot", _("The ballot names a post of another election."))
    for spec in specs:
        contents.setdefault(str(spec.id), [])
        if not rules.choices_valid(contents[str(spec.id)], spec):
            raise DomainError(
                "too_many_choices",
                _("For %(post)s choose at most %(seats)s of its candidates.")
                % {"post": spec.name, "seats": spec.seats},
            )
    return dict(sorted(contents.items(), key=lambda item: int(item[0])))


def _new_ballot(
    election: Election, contents: dict[str, list[int]], credential_hash: str, replaces: Ballot | None
) -> Ballot:
    nonce = board_module.new_nonce()
    return Ballot.objects.create(
        election=election,
        tracker=board_module.tracker(election.pk, nonce, contents),
        nonce=nonce,
        contents=contents,
        credential_hash=credential_hash,
        replaces=replaces,
    )


def do_cast_ballot(
    election: Election | int,
    *,
    actor: Any,
    choices: dict[Any, Any],
    credential: str = "",
) -> CastResult:
    """Cast (or, with the credential, replace) the online ballot of the logged-in voter."""
    with transaction.atomic():
        election = _locked(election)
        _require_status(election, {ElectionStatus.VOTING}, "voting_closed")
        entry = _voter_entry(election, actor)
        contents = _clean_choices(election, choices)
        turnout = Turnout.objects.filter(entry=entry).first()
        if turnout is None:
            new_credential = secrets.token_urlsafe(18) if election.allow_ballot_replacement else ""
            hashed = board_module.credential_hash(election.pk, new_credential) if new_credential else ""
            Turnout.objects.create(
                election=election, entry=entry, voted_at=timezone.now(), channel=VoteChannel.ONLINE
            )
            ballot = _new_ballot(election, contents, hashed, None)
            # Names the voter and the election, never the ballot.
            record_audit(
                AuditAction.ELECTION_VOTED,
                actor=actor,
                target=election,
                node=election.node,
                details={"channel": "online"},
            )
            return CastResult(tracker=ballot.tracker, credential=new_credential, replaced=False)
        if not election.allow_ballot_replacement or turnout.channel != VoteChannel.ONLINE:
            raise DomainError("already_voted", _("You have already voted in this election."), status=409)
        if not credential.strip():
            raise DomainError(
                "credential_required", _("Enter the replacement code you got with your first ballot.")
            )
        hashed = board_module.credential_hash(election.pk, credential.strip())
        old = (
            Ballot.objects.select_for_update()
            .filter(election=election, credential_hash=hashed, superseded=False)
            .first()
        )
        if old is None:
            raise DomainError("bad_credential", _("This replacement code is not valid."), status=403)
        old.superseded = True
        old.save(update_fields=["superseded"])
        try:
            ballot = _new_ballot(election, contents, hashed, old)
        except IntegrityError:  # pragma: no cover - the row lock above serialises replacements
            raise DomainError(
                "bad_credential", _("This replacement code is not valid."), status=409
            ) from None
        record_audit(
            AuditAction.BALLOT_REPLACED, actor=actor, target=election, node=election.node, details={}
        )
        return CastResult(tracker=ballot.tracker, credential=credential.strip(), replaced=True)


def do_check_in_booth_voter(booth: Booth | int, *, entry: RollEntry | int, actor: Any) -> Turnout:
    """A voter takes a paper ballot at a polling station: marked as having voted, once."""
    with transaction.atomic():
        booth = Booth.objects.get(pk=booth.pk if isinstance(booth, Booth) else booth)
        election = _locked(booth.election_id)
        _require_status(election, {ElectionStatus.VOTING}, "voting_closed")
        entry = RollEntry.objects.select_for_update().get(
            pk=entry.pk if isinstance(entry, RollEntry) else entry
        )
        if entry.election_id != election.pk:
            raise DomainError("wrong_election", _("That entry belongs to another election."))
        if not entry.eligible:
            raise DomainError("not_on_roll", _("This person is not an eligible voter of this election."))
        if Turnout.objects.filter(entry=entry).exists():
            raise DomainError("already_voted", _("This voter has already voted."), status=409)
        turnout = Turnout.objects.create(
            election=election, entry=entry, voted_at=timezone.now(), channel=VoteChannel.BOOTH, booth=booth
        )
        record_audit(
            AuditAction.ELECTION_VOTED,
            actor=actor,
            target=election,
            node=election.node,
            details={"channel": "booth", "booth": booth.pk, "entry": entry.pk},
        )
    return turnout


def _rewrite_ballots(election: Election) -> None:
    """Delete and re-insert the election's ballots in tracker order (see the module docstring).

    Four statements in the database instead of a round trip through Python: the same rows, same
    ids, new storage order (and, on PostgreSQL, the closing transaction's id on every row).
    """
    quote = connection.ops.quote_name
    table = quote(Ballot._meta.db_table)
    scratch = quote("participation_ballot_rewrite")
    election_column = quote(Ballot._meta.get_field("election").column)
    tracker_column = quote(Ballot._meta.get_field("tracker").column)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} AS SELECT * FROM {table} WHERE {election_column} = %s",
            [election.pk],
        )
        cursor.execute(f"DELETE FROM {table} WHERE {election_column} = %s", [election.pk])
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {scratch} ORDER BY {tracker_column}")
        cursor.execute(f"DROP TABLE {scratch}")


def do_close_voting(election: Election | int, *, actor: Any) -> Election:
    with transaction.atomic():
        election = _locked(election)
        counts = selectors.turnout_counts(election)
        _transition(election, Transition.CLOSE_VOTING, actor=actor, details={"turnout": counts})
        election.voting_closed_at = timezone.now()
        election.save(update_fields=["status", "voting_closed_at"])
        _rewrite_ballots(election)
    return election


# ---------------------------------------------------------------------------------------------
# Counting and publication


def _clean_figures(raw: dict[str, Any], specs: list[rules.PostSpec]) -> dict[str, Any]:
    try:
        figures = rules.normalise_figures(raw)
    except (TypeError, ValueError, AttributeError):
        raise DomainError("bad_figures", _("The figures could not be read.")) from None
    for spec in specs:
        figures["posts"].setdefault(str(spec.id), {"valid": 0, "votes": {}})
    problems = rules.booth_problems(rules.BoothFigures.from_dict(figures), specs)
    if problems:
        raise DomainError(
            "impossible_figures",
            _("These figures cannot be right (%(problems)s); check the count sheet.")
            % {"problems": ", ".join(problems)},
        )
    return figures


def do_enter_booth_count(booth: Booth | int, *, figures: dict[str, Any], actor: Any) -> BoothEntry:
    """One official's entry of a polling station's count; two identical entries make it count.

    An official may correct their own entry until results are published; a third official is
    refused, so that a disagreement is settled by recounting, not by a majority of entries.
    """
    with transaction.atomic():
        booth = Booth.objects.get(pk=booth.pk if isinstance(booth, Booth) else booth)
        election = _locked(booth.election_id)
        _require_status(election, {ElectionStatus.CLOSED}, "not_counting")
        clean = _clean_figures(figures, selectors.post_specs(election))
        others = BoothEntry.objects.filter(booth=booth).exclude(entered_by=actor)
        if others.count() >= 2:
            raise DomainError("two_entries_already", _("Two officials have already entered this count."))
        entry, created = BoothEntry.objects.update_or_create(
            booth=booth, entered_by=actor, defaults={"figures": clean}
        )
        other = others.first()
        agree = other is not None and rules.booths_agree(other.figures, clean)
        record_audit(
            AuditAction.BOOTH_COUNT_ENTERED,
            actor=actor,
            target=booth,
            node=election.node,
            details={"figures": clean, "corrected": not created, "agrees": agree if other else None},
        )
    return entry


def do_publish_results(election: Election | int, *, actor: Any) -> ElectionBoard:
    """Tally, sign the bulletin board and publish it; every polling station's count must be confirmed."""
    with transaction.atomic():
        election = _locked(election)
        _require_status(election, {ElectionStatus.CLOSED}, "not_counting")
        unconfirmed = [state.booth.name for state in selectors.booth_states(election) if not state.confirmed]
        if unconfirmed:
            raise DomainError(
                "booths_unconfirmed",
                _("The count of %(booths)s has not been entered identically by two officials.")
                % {"booths": "、".join(unconfirmed)},
            )
        now = timezone.now()
        board = selectors.build_board(
            election, public_key=signing.public_key_b64(), published_at=now.isoformat(timespec="seconds")
        )
        document = board_module.sign_board(board)
        text = board_module.document_text(document)
        row = ElectionBoard.objects.create(
            election=election,
            document=text,
            tally=board["tally"],
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            published_at=now,
        )
        tally = board["tally"]
        _transition(
            election,
            Transition.PUBLISH_RESULTS,
            actor=actor,
            details={
                "board_sha256": row.sha256,
                "valid": tally["valid"],
                "voted": tally["voted"],
                "registered": tally["registered"],
                "elected": {str(p["post"]): p["elected"] for p in tally["posts"]},
            },
        )
        election.results_published_at = now
        election.save(update_fields=["status", "results_published_at"])
        notifications.results_published(election, tally, actor=actor)
    return row


def do_reissue_board(election: Election | int, *, actor: Any) -> ElectionBoard | None:
    """Issue a published board of format 1 again in the current format: the same ballots, counts and
    publication time, candidates ranked by age instead of their birth dates (a birth date beside a
    masked ID number gives the number away). None when the board is already current.

    The tally is recomputed from the database and must equal the published one: a reissue never
    changes a result. The old board's SHA-256 stays in the audit row, and old copies still verify.
    """
    with transaction.atomic():
        election = _locked(election)
        _require_status(election, {ElectionStatus.PUBLISHED})
        row = ElectionBoard.objects.select_for_update().get(election=election)
        old = json.loads(row.document)["board"]
        if old["format"] == board_module.FORMAT:
            return None
        board = selectors.build_board(
            election, public_key=signing.public_key_b64(), published_at=old["published_at"]
        )
        if board_module.canonical_json(board["tally"]) != board_module.canonical_json(row.tally):
            raise DomainError(
                "tally_differs",
                _("The results recomputed now differ from the published ones; the board was not reissued."),
                status=409,
            )
        text = board_module.document_text(board_module.sign_board(board))
        old_sha256 = row.sha256
        row.document = text
        row.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        row.save(update_fields=["document", "sha256"])
        record_audit(
            AuditAction.ELECTION_BOARD_REISSUED,
            actor=actor,
            target=election,
            node=election.node,
            details={
                "from_format": old["format"],
                "to_format": board_module.FORMAT,
                "old_sha256": old_sha256,
                "board_sha256": row.sha256,
            },
        )
    return row


def do_start_runoff(election: Election | int, *, actor: Any, election_day: date | None = None) -> Election:
    """另行选举 for the unfilled seats: a new round with the frozen roll and the best-placed candidates."""
    with transaction.atomic():
        first = _locked(election)
        _require_status(first, {ElectionStatus.PUBLISHED})
        tally = selectors.published_tally(first)
        assert tally is not None
        if not tally["valid"]:
            raise DomainError(
                "election_invalid",
                _("No more than half of the registered voters voted: the election is void."),
            )
        if first.runoffs.exists():
            raise DomainError("runoff_exists", _("A run-off of this election already exists."))
        open_posts = [p for p in tally["posts"] if p["unfilled"] > 0]
        if not open_posts:
            raise DomainError("all_seats_filled", _("Every seat is filled; no run-off is needed."))
        runoff = Election.objects.create(
            node=first.node,
            kind=first.kind,
            title=_("%(title)s (run-off)") % {"title": first.title},
            election_day=election_day or first.election_day,
            status=ElectionStatus.ROLL_FROZEN,
            runoff_of=first,
            round_number=first.round_number + 1,
            roll_published_on=first.roll_published_on,
            roll_frozen_at=timezone.now(),
            candidates_published_at=timezone.now(),
            created_by=actor if isinstance(actor, User) else None,
            **_rules_of(first),
        )
        RollEntry.objects.bulk_create(
            [
                RollEntry(election=runoff, person_id=person_id, eligible=eligible, reason=reason)
                for person_id, eligible, reason in first.roll.values_list("person_id", "eligible", "reason")
            ],
            batch_size=BATCH_SIZE,
        )
        old_candidates = {
            c.pk: c for c in Candidate.objects.filter(post__election=first).select_related("post")
        }
        plan: dict[str, list[int]] = {}
        for order, result in enumerate(open_posts):
            post = Post.objects.create(
                election=runoff, name=result["name"], seats=result["unfilled"], order=order
            )
            chosen = rules.runoff_candidates(result, first.runoff_extra_candidates)
            if len(chosen) <= post.seats:
                raise DomainError(
                    "runoff_not_contested",
                    _("Too few candidates are left for a contested run-off for %(post)s.")
                    % {"post": post.name},
                )
            for index, candidate_id in enumerate(chosen):
                old = old_candidates[candidate_id]
                Candidate.objects.create(
                    post=post,
                    person_id=old.person_id,
                    statement=old.statement,
                    photo=old.photo.name,
                    order=index,
                )
            plan[str(post.pk)] = chosen
        for booth in first.booths.all():
            Booth.objects.create(election=runoff, name=booth.name)
        record_audit(
            AuditAction.RUNOFF_STARTED,
            actor=actor,
            target=runoff,
            node=first.node,
            details={"runoff_of": first.pk, "posts": plan},
        )
        # A run-off starts with its candidates published: its voters hear of them now.
        notifications.candidates_published(runoff, actor=actor)
    return runoff
