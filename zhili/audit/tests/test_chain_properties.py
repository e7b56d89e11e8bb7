"""What is hashed is what the database gives back, on both databases, for any JSON details."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhili.audit.actions import clean_json, compute_hash, payload_of
from zhili.audit.models import AuditEvent
from zhili.audit.tests.helpers import record
from zhili.audit.verify import verify_chain

pytestmark = pytest.mark.django_db

CHINESE = st.text(alphabet="网格员社区街道居民诉求处理反馈督查核实评价独居老人低保，。！？「」", max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and infinities too: stored as text, never a failure
    | st.text(max_size=20)  # any code point hypothesis likes, NUL and controls included
    | CHINESE
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8) | CHINESE, children, max_size=4)
    ),
    max_leaves=20,
)
DETAILS = st.dictionaries(st.text(max_size=8) | CHINESE, JSON, max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(details=DETAILS)
def test_any_json_details_round_trip_and_keep_the_chain_intact(details):
    event = record(details=details)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.details == clean_json(details)
    assert compute_hash(stored.prev_hash, payload_of(stored)) == stored.hash
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("given_", "stored"),
    [
        ({"f": 1.0}, {"f": 1}),
        ({"f": -0.0}, {"f": 0}),
        ({"f": 1e300}, {"f": int(1e300)}),
        ({"f": 0.1, "g": 1.5e-7}, {"f": 0.1, "g": 1.5e-7}),
        ({"nan": float("nan"), "inf": float("-inf")}, {"nan": "nan", "inf": "-inf"}),
        ({"nul": "a\x00b"}, {"nul": "a\ufffdb"}),
        ({"t": (1, 2), 3: "x"}, {"t": [1, 2], "3": "x"}),
        (
            {"居民": {"姓名": "张三", "标签": ["独居老人", "低保"]}},
            {"居民": {"姓名": "张三", "标签": ["独居老人", "低保"]}},
        ),
    ],
)
def test_details_are_stored_in_the_form_both_databases_give_back(given_, stored):
    event = record(details=given_)
    assert AuditEvent.objects.get(pk=event.pk).details == stored
    assert verify_chain().ok


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 1, 12, 0, 0, 0, tzinfo=UTC),  # no fraction: isoformat must still print it
    ],
)
def test_microseconds_survive_the_database_and_the_hash(moment):
    with mock.patch("zhili.audit.actions.timezone.now", return_value=moment):
        event = record(details={"at": "edge"})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.occurred_at == moment
    assert payload_of(stored)["occurred_at"] == moment.isoformat(timespec="microseconds")
    assert verify_chain().ok
