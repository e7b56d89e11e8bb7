"""The public look-up by tracking code and the last four digits of the phone, shared by page and API.

Failures are counted per client address; after ZHILI_TRACK_FAILURE_LIMIT (10) failures in
ZHILI_TRACK_WINDOW_SECONDS (10 minutes) the client gets 429 until the window ends, even with the
right answer. Ten guesses at four digits of a 50-bit code are nothing to go on.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from zhili.cases import conf, selectors
from zhili.cases.models import Case
from zhili.core import ratelimit
from zhili.core.errors import DomainError, NotFound

TRACK_SCOPE = "cases-track"


def lookup(client: str, code: str, phone4: str) -> Case:
    if ratelimit.is_blocked(TRACK_SCOPE, client, limit=conf.track_failure_limit()):
        raise DomainError("too_many_attempts", _("Too many attempts. Try again later."), status=429)
    case = selectors.find_for_tracking(code, phone4)
    if case is None:
        ratelimit.count_hit(TRACK_SCOPE, client, window=conf.track_window_seconds())
        raise NotFound(_("No case matches this code and phone number."))
    return case
