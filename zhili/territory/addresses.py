"""Address text as people type it versus as the building registry holds it."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalise_address(text: str) -> str:
    """Fold the differences that do not change an address.

    NFKC turns full-width letters, digits and the ideographic space (全角 "１２号楼", "Ａ座", U+3000)
    into their half-width forms; then every kind of white space goes and Latin letters are lower-cased.
    The key is what ``Building.address_key`` stores, so a change here needs a data migration.
    """
    return _SPACES.sub("", unicodedata.normalize("NFKC", text or "")).lower()[:200]
