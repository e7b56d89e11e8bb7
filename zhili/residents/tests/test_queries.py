"""List pages read a fixed number of queries, whatever the number of residents."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhili.core.idnumber import make_id_number
from zhili.residents.actions import do_create_person
from zhili.residents.models import Tag

from .conftest import make_input

pytestmark = pytest.mark.django_db


def add_members(household, start, count):
    tags = list(Tag.objects.filter(code__in=["elderly_80", "dibao"]))
    for n in range(start, start + count):
        born = date(1940, 1, 1 + n)
        do_create_person(
            household,
            make_input(
                name=f"王{n}",
                gender="M",
                birth_date=born,
                id_number=make_id_number("110105", born, 11),
                mobile="",
                moved_in_on=None,
            ),
            actor=None,
            tags=tags,
        )


def count_queries(client, path, method="get", data=None):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, data or {})
    assert response.status_code == 200
    return len(queries)


def test_household_page_and_search_do_not_grow_with_members(client, login, household):
    login("grid_worker_a")
    add_members(household, 0, 2)
    few_household = count_queries(client, reverse("residents:household", args=[household.pk]))
    few_search = count_queries(client, reverse("residents:search"), "post", {"q": "王"})
    add_members(household, 2, 8)
    assert count_queries(client, reverse("residents:household", args=[household.pk])) == few_household
    assert count_queries(client, reverse("residents:search"), "post", {"q": "王"}) == few_search
