"""The bulletin board: trackers, signatures, and `zhili election verify` on honest and tampered boards."""

from __future__ import annotations

import base64
import copy
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from zhili.participation.elections import actions, board, signing

from .conftest import choices

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(build, staff):
    """A published election: 5 voters of 6 voted online for 主任 (2 seats, 3 candidates)."""
    setup = build(voters=6, seats={"主任": 1, "委员": 2}, candidates={"主任": 2, "委员": 3})
    trackers = []
    picks = [([0], [0, 1]), ([0], [1, 2]), ([1], [0, 2]), ([0], []), ([], [0, 1])]
    for voter, (chief, members) in zip(setup.voters, picks, strict=False):
        result = actions.do_cast_ballot(
            setup.election, actor=voter, choices=choices(setup, 主任=chief, 委员=members)
        )
        trackers.append(result.tracker)
    actions.do_close_voting(setup.election, actor=staff)
    row = actions.do_publish_results(setup.election, actor=staff)
    return setup, json.loads(row.document), trackers


def test_tracker_depends_on_election_nonce_and_every_choice():
    contents = {"1": [5, 7]}
    base = board.tracker(1, "aa", contents)
    assert len(base) == 64
    assert board.tracker(2, "aa", contents) != base
    assert board.tracker(1, "ab", contents) != base
    assert board.tracker(1, "aa", {"1": [5]}) != base
    assert board.tracker(1, "aa", {"1": [5, 7]}) == base


def test_honest_board_verifies(published):
    _setup, document, trackers = published
    result = board.verify_document(document)
    assert result.ok and result.ballots == 5
    assert sorted(trackers) == [b["tracker"] for b in document["board"]["ballots"]]
    assert document["board"]["public_key"] == signing.public_key_b64()


def test_board_lists_no_voter(published):
    setup, document, _trackers = published
    text = json.dumps(document, ensure_ascii=False)
    for voter, person in zip(setup.voters, setup.persons, strict=True):
        assert voter.username not in text
        if person.pk not in {c.person_id for cs in setup.candidates.values() for c in cs}:
            assert person.name not in text


@pytest.fixture
def older_first(build, staff):
    """Six voters, three candidates (born 1960, 1961, 1962) tied at four votes for two seats."""
    setup = build(voters=6, seats={"委员": 2}, candidates={"委员": 3}, tie_rule="older_first")
    picks = [[0, 1], [0, 1], [0, 2], [0, 2], [1, 2], [1, 2]]
    for voter, members in zip(setup.voters, picks, strict=True):
        actions.do_cast_ballot(setup.election, actor=voter, choices=choices(setup, 委员=members))
    actions.do_close_voting(setup.election, actor=staff)
    row = actions.do_publish_results(setup.election, actor=staff)
    return setup, json.loads(row.document)


def test_board_publishes_rank_by_age_and_no_birth_date(older_first):
    setup, document = older_first
    text = json.dumps(document, ensure_ascii=False)
    for person in setup.persons:
        assert person.birth_date.isoformat() not in text
        assert person.birth_date.strftime("%Y%m%d") not in text
    assert "birth" not in text
    (post,) = document["board"]["posts"]
    assert [c["seniority"] for c in post["candidates"]] == [1, 2, 3]
    elected = document["board"]["tally"]["posts"][0]["elected"]
    assert elected == [c.pk for c in setup.candidates["委员"][:2]]  # the two older of the three tied
    assert board.verify_document(document).ok


def test_a_board_of_format_1_with_birth_dates_still_verifies(older_first):
    setup, document = older_first
    old = copy.deepcopy(document)
    old["board"]["format"] = board.FORMAT_1
    born = {c.pk: c.person.birth_date for c in setup.candidates["委员"]}
    for candidate in old["board"]["posts"][0]["candidates"]:
        del candidate["seniority"]
        candidate["birth_date"] = born[candidate["id"]].isoformat()
    assert board.verify_document(sign_with_site_key(old)).ok
    # Its birth dates still decide the tie: make the third candidate the oldest and it no longer adds up.
    old["board"]["posts"][0]["candidates"][2]["birth_date"] = "1950-01-01"
    result = board.verify_document(sign_with_site_key(old))
    assert result.reason == board.Reason.TALLY_MISMATCH


def sign_with(document, key: Ed25519PrivateKey):
    signed = copy.deepcopy(document)
    raw = key.public_key().public_bytes_raw()
    signed["board"]["public_key"] = base64.b64encode(raw).decode()
    signed["signatures"] = {
        "board": base64.b64encode(key.sign(board.canonical_json(signed["board"]))).decode(),
        "tally": base64.b64encode(key.sign(board.canonical_json(signed["board"]["tally"]))).decode(),
    }
    return signed


