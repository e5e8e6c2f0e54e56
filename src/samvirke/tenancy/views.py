"""Pages for the active organisation: switcher, org units, members and networks."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from samvirke.accounts.forms import MembershipForm
from samvirke.core.access import parse_id
from samvirke.core.permissions import permission_required
from samvirke.tenancy.access import (
    access_membership,
    access_network,
    access_orgunit,
    active_organisation,
    visible_networks,
)
from samvirke.tenancy.forms import OrgUnitForm
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.middleware import SESSION_KEY
from samvirke.tenancy.models import Membership, OrgUnit
from samvirke.tenancy.queries import public_member_rows
from samvirke.tenancy.roles import Perm
from samvirke.tenancy.services import (
    membership_end,
    membership_update,
    orgunit_create,
    orgunit_delete,
    orgunit_update,
)


@require_POST
@permission_required(None)
def organisation_switch(request: OrgRequest) -> HttpResponse:
    """Make another of the user's organisations the active one."""
    wanted = parse_id(request.POST.get("organisation"))
    if wanted not in {m.organisation_id for m in request.all_memberships}:
        raise Http404
    request.session[SESSION_KEY] = wanted
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    return redirect(target or "/")


@permission_required(Perm.ORGUNIT_VIEW)
def orgunit_list(request: OrgRequest) -> HttpResponse:
    """The organisation's units as an indented tree."""
    organisation = active_organisation(request)
    units = list(
        OrgUnit.objects.filter(organisation=organisation)
        .annotate(member_count=Count("memberships"))
        .order_by("name")
    )
    return render(request, "tenancy/orgunit_list.html", {"rows": _tree_rows(units)})


def _tree_rows(units: list[OrgUnit]) -> list[tuple[int, OrgUnit]]:
    """Depth-first (depth, unit) rows, roots first, children by name."""
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    rows: list[tuple[int, OrgUnit]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in children.get(parent_id, []):
            rows.append((depth, unit))
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return rows


@permission_required(Perm.ORGUNIT_VIEW)
def orgunit_detail(request: OrgRequest, unit_id: int) -> HttpResponse:
    """One unit with its sub-units and members."""
    unit = access_orgunit(request, unit_id)
    context = {
        "unit": unit,
        "children": unit.children.all(),
        "members": unit.memberships.select_related("user"),
    }
    return render(request, "tenancy/orgunit_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ORGUNIT_CHANGE)
def orgunit_create_view(request: OrgRequest) -> HttpResponse:
    """Create a unit."""
    organisation = active_organisation(request)
    form = OrgUnitForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            unit = orgunit_create(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The unit was created."))
            return redirect("tenancy:orgunit_detail", unit_id=unit.pk)
    return render(request, "tenancy/orgunit_form.html", {"form": form}, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ORGUNIT_CHANGE)
def orgunit_edit(request: OrgRequest, unit_id: int) -> HttpResponse:
    """Edit a unit."""
    unit = access_orgunit(request, unit_id, write=True)
    initial = {
        "name": unit.name,
        "code": unit.code,
        "parent": unit.parent,
        "description": unit.description,
    }
    form = OrgUnitForm(
        request.POST or None, initial=initial, organisation=unit.organisation, unit=unit
    )
    if request.method == "POST" and form.is_valid():
        try:
            orgunit_update(actor=request.user, unit=unit, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The unit was saved."))
            return redirect("tenancy:orgunit_detail", unit_id=unit.pk)
    context = {"form": form, "unit": unit}
    return render(request, "tenancy/orgunit_form.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ORGUNIT_CHANGE)
def orgunit_delete_view(request: OrgRequest, unit_id: int) -> HttpResponse:
    """Confirm and delete a unit."""
    unit = access_orgunit(request, unit_id, write=True)
    return _confirmed(
        request,
        act=lambda: orgunit_delete(actor=request.user, unit=unit),
        done=_("The unit was deleted."),
        then="tenancy:orgunit_list",
        template="tenancy/orgunit_confirm_delete.html",
        context={"unit": unit},
    )


def _confirmed(
    request: OrgRequest,
    *,
    act: Callable[[], object],
    done: str,
    then: str,
    template: str,
    context: dict[str, object],
) -> HttpResponse:
    """A confirmation page whose POST runs one service; a refusal is shown in place (400)."""
    error = ""
    if request.method == "POST":
        try:
            act()
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, done)
            return redirect(then)
    return render(request, template, {**context, "error": error}, status=400 if error else 200)


def _status(form: OrgUnitForm) -> int:
    return 400 if form.is_bound and form.errors else 200


@permission_required(Perm.MEMBER_VIEW)
def member_list(request: OrgRequest) -> HttpResponse:
    """People in the organisation with their roles."""
    organisation = active_organisation(request)
    memberships = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "org_unit")
        .order_by("user__last_name", "user__first_name", "role")
    )
    return render(request, "tenancy/member_list.html", {"memberships": memberships})


@permission_required(Perm.NETWORK_VIEW)
def network_list(request: OrgRequest) -> HttpResponse:
    """Networks the organisation belongs to or stewards."""
    networks = sorted(visible_networks(request), key=lambda n: n.name)
    return render(request, "tenancy/network_list.html", {"networks": networks})


@permission_required(Perm.NETWORK_VIEW)
def network_detail(request: OrgRequest, network_id: int) -> HttpResponse:
    """A network and the public attributes of its current members."""
    network = access_network(request, network_id)
    members = public_member_rows(network.members_on().distinct())
    return render(request, "tenancy/network_detail.html", {"network": network, "members": members})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.MEMBER_CHANGE)
def membership_edit(request: OrgRequest, membership_id: int) -> HttpResponse:
    """Change a membership's unit or end date."""
    membership = access_membership(request, membership_id, write=True)
    initial = {"org_unit": membership.org_unit, "ends_on": membership.ends_on}
    form = MembershipForm(
        request.POST or None, initial=initial, organisation=membership.organisation
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership_update(actor=request.user, membership=membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The membership was saved."))
            return redirect("tenancy:member_list")
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "membership": membership}
    return render(request, "tenancy/member_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.MEMBER_CHANGE)
def membership_end_view(request: OrgRequest, membership_id: int) -> HttpResponse:
    """Confirm and end a membership now."""
    membership = access_membership(request, membership_id, write=True)
    return _confirmed(
        request,
        act=lambda: membership_end(actor=request.user, membership=membership),
        done=_("The membership was ended."),
        then="tenancy:member_list",
        template="tenancy/member_confirm_end.html",
        context={"membership": membership},
    )
