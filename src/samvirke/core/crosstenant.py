"""What the generated cross-tenant suite needs to know about URLs: the registry and the walker.

The suite (core/tests/test_cross_tenant.py) walks every URL pattern and every API operation and
asks for organisation B's objects as a user of organisation A. It must know which model each
URL or API parameter names. A new page whose parameter is in no registry fails the suite until
it is registered here, so no page can escape it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

#: URL or API parameter name → the model whose id it carries ("app_label.Model").
#: Add ".field" to name a field other than the primary key ("tenancy.Network.code").
OBJECT_PARAMS: dict[str, str] = {
    "unit_id": "tenancy.OrgUnit",
    "membership_id": "tenancy.Membership",
    "token_id": "accounts.ApiToken",
    "invitation_id": "accounts.Invitation",
    "network_id": "tenancy.Network",
    "entry_id": "audit.AuditEntry",
    "organisation_id": "tenancy.Organisation",
    "user_id": "accounts.User",
    # Campaigns are network-level like networks: the suite must seed them per network.
    "campaign_id": "baseline.Campaign",
    "assessment_id": "baseline.Assessment",
    "answer_id": "baseline.Answer",
    "delegation_id": "baseline.Delegation",
    "evidence_id": "baseline.Evidence",
    "revision_id": "baseline.AnswerRevision",
    # Releases and partitions are network-level, like campaigns.
    "release_id": "benchmarking.Release",
    "group_id": "benchmarking.ReleaseGroup",
    "partition_id": "benchmarking.CustomPartition",
    "consent_id": "benchmarking.SharingConsent",
    "job_id": "reports.ReportJob",
}

#: Parameters that name no object: the values the suite tries for each.
VALUE_PARAMS: dict[str, list[str]] = {
    "fmt": ["csv", "xlsx"],
    # An invitation key is a secret the invitee holds; an unknown one must find nothing.
    "key": ["not-a-real-key-0000000000000000"],
}

#: Parameters that name shared reference data no organisation owns ("app_label.Model.field").
#: The suite tries the value of an existing row (or an unknown value when there is none).
SHARED_PARAMS: dict[str, str] = {
    "framework_key": "frameworks.Framework.key",
    "version": "frameworks.FrameworkVersion.version",
    "node_key": "frameworks.Node.key",
    "target_key": "frameworks.Framework.key",
    "question_id": "frameworks.Node.pk",
    "area_id": "frameworks.Node.pk",
}

#: Form field and API body property names that refer to another object, with that model.
#: A name ending in "_id" is also looked up here without the suffix.
REFERENCE_FIELDS: dict[str, str] = {
    "parent": "tenancy.OrgUnit",
    "org_unit": "tenancy.OrgUnit",
    "unit": "tenancy.OrgUnit",
    "organisation": "tenancy.Organisation",
    "user": "accounts.User",
    "network": "tenancy.Network",
    "membership": "tenancy.Membership",
    "token": "accounts.ApiToken",
    "invitation": "accounts.Invitation",
    "campaign": "baseline.Campaign",
    "assessment": "baseline.Assessment",
    "answer": "baseline.Answer",
    "delegation": "baseline.Delegation",
    "evidence": "baseline.Evidence",
    "release": "benchmarking.Release",
    "partition": "benchmarking.CustomPartition",
    "consent": "benchmarking.SharingConsent",
    "job": "reports.ReportJob",
}

#: Route prefixes the page walk leaves out; the API is walked from its OpenAPI schema instead.
SKIPPED_ROUTE_PREFIXES: tuple[str, ...] = ("admin/", "api/", "static/", "media/", "i18n/")

#: View modules that are not ours and take no object ids (login, MFA, language switch).
SKIPPED_VIEW_MODULES: tuple[str, ...] = ("allauth.", "django.")

#: Pages the permission-table test leaves out, by URL name, each with the reason.
PERMISSION_TABLE_SKIPPED: dict[str, str] = {}

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern of the project, flattened: its full route and its view."""

    route: str
    name: str
    callback: Any
    params: tuple[str, ...]

    @property
    def view_module(self) -> str:
        """The module the view function comes from."""
        return str(getattr(self.callback, "__module__", "") or "")

    @property
    def permission(self) -> str | object | None:
        """The named permission the view declares; MISSING when it declares none."""
        view_class = getattr(self.callback, "view_class", None)
        for holder in (self.callback, view_class):
            if holder is not None and hasattr(holder, "permission"):
                return holder.permission
        return MISSING

    def build(self, values: dict[str, str]) -> str:
        """The path with each parameter replaced by a value."""
        return "/" + _substitute(self.route, values)


