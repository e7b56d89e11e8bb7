"""Ballot trackers and the public bulletin board: its format, its signatures and its verification.

A board is a JSON document::

    {"board": {...}, "signatures": {"board": "<base64>", "tally": "<base64>"}}

``board`` holds the election, its posts and candidates (id, name and rank by age within the post,
never a birth date), the number of registered voters and of
voters who voted (counts only), every counted online ballot as ``{tracker, nonce, contents}``
sorted by tracker, the confirmed paper-booth figures, the seed of drawn lots, the tally and the
public key. The board signature covers the canonical JSON of ``board`` (sorted keys, no spaces,
UTF-8); the tally signature covers the canonical JSON of ``board["tally"]`` alone, so that a
results sheet can be checked without the ballots.

``verify_document`` is what ``zhili election verify`` runs: it needs no database, only the file
(and, better, the public key obtained some other way than from the file itself).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from zhili.participation.elections import rules, signing

FORMAT = "zhili-election-board/2"
# Format 1 published each candidate's birth date; format 2 publishes only their rank by age within
# the post (``seniority``). Boards of format 1 already out still verify.
FORMAT_1 = "zhili-election-board/1"
READABLE_FORMATS = (FORMAT, FORMAT_1)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def new_nonce() -> str:
    return secrets.token_hex(16)


def tracker(election_id: int, nonce: str, contents: Mapping[str, Any]) -> str:
    """SHA-256 over the election id, a random nonce and the canonical contents of a ballot.

    The nonce makes two identical ballots have different trackers and keeps a tracker from
    revealing its contents to someone who only has the tracker (before the board is out).
    """
    digest = hashlib.sha256(f"zhili-ballot|{election_id}|{nonce}|".encode("ascii"))
    digest.update(canonical_json(contents))
    return digest.hexdigest()


def credential_hash(election_id: int, credential: str) -> str:
    return hashlib.sha256(f"zhili-credential|{election_id}|{credential}".encode()).hexdigest()


def _seniorities(candidates: list[Mapping[str, Any]]) -> list[int]:
    if all("seniority" in c for c in candidates):
        return [int(c["seniority"]) for c in candidates]
    return rules.seniority([date.fromisoformat(c["birth_date"]) for c in candidates])  # format 1


def posts_from_board(board: Mapping[str, Any]) -> list[rules.PostSpec]:
    specs = []
    for post in board["posts"]:
        candidates = list(post["candidates"])
        specs.append(
            rules.PostSpec(
                id=int(post["id"]),
                name=str(post["name"]),
                seats=int(post["seats"]),
                candidates=tuple(
                    rules.CandidateSpec(int(c["id"]), str(c["name"]), rank)
                    for c, rank in zip(candidates, _seniorities(candidates), strict=True)
                ),
            )
        )
    return specs


def posts_as_json(posts: list[rules.PostSpec]) -> list[dict[str, Any]]:
    return [
        {
            "id": post.id,
            "name": post.name,
            "seats": post.seats,
            "candidates": [{"id": c.id, "name": c.name, "seniority": c.seniority} for c in post.candidates],
        }
        for post in posts
    ]


def tally_board(board: Mapping[str, Any]) -> dict[str, Any]:
    """The tally as the rules give it for the board's ballots and booth figures."""
    election = board["election"]
    return rules.tally(
        election_id=int(election["id"]),
        round_kind=election["round_kind"],
        registered=int(board["registered"]),
        voted=int(board["turnout"]["total"]),
        posts=posts_from_board(board),
        ballots=(ballot["contents"] for ballot in board["ballots"]),
        booths=[rules.BoothFigures.from_dict(booth["figures"]) for booth in board["booths"]],
        tie_rule=election["rules"]["tie_rule"],
        seed=board["lot_seed"],
    )


def sign_board(board: dict[str, Any]) -> dict[str, Any]:
    return {
        "board": board,
        "signatures": {
            "board": signing.sign(canonical_json(board)),
            "tally": signing.sign(canonical_json(board["tally"])),
        },
    }


def document_text(document: Mapping[str, Any]) -> str:
    """The served form of a signed board: canonical too, so its SHA-256 is stable."""
    return canonical_json(document).decode("utf-8")


# ---------------------------------------------------------------------------------------------
# Verification


class Reason:
    MALFORMED = "malformed"
    PUBLIC_KEY_MISMATCH = "public_key_mismatch"
    BAD_BOARD_SIGNATURE = "bad_board_signature"
    BAD_TALLY_SIGNATURE = "bad_tally_signature"
    TRACKER_MISMATCH = "tracker_mismatch"
    DUPLICATE_TRACKER = "duplicate_tracker"
    BALLOT_COUNT_MISMATCH = "ballot_count_mismatch"
    PAPER_EXCEEDS_TURNOUT = "paper_exceeds_turnout"
    LOT_SEED_MISMATCH = "lot_seed_mismatch"
    TALLY_MISMATCH = "tally_mismatch"


