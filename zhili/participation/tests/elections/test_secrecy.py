"""Ballot secrecy in the schema: no path leads from a ballot to a voter.

The checks read the model metadata (what Django creates tables from), so a column added later that
would re-open a join path fails here before it reaches a migration.
"""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.db import models

from zhili.participation.elections.models import Ballot, Election, Turnout

# Models that identify a voter.
IDENTITY_MODELS = {"accounts.user", "residents.person", "participation.rollentry", "participation.turnout",
                   "participation.residentaccount"}  # fmt: skip


def label(model) -> str:
    return model._meta.label_lower


def forward_relations(model) -> dict[str, type[models.Model]]:
    return {
        field.name: field.related_model
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is not None
    }


def test_ballot_has_no_foreign_key_but_its_election_and_the_ballot_it_replaces():
    assert forward_relations(Ballot) == {"election": Election, "replaces": Ballot}


def test_nothing_points_at_a_ballot_except_a_ballot():
    pointing = [
        (label(field.model), field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is Ballot
    ]
    assert pointing == [("participation.ballot", "replaces")]


def test_no_join_path_from_ballots_to_any_identity_model():
    """Walk every foreign key from Ballot, both directions, without passing through Election.

    Election is shared by ballots and turnout as a whole (one election, many of each), which says
    nothing about which ballot is whose; every other route must stay inside the ballot table.
    """
    reachable = {Ballot}
    frontier = [Ballot]
    while frontier:
        model = frontier.pop()
        neighbours = set(forward_relations(model).values())
        neighbours |= {
            field.model
            for other in apps.get_models()
            for field in other._meta.get_fields()
            if field.is_relation and field.concrete and field.related_model is model
        }
        for neighbour in neighbours - {Election} - reachable:
            reachable.add(neighbour)
            frontier.append(neighbour)
    assert {label(m) for m in reachable} == {"participation.ballot"}
    assert not {label(m) for m in reachable} & IDENTITY_MODELS


def test_ballot_has_a_random_uuid_key_and_no_time_column():
    pk = Ballot._meta.pk
    assert isinstance(pk, models.UUIDField) and pk.default is uuid.uuid4
    times = [
        f.name for f in Ballot._meta.concrete_fields if isinstance(f, models.DateField | models.TimeField)
    ]
    assert times == []
    assert not any(
        isinstance(f, models.AutoField | models.BigAutoField) for f in Ballot._meta.concrete_fields
    )


def test_ballot_has_no_column_naming_a_voter():
    names = {f.name for f in Ballot._meta.concrete_fields} | {f.column for f in Ballot._meta.concrete_fields}
    for word in ("user", "voter", "person", "entry", "turnout", "actor", "cast_at", "created", "ip"):
        assert not any(word in name for name in names), (word, names)


def test_turnout_knows_nothing_of_the_ballot():
    fields = {f.name for f in Turnout._meta.concrete_fields}
    assert not fields & {"ballot", "tracker", "nonce", "credential_hash", "contents"}
    assert Ballot not in forward_relations(Turnout).values()


def test_ballots_are_never_ordered_by_insertion():
    assert Ballot._meta.ordering == ["tracker"]


@pytest.mark.django_db
def test_the_tables_in_the_database_match_the_models(django_db_setup):
    from django.db import connection

    with connection.cursor() as cursor:
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, Ballot._meta.db_table)
        }
        relations = connection.introspection.get_relations(cursor, Ballot._meta.db_table)
    assert columns == {f.column for f in Ballot._meta.concrete_fields}
    assert {target for _column, (_field, target) in relations.items()} <= {
        Election._meta.db_table,
        Ballot._meta.db_table,
    }