MISSING = object()


def _pattern_text(pattern: RoutePattern | RegexPattern | Any) -> str:
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    return text


def _params(text: str) -> tuple[str, ...]:
    names = [m.group("name") for m in _REGEX_GROUP.finditer(text)]
    names += [m.group("name") for m in _ROUTE_PARAM.finditer(_REGEX_GROUP.sub("(", text))]
    return tuple(names)


def _substitute(text: str, values: dict[str, str]) -> str:
    while (match := _REGEX_GROUP.search(text)) is not None:
        end = _group_end(text, match.start())
        text = text[: match.start()] + values[match.group("name")] + text[end:]
    text = _ROUTE_PARAM.sub(lambda m: values[m.group("name")], text)
    return re.sub(r"\\(\W)", r"\1", text)  # a regex pattern's escaped literals


def _group_end(text: str, start: int) -> int:
    """Index just past the parenthesis that closes the group opening at `start`."""
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return index + 1
        index += 1
    raise ValueError(f"Unbalanced group in URL pattern {text!r}")


def _walk(
    patterns: Sequence[URLPattern | URLResolver], prefix: str, namespace: str
) -> Iterator[Route]:
    for pattern in patterns:
        text = prefix + _pattern_text(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, text, inner)
        else:
            name = namespace + pattern.name if pattern.name else ""
            yield Route(text, name, pattern.callback, _params(text))


def all_routes() -> list[Route]:
    """Every URL pattern of the project."""
    return list(_walk(get_resolver().url_patterns, "", ""))


def page_routes() -> list[Route]:
    """The URL patterns the page walk covers: ours, outside the API, admin and static files."""
    return [
        route
        for route in all_routes()
        if not route.route.startswith(SKIPPED_ROUTE_PREFIXES)
        and not (
            route.view_module.startswith(SKIPPED_VIEW_MODULES)
            and not set(route.params) & set(OBJECT_PARAMS)
        )
    ]


def unregistered(params: Sequence[str]) -> list[str]:
    """Parameter names in no registry."""
    known = OBJECT_PARAMS.keys() | VALUE_PARAMS.keys() | SHARED_PARAMS.keys()
    return [name for name in params if name not in known]


def shared_value(name: str) -> str:
    """A value for a shared-data parameter: an existing row's, or one that finds nothing."""
    label, attribute = SHARED_PARAMS[name].rsplit(".", 1)
    row = apps.get_model(label)._default_manager.order_by("pk").first()
    return str(getattr(row, attribute)) if row is not None else "unknown-0"


def reference_model(name: str) -> str | None:
    """The model a parameter, form field or body property refers to, if it refers to one."""
    if name in OBJECT_PARAMS:
        return OBJECT_PARAMS[name]
    return REFERENCE_FIELDS.get(name) or REFERENCE_FIELDS.get(name.removesuffix("_id"))


def register_hint(where: str, names: Sequence[str]) -> str:
    """The message that tells a developer how to bring a new parameter under the suite."""
    listed = f" {', '.join(names)}" if names else ""
    return (
        f"{where}: parameter(s){listed} not registered. Add each to OBJECT_PARAMS "
        "(it names an organisation's object: map it to its model), SHARED_PARAMS (it names shared "
        "reference data) or VALUE_PARAMS (it names no object: list the values to try) in "
        "src/samvirke/core/crosstenant.py, so the cross-tenant suite covers it."
    )
