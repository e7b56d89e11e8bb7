"""Voters hear of an election's steps: the candidates (候选人信息推送), voting open, the results.

Messages are written to the outbox (zhili.notify) inside the action's transaction, in-app only, one
per eligible voter on the roll whose login is linked to their registry entry (``ResidentAccount``);
the one who took the step is not told about it. Texts carry the election's title and what happened
(candidates' and elected members' names are public once published), never a personal number. A
roll of thousands is written with one INSERT (``notify.batch``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zhili.accounts.models import User
from zhili.notify.actions import batch, do_enqueue_notification
from zhili.notify.models import NotifyChannel
from zhili.participation.elections import selectors
from zhili.participation.elections.models import Candidate, Election, RollEntry

# Names in a message are separated the Chinese way, whatever the language of the rest.
SEPARATOR = "、"


def topic_of(election: Election) -> str:
    return f"participation.election:{election.pk}"


def _url(election: Election) -> str:
    try:
        return reverse("participation:election", args=[election.pk])
    except Exception:  # pages not mounted (API-only deployments)
        return ""


def voters(election: Election) -> list[int]:
    """Ids of the active users linked to an eligible voter of the election's roll."""
    eligible = RollEntry.objects.filter(election=election, eligible=True).values("person_id")
    return list(
        User.objects.filter(is_active=True, resident_account__person_id__in=eligible)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _tell(election: Election, subject: str, body: str, *, actor: Any) -> int:
    sent = 0
    url = _url(election)
    topic = topic_of(election)
    actor_id = getattr(actor, "pk", None)
    with batch():
        for user_id in voters(election):
            if user_id == actor_id:
                continue
            do_enqueue_notification(
                channel=NotifyChannel.IN_APP,
                recipient_id=user_id,
                subject=subject,
                body=body,
                topic=topic,
                url=url,
            )
            sent += 1
    return sent


def candidates_published(election: Election, *, actor: Any) -> int:
    posts = selectors.posts_with_candidates(election)
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("%(post)s (%(seats)s to elect): %(names)s")
            % {
                "post": post.name,
                "seats": post.seats,
                "names": SEPARATOR.join(c.person.name for c in post.candidates.all()),
            }
            for post in posts
        ]
        subject = _("%(title)s: the candidates") % {"title": election.title[:80]}
        body = "\n".join(
            [
                _("The candidates of “%(title)s” are published:") % {"title": election.title},
                *lines,
                _("Read their statements on the election page."),
            ]
        )
        return _tell(election, subject, body, actor=actor)


def voting_opened(election: Election, *, actor: Any) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(title)s: voting is open") % {"title": election.title[:80]}
        if election.booths.exists():
            body = _(
                "Voting in “%(title)s” is open. Vote on the election page, or with a paper ballot at a "
                "polling station on election day (%(day)s)."
            ) % {"title": election.title, "day": election.election_day.isoformat()}
        else:
            body = _("Voting in “%(title)s” is open. Vote on the election page.") % {"title": election.title}
        return _tell(election, subject, body, actor=actor)


def results_published(election: Election, tally: dict[str, Any], *, actor: Any) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(title)s: the results") % {"title": election.title[:80]}
        lines = [_("The results of “%(title)s” are published.") % {"title": election.title}]
        if not tally["valid"]:
            lines.append(_("No more than half of the registered voters voted: the election is void."))
        else:
            names = dict(
                Candidate.objects.filter(post__election=election).values_list("pk", "person__name")  # type: ignore[arg-type]
            )
            for post in tally["posts"]:
                elected = SEPARATOR.join(names.get(int(pk), "") for pk in post["elected"])
                if elected:
                    lines.append(_("%(post)s: %(names)s elected") % {"post": post["name"], "names": elected})
                if post["unfilled"]:
                    count = post["unfilled"]
                    lines.append(
                        ngettext(
                            "%(post)s: %(count)s seat is not filled",
                            "%(post)s: %(count)s seats are not filled",
                            count,
                        )
                        % {"post": post["name"], "count": count}
                    )
        lines.append(_("The votes and the bulletin board are on the election page."))
        return _tell(election, subject, "\n".join(lines), actor=actor)