def sign_with_site_key(document):
    """What a dishonest server could publish: altered contents, signed again with the real key."""
    signed = copy.deepcopy(document)
    signed["signatures"] = {
        "board": signing.sign(board.canonical_json(signed["board"])),
        "tally": signing.sign(board.canonical_json(signed["board"]["tally"])),
    }
    return signed


def test_changed_ballot_fails(published):
    _setup, document, _t = published
    tampered = copy.deepcopy(document)
    ballot, post = next(
        (b, post) for b in tampered["board"]["ballots"] for post, picks in b["contents"].items() if picks
    )
    ballot["contents"][post] = []
    assert board.verify_document(tampered).reason == board.Reason.BAD_BOARD_SIGNATURE
    # Even signed again with the site's key, the tracker no longer hashes the contents …
    assert board.verify_document(sign_with_site_key(tampered)).reason == board.Reason.TRACKER_MISMATCH
    # … and with a recomputed tracker, the lot seed and the tally no longer follow from the ballots.
    ballot["tracker"] = board.tracker(
        document["board"]["election"]["id"], ballot["nonce"], ballot["contents"]
    )
    assert board.verify_document(sign_with_site_key(tampered)).reason in {
        board.Reason.LOT_SEED_MISMATCH,
        board.Reason.TALLY_MISMATCH,
    }


def test_changed_ballot_with_consistent_seed_fails_on_the_tally(published):
    from zhili.participation.elections import rules

    _setup, document, _t = published
    tampered = copy.deepcopy(document)
    ballot = tampered["board"]["ballots"][0]
    for key in ballot["contents"]:
        ballot["contents"][key] = []
    election_id = document["board"]["election"]["id"]
    ballot["tracker"] = board.tracker(election_id, ballot["nonce"], ballot["contents"])
    tampered["board"]["ballots"].sort(key=lambda b: b["tracker"])
    tampered["board"]["lot_seed"] = rules.lot_seed(
        election_id, [b["tracker"] for b in tampered["board"]["ballots"]]
    )
    result = board.verify_document(sign_with_site_key(tampered))
    assert result.reason == board.Reason.TALLY_MISMATCH
    assert "signed" in result.message and "recomputed" in result.message


def test_removed_ballot_fails(published):
    _setup, document, _t = published
    tampered = copy.deepcopy(document)
    del tampered["board"]["ballots"][2]
    assert board.verify_document(tampered).reason == board.Reason.BAD_BOARD_SIGNATURE
    assert board.verify_document(sign_with_site_key(tampered)).reason == board.Reason.BALLOT_COUNT_MISMATCH


def test_duplicated_ballot_fails(published):
    _setup, document, _t = published
    tampered = copy.deepcopy(document)
    tampered["board"]["ballots"][1] = tampered["board"]["ballots"][0]
    assert board.verify_document(sign_with_site_key(tampered)).reason == board.Reason.DUPLICATE_TRACKER


def test_changed_tally_fails(published):
    _setup, document, _t = published
    tampered = copy.deepcopy(document)
    post = tampered["board"]["tally"]["posts"][0]
    first = next(iter(post["votes"]))
    post["votes"][first] += 1
    assert board.verify_document(tampered).reason == board.Reason.BAD_BOARD_SIGNATURE
    assert board.verify_document(sign_with_site_key(tampered)).reason == board.Reason.TALLY_MISMATCH


def test_tally_signature_is_checked_on_its_own(published):
    _setup, document, _t = published
    tampered = copy.deepcopy(document)
    tampered["signatures"]["tally"] = document["signatures"]["board"]
    assert board.verify_document(tampered).reason == board.Reason.BAD_TALLY_SIGNATURE


def test_bad_signature_fails(published):
    _setup, document, _t = published
    tampered = copy.deepcopy(document)
    raw = bytearray(base64.b64decode(tampered["signatures"]["board"]))
    raw[0] ^= 1
    tampered["signatures"]["board"] = base64.b64encode(bytes(raw)).decode()
    assert board.verify_document(tampered).reason == board.Reason.BAD_BOARD_SIGNATURE
    tampered["signatures"]["board"] = "not base64!"
    assert board.verify_document(tampered).reason == board.Reason.BAD_BOARD_SIGNATURE


def test_board_signed_by_another_key_fails_against_the_published_key(published):
    _setup, document, _t = published
    forged = sign_with(document, Ed25519PrivateKey.generate())
    assert board.verify_document(forged).ok  # self-consistent …
    result = board.verify_document(forged, signing.public_key_b64())
    assert result.reason == board.Reason.PUBLIC_KEY_MISMATCH  # … but not by the community's key


def test_malformed_documents_fail_cleanly():
    assert board.verify_document({}).reason == board.Reason.MALFORMED
    assert board.verify_document([]).reason == board.Reason.MALFORMED
    assert (
        board.verify_document({"board": {"format": "other"}, "signatures": {}}).reason
        == board.Reason.MALFORMED
    )


