"""Territory pages: the grid map with grid cards, buildings and households."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhili.authz.policies import Action, territory_policies
from zhili.core.errors import DomainError
from zhili.core.http import page_errors
from zhili.territory import selectors
from zhili.territory.actions import do_create_household
from zhili.territory.forms import HouseholdForm


@login_required
def map_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "territory/map.html",
        {
            "grids": selectors.visible_grids(request.user),
            "geojson_url": reverse("api:territory_grids_geojson"),
            # The map script swaps the 0 for the clicked grid's id.
            "card_url_template": reverse("territory:grid_card", args=[0]),
        },
    )


@login_required
@page_errors
def grid_card(request: HttpRequest, grid_id: int) -> HttpResponse:
    card = selectors.grid_card(selectors.get_grid_for_user(request.user, grid_id), user=request.user)
    # htmx fills the map's side panel; a plain request (a link opened on a phone) gets a whole page.
    template = "territory/_grid_card.html" if request.headers.get("HX-Request") else "territory/grid.html"
    return render(request, template, {"card": card})


@login_required
@page_errors
def building_detail(request: HttpRequest, building_id: int) -> HttpResponse:
    building = selectors.get_building_for_user(request.user, building_id)
    return render(
        request,
        "territory/building.html",
        {
            "building": building,
            "grid": building.grid,
            "households": building.households.order_by("number"),
            "can_edit": territory_policies()["building"].can(request.user, Action.EDIT, building),
        },
    )


@login_required
@page_errors
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, household_id)
    return render(
        request,
        "territory/household.html",
        {"household": household, "building": household.building, "grid": household.building.grid},
    )


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def household_new(request: HttpRequest, building_id: int) -> HttpResponse:
    building = selectors.get_building_for_user(request.user, building_id, Action.EDIT)
    form = HouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            household = do_create_household(building, form.cleaned_data["number"], actor=request.user)
        except DomainError as exc:
            form.add_error("number", exc.message)
        else:
            messages.success(request, _("Household %(number)s registered.") % {"number": household.number})
            return redirect("territory:household", household_id=household.pk)
    return render(request, "territory/household_form.html", {"form": form, "building": building})