@dataclass
class Verification:
    ok: bool
    reason: str = ""
    message: str = ""
    ballots: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "message": self.message,
            "ballots": self.ballots,
            **self.details,
        }


def _fail(reason: str, message: str, ballots: int = 0) -> Verification:
    return Verification(ok=False, reason=reason, message=message, ballots=ballots)


def _first_difference(signed: Mapping[str, Any], recomputed: Mapping[str, Any]) -> str:
    for key in sorted(set(signed) | set(recomputed)):
        if key == "posts":
            continue
        if signed.get(key) != recomputed.get(key):
            return f"{key}: signed {signed.get(key)!r}, recomputed {recomputed.get(key)!r}"
    signed_posts = {p.get("post"): p for p in signed.get("posts", [])}
    for post in recomputed.get("posts", []):
        other = signed_posts.get(post["post"], {})
        for key in sorted(set(post) | set(other)):
            if post.get(key) != other.get(key):
                return (
                    f"post {post['post']} ({post['name']}) {key}: "
                    f"signed {other.get(key)!r}, recomputed {post.get(key)!r}"
                )
    return "posts differ"


def verify_document(document: Any, public_key_text: str | bytes | None = None) -> Verification:
    """Check a signed board; the first failure found is the reason given."""
    try:
        board = document["board"]
        signatures = document["signatures"]
        if board["format"] not in READABLE_FORMATS:
            return _fail(Reason.MALFORMED, f"unknown format {board['format']!r}")
        embedded = signing.load_public_key(board["public_key"])
        ballots = board["ballots"]
        election_id = int(board["election"]["id"])
    except (KeyError, TypeError, ValueError) as exc:
        return _fail(Reason.MALFORMED, f"not a board document ({exc.__class__.__name__}: {exc})")

    key = embedded
    if public_key_text is not None:
        try:
            key = signing.load_public_key(public_key_text)
        except ValueError as exc:
            return _fail(Reason.MALFORMED, f"the public key given cannot be read: {exc}")
        if signing.public_key_bytes(key) != signing.public_key_bytes(embedded):
            return _fail(Reason.PUBLIC_KEY_MISMATCH, "the board names another public key than the one given")
    if not signing.signature_valid(key, str(signatures.get("board", "")), canonical_json(board)):
        return _fail(Reason.BAD_BOARD_SIGNATURE, "the board signature does not match its contents")
    if not signing.signature_valid(key, str(signatures.get("tally", "")), canonical_json(board.get("tally"))):
        return _fail(Reason.BAD_TALLY_SIGNATURE, "the tally signature does not match the tally")

    try:
        seen: set[str] = set()
        for index, ballot in enumerate(ballots):
            listed = ballot["tracker"]
            if tracker(election_id, ballot["nonce"], ballot["contents"]) != listed:
                return _fail(
                    Reason.TRACKER_MISMATCH,
                    f"ballot #{index + 1} ({listed}): its tracker is not the hash of its contents",
                    len(ballots),
                )
            if listed in seen:
                return _fail(Reason.DUPLICATE_TRACKER, f"tracker {listed} is listed twice", len(ballots))
            seen.add(listed)
        turnout = board["turnout"]
        if len(ballots) != int(turnout["online"]):
            return _fail(
                Reason.BALLOT_COUNT_MISMATCH,
                f"{len(ballots)} online ballots listed but {turnout['online']} voters voted online",
                len(ballots),
            )
        paper = sum(int(booth["figures"]["ballots_cast"]) for booth in board["booths"])
        if paper > int(turnout["booth"]):
            return _fail(
                Reason.PAPER_EXCEEDS_TURNOUT,
                f"{paper} paper ballots counted but {turnout['booth']} voters signed in at polling stations",
                len(ballots),
            )
        if rules.lot_seed(election_id, seen) != board["lot_seed"]:
            return _fail(Reason.LOT_SEED_MISMATCH, "the seed of drawn lots is not the one the ballots give")
        recomputed = tally_board(board)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return _fail(
            Reason.MALFORMED, f"cannot read the board ({exc.__class__.__name__}: {exc})", len(ballots)
        )
    if canonical_json(recomputed) != canonical_json(board["tally"]):
        return _fail(
            Reason.TALLY_MISMATCH,
            "the signed tally is not what the ballots give: " + _first_difference(board["tally"], recomputed),
            len(ballots),
        )
    return Verification(
        ok=True,
        ballots=len(ballots),
        details={"election": election_id, "public_key": signing.public_key_bytes(key).hex()},
    )
