"""What one submit costs in SQL statements, and the configuration every process keeps in memory.

The statement counts are upper bounds taken from the path as it is (``zhili bench intake`` runs the
same requests over HTTP): a change that adds a read or a write to every submit fails here first.
The rulebook (``zhili.cases.rulebook``) must follow a change made anywhere at the next submit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from zhili.cases import rulebook as rulebook_module
from zhili.cases.intake import run_idempotent
from zhili.cases.models import Case, Category, ConfigStamp, DispatchRule, IdempotencyKey
from zhili.cases.rulebook import config_changed, rulebook
from zhili.cases.tests.conftest import IN_GRID_A
from zhili.intelligence import classify as classify_module
from zhili.notify.models import Notification

# The real classifier (the package's conftest replaces it with one that has no opinion).
REAL_CLASSIFY = classify_module.classify

API = "/api/v1/cases/"

# Statements of one submit over the API with an Idempotency-Key, caches warm, from the session read
# to the end of the transaction (a savepoint here: the test runs in a transaction), apart from the
# rollups' journal row (counted on its own). PostgreSQL: session, user, savepoint, the key, the
# stamps of the configuration and the boundaries with the active classifier (one read),
# memberships, the grid with its boundary, the case, its event, the handlers to tell, the outbox
# rows, the stored response, the audit row, release. SQLite reads the chain's head on its own.
DISPATCHED_MAX = {"postgresql": 14, "sqlite": 15}
# Not classified (no keyword matches): no dispatch, so no handlers to read.
PENDING_MAX = {"postgresql": 13, "sqlite": 14}


@pytest.fixture
def classifier(monkeypatch):
    monkeypatch.setattr("zhili.intelligence.classify.classify", REAL_CLASSIFY)


def _post(client: Any, key: str, **fields: Any) -> Any:
    body = {
        "title": "楼下垃圾堆放",
        "body": "3号楼下垃圾三天没人清运，气味很大。",
        "lat": IN_GRID_A[0],
        "lng": IN_GRID_A[1],
        "contact_name": "张先生",
        "contact_mobile": "13900001234",
        **fields,
    }
    return client.post(
        API, json.dumps(body), content_type="application/json", headers={"Idempotency-Key": key}
    )


def _check_statements(ctx: CaptureQueriesContext, limit: dict[str, int]) -> None:
    analytics = [q for q in ctx.captured_queries if '"analytics_' in q["sql"]]
    others = [q["sql"][:160] for q in ctx.captured_queries if q not in analytics]
    # One journal row, and not one rollup row: those every submit of the day shares.
    assert [q["sql"].split("(")[0].strip() for q in analytics] == ['INSERT INTO "analytics_rollupchange"']
    assert len(others) <= limit[connection.vendor], "\n".join(others)


# What a submit costs ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_classified_and_dispatched_submit_takes_a_bounded_number_of_statements(
    client, login, cats, rule, classifier
):
    login("resident")
    assert _post(client, "warm").status_code == 201  # loads the rulebook and the spatial index
    with CaptureQueriesContext(connection) as ctx:
        response = _post(client, "measured", contact_mobile="13900005678")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "dispatched"
    _check_statements(ctx, DISPATCHED_MAX)


@pytest.mark.django_db
def test_a_submit_left_for_the_dispatcher_takes_a_bounded_number_of_statements(
    client, login, cats, rule, classifier
):
    login("resident")
    assert _post(client, "warm").status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        response = _post(client, "measured", title="咨询办事", body="想问一下居住证在哪里办理。")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    _check_statements(ctx, PENDING_MAX)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "channel"),
    [("resident", "api"), ("dispatcher", "hotline"), ("grid_worker_b", "patrol")],  # B files in grid A
)
def test_the_response_built_without_reading_the_case_again_is_what_the_detail_endpoint_shows(
    client, login, cats, rule, classifier, persona, channel
):
    login(persona)
    created = _post(client, "k1", channel=channel).json()
    shown = client.get(f"{API}{created['id']}").json()
    assert created == shown
    assert created["department"]["name"] == rule.department.name
    assert [e["kind"] for e in created["events"]] == ["submit"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"anonymous": True},
        {"title": "咨询办事", "body": "想问一下居住证在哪里办理。"},  # not classified: it waits
        {"address": "东门外", "contact_mobile": "", "contact_name": ""},
    ],
)
def test_other_submits_answer_what_the_detail_endpoint_shows(client, login, cats, rule, classifier, fields):
    login("resident")
    response = _post(client, "k2", **fields)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created == client.get(f"{API}{created['id']}").json()
    assert created["status"] in ("dispatched", "pending")


@pytest.mark.django_db
def test_one_submit_writes_its_messages_in_one_statement(client, login, cats, rule, classifier):
    login("resident")
    _post(client, "warm")
    with CaptureQueriesContext(connection) as ctx:
        _post(client, "measured", contact_mobile="13900005678")
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "notify_notification"')]
    assert len(inserts) == 1
    case = Case.objects.latest("id")
    # The handler of the department, the reporter in the app and by SMS.
    assert Notification.objects.filter(topic=f"cases.case:{case.pk}").count() == 3


# The rulebook -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rulebook_is_kept_while_nothing_changes_and_costs_one_read(cats, rule):
    book = rulebook()
    with CaptureQueriesContext(connection) as ctx:
        again = rulebook()
    assert again is book and len(ctx) == 1
    assert book.active_category("ENV-GARB-PILE").lineage()[-1].code == "ENV"  # parents attached


@pytest.mark.django_db
def test_every_save_and_delete_of_the_configuration_changes_the_stamp(cats, rule, region):
    seen = {ConfigStamp.objects.get(pk=1).token}

    def changed() -> bool:
        token = ConfigStamp.objects.get(pk=1).token
        new = token not in seen
        seen.add(token)
        return new

    cats.pile.keywords += "\n乱扔"
    cats.pile.save()
    assert changed()
    rule.priority = 3
    rule.save()
    assert changed()
    region.department.name = "Renamed"
    region.department.save()
    assert changed()
    rule.delete()
    assert changed()


@pytest.mark.django_db
def test_a_category_edited_in_the_admin_is_used_by_the_next_submit(client, login, region, cats, classifier):
    login("resident")
    assert _post(client, "before", title="楼道堆满杂物", body="楼道里堆满杂物。").json()["category"] is None
    kept = rulebook_module._cache.held
    superuser = region.user("admin")
    superuser.is_superuser = superuser.is_staff = True
    superuser.save()
    client.force_login(superuser)
    response = client.post(
        f"/django-admin/cases/category/{cats.pile.pk}/change/",
        {
            "code": cats.pile.code,
            "name": cats.pile.name,
            "parent": cats.garbage.pk,
            "department": region.department.pk,
            "keywords": "杂物\n堆满",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # The edit touched only the database (as one made by another process would): this process's
    # rulebook is still the old one, and the next submit finds out through the stamp.
    assert rulebook_module._cache.held is kept
    login("resident")
    after = _post(client, "after", title="楼道堆满杂物", body="楼道里堆满杂物。").json()
    assert after["category"]["code"] == "ENV-GARB-PILE"
    assert rulebook_module._cache.held is not kept


@pytest.mark.django_db
def test_a_rule_switched_off_stops_dispatching_at_the_next_submit(client, login, cats, rule, classifier):
    login("resident")
    assert _post(client, "on").json()["status"] == "dispatched"
    DispatchRule.objects.filter(pk=rule.pk).update(active=False)  # no signal: say so
    config_changed()
    assert _post(client, "off").json()["status"] == "pending"


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_stale_rulebook(cats):
    before = rulebook()
    with pytest.raises(RuntimeError), transaction.atomic():
        Category.objects.create(code="TEMP", name="Temporary", level=1)
        assert rulebook().active_category("TEMP") is not None
        raise RuntimeError("roll back")
    assert rulebook().active_category("TEMP") is None
    assert rulebook().categories == before.categories


CHILD = """
import django, sys
django.setup()
from zhili.cases.actions.config import do_save_case_config
from zhili.cases.models import Category
category = Category.objects.get(code="ENV-GARB-PILE")
category.keywords = "杂物"
do_save_case_config(category, actor=None)
"""


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_process_is_seen_at_the_next_look_up(cats, classifier):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database that another process can open (PostgreSQL)")
    assert classify_module.classify("楼道堆满杂物", "楼道里堆满杂物。") is None
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhili.settings.test",
        "DATABASE_URL": (
            f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        ),
    }
    env.pop("ZHILI_TEST_DB_NAME", None)
    subprocess.run([sys.executable, "-c", CHILD], env=env, check=True, timeout=120)
    prediction = classify_module.classify("楼道堆满杂物", "楼道里堆满杂物。")
    assert prediction is not None and prediction.category_code == "ENV-GARB-PILE"


# Idempotency under concurrency (PostgreSQL: real concurrent transactions) ------------------------


def _race(first_fails: bool) -> tuple[list[tuple[int, Any, bool]], list[str]]:
    """Two requests with one key: the first holds its key row uncommitted while the second arrives."""
    inside, release = threading.Event(), threading.Event()
    ran: list[str] = []
    results: list[tuple[int, Any, bool]] = []

    def first_run() -> tuple[int, dict[str, Any], None]:
        ran.append("first")
        inside.set()
        release.wait(10)
        if first_fails:
            raise RuntimeError("the first request fails")
        return 201, {"by": "first"}, None

    def second_run() -> tuple[int, dict[str, Any], None]:
        ran.append("second")
        return 201, {"by": "second"}, None

    def request(run: Any) -> None:
        try:
            results.append(run_idempotent(owner="user:1", key="same", digest="d", run=run))
        except RuntimeError:
            pass
        finally:
            connection.close()

    first = threading.Thread(target=request, args=(first_run,))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=request, args=(second_run,))
    second.start()
    second.join(0.5)  # the second now waits on the first's key row
    release.set()
    first.join(10)
    second.join(10)
    return results, ran


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_retry_waits_for_the_first_request_and_gets_its_response():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    results, ran = _race(first_fails=False)
    assert ran == ["first"]
    assert sorted(results, key=lambda r: r[2]) == [
        (201, {"by": "first"}, False),
        (201, {"by": "first"}, True),
    ]
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_retry_runs_itself_when_the_first_request_fails():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    results, ran = _race(first_fails=True)
    assert ran == ["first", "second"]
    assert results == [(201, {"by": "second"}, False)]
    assert IdempotencyKey.objects.get().response == {"by": "second"}
