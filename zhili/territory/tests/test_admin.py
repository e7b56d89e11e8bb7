from __future__ import annotations

import pytest

from zhili.accounts.models import User

pytestmark = pytest.mark.django_db

MODELS = ["node", "gridboundary", "areaboundary", "building", "household"]


@pytest.fixture
def superuser_client(client, region):
    user = User.objects.create_superuser("root", "root@example.org", "a-long-enough-password")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_admin_lists_territory_models(superuser_client, homes, model):
    assert superuser_client.get(f"/django-admin/territory/{model}/").status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_admin_cannot_add(superuser_client, model):
    assert superuser_client.get(f"/django-admin/territory/{model}/add/").status_code == 403


def test_admin_shows_but_cannot_change_or_delete(superuser_client, region):
    url = f"/django-admin/territory/node/{region.grid_a.pk}/change/"
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    superuser_client.post(url, {"name": "Hacked", "kind": "grid", "code": "S-C1-A"})
    region.grid_a.refresh_from_db()
    assert region.grid_a.name == "Grid A"
    assert superuser_client.get(f"/django-admin/territory/node/{region.grid_a.pk}/delete/").status_code == 403


def test_admin_boundary_page_shows_the_geometry(superuser_client, region):
    from zhili.territory.models import GridBoundary

    boundary = GridBoundary.objects.get(grid=region.grid_a)
    html = superuser_client.get(
        f"/django-admin/territory/gridboundary/{boundary.pk}/change/"
    ).content.decode()
    assert "116.3" in html and "Polygon" in html