# --- the command ---------------------------------------------------------------------------------


def test_export_and_verify_commands(published, tmp_path, capsys):
    setup, _document, _t = published
    path = tmp_path / "board.json"
    call_command("election", "export-board", str(setup.election.pk), "-o", str(path))
    assert "sha256" in capsys.readouterr().out
    key = tmp_path / "key.pem"
    call_command("election", "public-key", "--pem")
    key.write_text(capsys.readouterr().out, encoding="utf-8")
    call_command("election", "verify", str(path), "--public-key", str(key))
    assert "board verified" in capsys.readouterr().out
    call_command("election", "verify", str(path), "--json")
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_verify_command_exits_1_naming_the_reason(published, tmp_path):
    _setup, document, _t = published
    tampered = copy.deepcopy(document)
    tampered["board"]["tally"]["voted"] += 1
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(tampered), encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("election", "verify", str(path))
    assert info.value.returncode == 1
    assert "bad_board_signature" in str(info.value)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("election", "verify", str(path))
    assert info.value.returncode == 1 and "not JSON" in str(info.value)


def test_export_of_an_unpublished_election_fails(build, tmp_path):
    setup = build()
    with pytest.raises(CommandError):
        call_command("election", "export-board", str(setup.election.pk), "-o", str(tmp_path / "x.json"))


def test_dev_key_is_derived_from_the_secret_key_and_a_set_key_wins(settings):
    settings.ZHILI_SIGNING_KEY = b""
    derived = signing.public_key_b64()
    assert signing.key_is_derived()
    settings.SECRET_KEY = settings.SECRET_KEY + "-other"
    assert signing.public_key_b64() != derived
    settings.ZHILI_SIGNING_KEY = bytes(range(32))
    assert not signing.key_is_derived()
    assert (
        signing.public_key_b64()
        == base64.b64encode(
            Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key().public_bytes_raw()
        ).decode()
    )


def _as_format_1(setup, document):
    """The board as it was published before format 2: birth dates instead of ranks."""
    from zhili.participation.elections.models import ElectionBoard

    old = copy.deepcopy(document)
    old["board"]["format"] = board.FORMAT_1
    born = {c.pk: c.person.birth_date for cs in setup.candidates.values() for c in cs}
    for post in old["board"]["posts"]:
        for candidate in post["candidates"]:
            del candidate["seniority"]
            candidate["birth_date"] = born[candidate["id"]].isoformat()
    text = board.document_text(sign_with_site_key(old))
    ElectionBoard.objects.filter(election=setup.election).update(document=text, sha256="old")
    return old


def test_a_format_1_board_is_reissued_without_birth_dates_and_the_same_results(older_first, capsys):
    from zhili.audit.models import AuditAction, AuditEvent
    from zhili.participation.elections.models import ElectionBoard

    setup, document = older_first
    old = _as_format_1(setup, document)
    call_command("election", "reissue-boards", "--dry-run")
    assert "would be reissued" in capsys.readouterr().out
    assert json.loads(ElectionBoard.objects.get(election=setup.election).document)["board"]["format"] == (
        board.FORMAT_1
    )
    call_command("election", "reissue-boards")
    row = ElectionBoard.objects.get(election=setup.election)
    new = json.loads(row.document)
    assert new["board"]["format"] == board.FORMAT and "birth_date" not in row.document
    assert (
        new["board"]["tally"] == old["board"]["tally"]
        and new["board"]["published_at"] == (old["board"]["published_at"])
    )
    assert board.verify_document(new).ok
    event = AuditEvent.objects.get(action=AuditAction.ELECTION_BOARD_REISSUED)
    assert event.details["old_sha256"] == "old" and event.details["board_sha256"] == row.sha256
    # Once current, nothing more to do.
    assert actions.do_reissue_board(setup.election, actor=None) is None
    call_command("election", "reissue-boards")
    assert "no board of an older format" in capsys.readouterr().out


def test_a_board_whose_results_would_change_is_not_reissued(older_first):
    from zhili.core.errors import DomainError
    from zhili.participation.elections.models import ElectionBoard

    setup, document = older_first
    _as_format_1(setup, document)
    tally = copy.deepcopy(document["board"]["tally"])
    tally["voted"] += 1
    ElectionBoard.objects.filter(election=setup.election).update(tally=tally)
    with pytest.raises(DomainError) as refused:
        actions.do_reissue_board(setup.election, actor=None)
    assert refused.value.code == "tally_differs"
    assert json.loads(ElectionBoard.objects.get(election=setup.election).document)["board"]["format"] == (
        board.FORMAT_1
    )
    with pytest.raises(CommandError):
        call_command("election", "reissue-boards")
