"""The do-not-regress rule's verdict on a trained classifier version: stored as a code, shown in words.

``ClassifierModel.decision`` and the audit row of the retraining keep the verdict as a short code
string ("activated: macro-F1 0.9874 ≥ 0.9812 of m3", "kept m3: macro-F1 0.9501 < 0.9612"): it is
what was recorded, it never changes with the reader's language, and the command line prints it.
Pages translate it when they show it; a text that is not one of these codes is shown as it is.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_ACTIVATED_RE = re.compile(
    rf"^activated: macro-F1 (?P<f1>{_NUMBER})(?: ≥ (?P<previous_f1>{_NUMBER}) of (?P<previous>\S+))?$"
)
_KEPT_RE = re.compile(rf"^kept (?P<previous>\S+): macro-F1 (?P<f1>{_NUMBER}) < (?P<previous_f1>{_NUMBER})$")


def decision_code(
    *, activated: bool, macro_f1: float, previous: str | None = None, previous_f1: float | None = None
) -> str:
    """The verdict as stored. ``previous``: the version that was active, with its macro-F1."""
    if activated:
        code = f"activated: macro-F1 {macro_f1:.4f}"
        if previous and previous_f1:
            code += f" ≥ {previous_f1:.4f} of {previous}"
        return code
    if previous is None or previous_f1 is None:
        raise ValueError("a version that is not activated is compared with the active one")
    return f"kept {previous}: macro-F1 {macro_f1:.4f} < {previous_f1:.4f}"


def decision_label(decision: str) -> str:
    """The stored verdict in the reader's language (已启用：宏平均F1 0.9874)."""
    text = (decision or "").strip()
    match = _ACTIVATED_RE.match(text)
    if match is not None:
        if match["previous"]:
            return _("Activated: macro-F1 %(f1)s ≥ %(previous_f1)s of %(previous)s") % match.groupdict()
        return _("Activated: macro-F1 %(f1)s") % match.groupdict()
    match = _KEPT_RE.match(text)
    if match is not None:
        return _("Not activated, %(previous)s kept: macro-F1 %(f1)s < %(previous_f1)s") % match.groupdict()
    return text
