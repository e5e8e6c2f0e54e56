"""The generated cross-tenant suite: organisation A's users against organisation B's objects.

Nothing here is written per page. The suite walks every URL pattern and every API operation as it
finds them when it runs, builds a rich organisation B (several objects of every organisation-owned
model, each text carrying a "CANARY-B-" marker), and then, as A's users:

- asks for each of B's objects through every URL and API path that takes an object id, with every
  method: the answer must be 404 (403 only for a user who lacks the view's permission, or for the
  respondent and the reader, whom a view may refuse once it checks a stronger permission), never
  a 2xx or a redirect;
- posts B's ids as references into A's own forms and API bodies: nothing may come to point at B;
- scans every response of the whole walk for B's canary text;
- checks that not one of B's rows changed.

A parameter that no registry in samvirke.core.crosstenant knows fails the suite, so a new page
cannot slip past it. The totals are printed: "cross-tenant: N attempts, 0 successes".
"""

from __future__ import annotations

import datetime
import decimal
import io
import itertools
import json
import logging
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from django_scopes import scopes_disabled

from conftest import login
from samvirke.accounts.models import ApiToken, User, digest
from samvirke.audit.services import audit_log
from samvirke.benchmarking.models import ReleaseGroup
from samvirke.core.crosstenant import (
    MISSING,
    OBJECT_PARAMS,
    REFERENCE_FIELDS,
    VALUE_PARAMS,
    Route,
    page_routes,
    reference_model,
    register_hint,
    shared_value,
    unregistered,
)
from samvirke.core.models import OrganisationOwnedModel
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member, make_user
from samvirke.frameworks.parsing import LIBRARY_DIR
from samvirke.frameworks.services import frameworks_load
from samvirke.tenancy.middleware import SESSION_KEY
from samvirke.tenancy.models import Network, NetworkMembership, Organisation
from samvirke.tenancy.roles import Role, role_permissions

pytestmark = pytest.mark.django_db

CANARY = "CANARY-B-"
ALFA = "ALFA-"
API_SCHEMA = "/api/v1/openapi.json"
#: How many of B's objects of each model the walk asks for (label_lower → count).
B_COUNTS = {
    "tenancy.orgunit": 8,
    "tenancy.membership": 8,
    "accounts.apitoken": 6,
    "accounts.invitation": 6,
    "audit.auditentry": 8,
}
B_DEFAULT_COUNT = 6
B_ONLY_NETWORKS = 5
A_COUNT = 3
#: How many of B's objects each reference field is tried with in A's forms and bodies.
REFERENCES_PER_FIELD = 3
ORG_ROLES = [role for role in Role if role != Role.OPERATOR]


# --- the models ------------------------------------------------------------------------------


def tenant_models() -> list[type[models.Model]]:
    """Every concrete model that belongs to one organisation (base class or scoped manager)."""
    found = []
    for model in apps.get_models():
        scoped = issubclass(model, OrganisationOwnedModel) or any(
            hasattr(manager, "with_scopes_disabled") for manager in model._meta.managers
        )
        if scoped and any(f.name == "organisation" for f in model._meta.concrete_fields):
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label_lower)


def network_level_models() -> list[type[models.Model]]:
    """Models that belong to a network rather than an organisation (campaigns), like networks."""
    tenant = tenant_models()
    return [
        model
        for model in apps.get_models()
        if model not in tenant
        and any(
            f.name == "network" and f.related_model is Network for f in model._meta.concrete_fields
        )
        and not any(f.related_model is Organisation for f in model._meta.concrete_fields)
    ]


def _dependencies(model: type[models.Model], among: list[type[models.Model]]) -> set[Any]:
    return {
        f.related_model
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model in among and f.related_model is not model
    }


def creation_order(tenant: list[type[models.Model]]) -> list[type[models.Model]]:
    """Tenant models with each model after the models it refers to (a cycle is broken anywhere)."""
    ordered: list[type[models.Model]] = []
    pending = list(tenant)
    while pending:
        ready = [m for m in pending if _dependencies(m, tenant) <= set(ordered)] or pending[:1]
        ordered += ready
        pending = [m for m in pending if m not in ready]
    return ordered


# --- building an organisation's objects --------------------------------------------------------

SKIP = object()


@dataclass
class Seed:
    """Objects created for one organisation, with the text marker they carry."""

    organisation: Organisation
    marker: str
    networks: list[Network]
    objects: dict[type[models.Model], list[models.Model]] = field(
        default_factory=lambda: defaultdict(list)
    )
    users: list[User] = field(default_factory=list)
    serial: Iterator[int] = field(default_factory=itertools.count)

    def text(self, max_length: int | None = None) -> str:
        """A unique text with the marker, or a plain unique one where the marker does not fit."""
        value = f"{self.marker}{uuid.uuid4().hex[:12]}"
        if max_length is not None and len(value) > max_length:
            return uuid.uuid4().hex[:max_length]
        return value

    def new_user(self) -> User:
        """A person known only to this organisation."""
        name = self.text().lower()
        user = User.objects.create(
            username=name,
            email=f"{name}@example.test",
            first_name=self.text(),
            last_name=self.text(),
        )
        self.users.append(user)
        return user

    def network_level(self, model: type[models.Model], index: int) -> models.Model:
        """A network-level object (a campaign): one per network of this seed, then in turn."""
        existing = self.objects[model]
        if len(existing) < len(self.networks):
            return self.create(model, len(existing))
        return existing[index % len(existing)]

    def pick(self, model: type[models.Model]) -> models.Model:
        """One of the organisation's objects of a model, in turn; created when there is none."""
        existing = self.objects[model]
        if not existing:
            return self.create(model, 0)
        return existing[next(self.serial) % len(existing)]

    def create(self, model: type[models.Model], index: int) -> models.Model:
        """Create one object with a sensible value in every field."""
        factory = FACTORIES.get(model._meta.label_lower)
        if factory is not None:
            obj = factory(self, index)
        else:
            values = {f.name: value_for(self, model, f, index) for f in model._meta.concrete_fields}
            obj = model(**{name: value for name, value in values.items() if value is not SKIP})
            obj.save()
        self.objects[model].append(obj)
        return obj


def _related(seed: Seed, model: type[models.Model], f: models.Field[Any, Any], index: int) -> Any:
    target = f.related_model
    if f.null and index % 2:
        return None
    if target is model:
        earlier = seed.objects[model]
        return earlier[-1] if earlier else None
    if target in tenant_models():
        return seed.pick(target)
    if target is User:
        return seed.new_user()
    if target is Organisation:
        return seed.organisation
    if target is Network:
        return seed.networks[index % len(seed.networks)]
    if target in network_level_models():
        return seed.network_level(target, index)
    shared = target._default_manager.first()
    if shared is None:
        raise AssertionError(f"Add a factory for {target} in FACTORIES ({model} refers to it)")
    return shared


def _scalar(seed: Seed, f: models.Field[Any, Any], index: int) -> Any:
    if isinstance(f, models.BooleanField | models.IntegerField) and f.has_default():
        return f.get_default()
    if isinstance(f, models.BooleanField):
        return index % 2 == 0
    if isinstance(f, models.IntegerField):
        return index + 1
    if isinstance(f, models.DecimalField):
        return decimal.Decimal("1")
    if isinstance(f, models.FloatField):
        return 1.0
    if isinstance(f, models.DateTimeField):
        return timezone.now() + datetime.timedelta(days=30 + index)
    if isinstance(f, models.DateField):
        return datetime.date(2099, 1, 1) + datetime.timedelta(days=index)
    if isinstance(f, models.DurationField):
        return datetime.timedelta(days=1)
    if isinstance(f, models.UUIDField):
        return uuid.uuid4()
    if isinstance(f, models.EmailField):
        return f"{seed.text().lower()}@example.test"
    if isinstance(f, models.URLField):
        return f"https://example.test/{seed.text()}"
    if isinstance(f, models.SlugField):
        return seed.text(f.max_length).lower()
    if isinstance(f, models.GenericIPAddressField):
        return "192.0.2.10"
    if isinstance(f, models.JSONField):
        return {"note": seed.text()}
    if isinstance(f, models.CharField | models.TextField | models.FileField):
        return seed.text(f.max_length)
    if f.has_default():
        return f.get_default()
    if f.null:
        return None
    raise AssertionError(f"Add a factory in FACTORIES for {f.model}: cannot fill field {f.name}")


def value_for(seed: Seed, model: type[models.Model], f: models.Field[Any, Any], index: int) -> Any:
    """A value for one field of a new object (SKIP for fields the database fills)."""
    if f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return SKIP
    if f.name == "organisation":
        return seed.organisation
    if f.is_relation:
        return _related(seed, model, f, index)
    if f.choices:
        choices = [value for value, _label in f.flatchoices]
        return choices[index % len(choices)]
    if f.null and index % 2 and not isinstance(f, models.BooleanField):
        return None
    return _scalar(seed, f, index)


def _audit_entry(seed: Seed, index: int) -> models.Model:
    """Audit entries are written only by audit_log: record a change to one of the seeded objects."""
    seeded = [obj for objs in seed.objects.values() for obj in objs]
    return audit_log(
        actor=seed.users[index % len(seed.users)] if seed.users else None,
        organisation=seed.organisation,
        action="test.crosstenant.seeded",
        obj=seeded[index % len(seeded)] if seeded else None,
        changes={"name": [None, seed.text()]},
    )


#: Models that need more than a value per field (label_lower → factory).
FACTORIES: dict[str, Callable[[Seed, int], models.Model]] = {
    "audit.auditentry": _audit_entry,
}


def populate(seed: Seed, counts: Callable[[type[models.Model]], int]) -> Seed:
    """Create each organisation-owned model's objects inside the organisation's scope."""
    ordered = creation_order(tenant_models())
    ordered.sort(key=lambda m: m._meta.label_lower in FACTORIES)  # audit entries come last
    with organisation_scope(seed.organisation.pk):
        for model in ordered:
            for index in range(counts(model)):
                try:
                    with transaction.atomic():
                        seed.create(model, index)
                except IntegrityError:
                    continue  # a unique constraint the generic values met: fewer objects is fine
            assert seed.objects[model], f"Could not create any {model}: add a factory in FACTORIES"
    return seed


def b_only_networks(org_b: Organisation, count: int) -> list[Network]:
    """Networks organisation B stewards and A neither belongs to nor stewards."""
    networks = []
    for index in range(count):
        marker = f"{CANARY}{uuid.uuid4().hex[:12]}"
        network = Network.objects.create(
            code=marker.lower(), name=marker, description=marker, steward=org_b
        )
        NetworkMembership.objects.create(
            network=network, organisation=org_b, joined_on=datetime.date(2020, 1, 1 + index)
        )
        networks.append(network)
    return networks


# --- the two organisations and A's people -----------------------------------------------------


@dataclass
class Person:
    """One of A's users, with what they may do in A and a client logged in for A."""

    label: str
    user: User
    permissions: frozenset[str]
    client: Client
    api_secret: str
    org_a: int
    member_of_b: bool
    # A view may check a stronger permission once it has the object; for the weakly privileged
    # that 403 is fine. Everyone else must get 404 wherever they hold the view's permission.
    may_be_refused: bool
    # Each test client loads the middleware anew (static file scanning included): make few.
    api_client: Client = field(default_factory=lambda: Client(raise_request_exception=False))

    def enter_a(self) -> None:
        """Make organisation A the session's active organisation."""
        session = self.client.session
        session[SESSION_KEY] = self.org_a
        session.save()

    def refused_properly(self, status: int, permission: Any) -> bool:
        """404 or 405; 403 only where they lack the declared permission or may be refused."""
        lacks = bool(named(permission)) and not named(permission) & self.permissions
        return status in {404, 405} or (status == 403 and (lacks or self.may_be_refused))


@dataclass
class Setup:
    """The world, both organisations' seeded objects and A's people."""

    world: World
    a: Seed
    b: Seed
    people: list[Person]
    forbidden: dict[Any, set[Any]] = field(default_factory=dict)

    def references_to_b(self) -> str | None:
        """The first foreign key of A's rows that points at one of B's objects, if any."""
        if not self.forbidden:
            self.forbidden = b_ids(self)
        found = a_references_to_b(self, self.forbidden)
        return found[0] if found else None

    def b_objects(self, label: str) -> list[models.Model]:
        """B's objects of a model named in a registry: what A must never reach."""
        model = registry_model(label)
        if model is Organisation:
            return [self.world.org_b]
        if model is Network:
            return list(self.b.networks)
        if model is User:
            return list(self.b.users)
        assert model in self.b.objects, f"{label}: no objects of B to try; add a factory"
        return self.b.objects[model]

    def own_value(self, param: str) -> str:
        """What a parameter carries on A's own pages: A's object, a shared row, a listed value."""
        if param in OBJECT_PARAMS:
            return url_value(OBJECT_PARAMS[param], self.a_object(OBJECT_PARAMS[param]))
        if param in VALUE_PARAMS:
            return VALUE_PARAMS[param][0]
        return shared_value(param)

    def a_object(self, label: str) -> models.Model:
        """One of A's own objects of a model named in a registry."""
        model = registry_model(label)
        if model is Organisation:
            return self.world.org_a
        if model is Network:
            return self.world.network
        if model is User:
            return self.a.users[0]
        return self.a.objects[model][0]


def registry_model(label: str) -> type[models.Model]:
    """The model a registry entry ("app.Model" or "app.Model.field") names."""
    return apps.get_model(".".join(label.split(".")[:2]))


def url_value(label: str, obj: models.Model) -> str:
    """The text a URL carries for an object: its id, or the field a registry entry names."""
    attribute = label.split(".")[2] if label.count(".") > 1 else "pk"
    return str(getattr(obj, attribute))


def _api_secret(user: User, organisation: Organisation) -> str:
    secret = ApiToken.new_secret()
    with organisation_scope(organisation.pk):
        ApiToken.objects.create(
            organisation=organisation,
            user=user,
            name="suite",
            prefix=secret[:8],
            key_digest=digest(secret),
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
    return secret


def _person(label: str, user: User, world: World, *, may_be_refused: bool = False) -> Person:
    with organisation_scope(world.org_a.pk):
        roles = [m.role for m in user.memberships.filter(organisation=world.org_a)]
    with organisation_scope(world.org_b.pk):
        member_of_b = user.memberships.filter(organisation=world.org_b).exists()
    client = login(Client(raise_request_exception=False), user)
    permissions = frozenset().union(*(role_permissions(role) for role in roles))
    secret = _api_secret(user, world.org_a)
    person = Person(
        label, user, permissions, client, secret, world.org_a.pk, member_of_b, may_be_refused
    )
    person.enter_a()
    return person


def build_setup(world: World) -> Setup:
    """Seed both organisations and prepare A's people."""
    # Shared reference data that organisations' rows refer to (questions of a framework).
    frameworks_load(paths=[LIBRARY_DIR / "cfcs-top4"])
    b = Seed(world.org_b, CANARY, b_only_networks(world.org_b, B_ONLY_NETWORKS))
    populate(b, lambda m: B_COUNTS.get(m._meta.label_lower, B_DEFAULT_COUNT))
    a = populate(Seed(world.org_a, ALFA, [world.network]), lambda m: A_COUNT)
    # Network-level objects (releases, partitions) and the release groups under them exist for
    # every network of each seed, even where no organisation-owned row refers to them.
    for seed in (b, a):
        with organisation_scope(seed.organisation.pk):
            for model in network_level_models():
                for index in range(len(seed.networks)):
                    seed.network_level(model, index)
            for index in range(len(seed.networks)):
                seed.create(ReleaseGroup, index)
    # Someone who holds every role in A and a role in B: only the active organisation may count.
    dual = make_user("dual.ab")
    for role in ORG_ROLES:
        add_member(dual, world.org_a, role)
    add_member(dual, world.org_b, Role.RESPONDENT)
    people = [
        _person("coordinator", world.owner, world),
        _person("respondent", world.member, world, may_be_refused=True),
        _person("reader", world.reader, world, may_be_refused=True),
        _person("all-roles", dual, world),
    ]
    return Setup(world, a, b, people)


# --- what B has and what A points at -----------------------------------------------------------


def b_snapshot(setup: Setup) -> dict[str, list[dict[str, Any]]]:
    """Every row of B's, serialised: the walk must leave it exactly as it was."""
    org_b = setup.world.org_b
    snapshot: dict[str, list[dict[str, Any]]] = {}
    with scopes_disabled():
        for model in tenant_models():
            rows = model._default_manager.filter(organisation=org_b).order_by("pk").values()
            snapshot[model._meta.label_lower] = list(rows)
        snapshot["organisation"] = list(Organisation.objects.filter(pk=org_b.pk).values())
        stewarded = Network.objects.filter(steward=org_b)
        snapshot["networks"] = list(stewarded.order_by("pk").values())
        snapshot["network members"] = list(
            NetworkMembership.objects.filter(network__in=stewarded).order_by("pk").values()
        )
        for model in network_level_models():
            rows = model._default_manager.filter(network__in=stewarded).order_by("pk").values()
            snapshot[model._meta.label_lower] = list(rows)
        users = User.objects.filter(pk__in=[u.pk for u in setup.b.users]).order_by("pk")
        snapshot["users"] = list(users.values())
    for row in snapshot["users"]:
        row.pop("last_login")
    return snapshot


def b_ids(setup: Setup) -> dict[Any, set[Any]]:
    """B's object ids per model, as A's rows must never reference them."""
    with scopes_disabled():
        ids: dict[Any, set[Any]] = {
            model: set(
                model._default_manager.filter(organisation=setup.world.org_b).values_list(
                    "pk", flat=True
                )
            )
            for model in tenant_models()
        }
    a_members = set(
        User.objects.filter(memberships__organisation=setup.world.org_a).values_list(
            "pk", flat=True
        )
    )
    ids[Organisation] = {setup.world.org_b.pk}
    ids[Network] = {n.pk for n in setup.b.networks}
    for model in network_level_models():
        ids[model] = {obj.pk for obj in setup.b.objects[model]}
    ids[User] = {u.pk for u in setup.b.users} - a_members
    return ids


def a_references_to_b(setup: Setup, forbidden: dict[Any, set[Any]]) -> list[str]:
    """Every foreign key of A's rows that points at one of B's objects."""
    found = []
    with scopes_disabled():
        for model in tenant_models():
            rows = model._default_manager.filter(organisation=setup.world.org_a)
            for f in model._meta.concrete_fields:
                if not f.is_relation or f.related_model not in forbidden:
                    continue
                bad = set(rows.values_list(f.attname, flat=True)) & forbidden[f.related_model]
                if bad:
                    found.append(f"{model._meta.label}.{f.name} of A points at B's {sorted(bad)}")
    return found


# --- requests and their tally ------------------------------------------------------------------


@dataclass
class Tally:
    """Every request of the walk and every one that reached B."""

    attempts: int = 0
    leaks: list[str] = field(default_factory=list)

    def record(self, problem: str | None) -> None:
        """Count one request; a problem is a success for the attacker."""
        self.attempts += 1
        if problem is not None:
            self.leaks.append(problem)


def body_text(response: HttpResponse) -> str:
    """A response's content as lower-case text (spreadsheets unzipped)."""
    raw = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if response.streaming
        else response.content
    )
    if raw.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"".join(archive.read(name) for name in archive.namelist())
    return raw.decode("utf-8", "replace").lower()


def leak_in(response: HttpResponse, person: Person, setup: Setup) -> str | None:
    """What, if anything, a response gave away: B's text, a server error, a switch to B."""
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if CANARY.lower() in body_text(response):
        return "B's canary text in the response"
    if (
        settings.SESSION_COOKIE_NAME in response.cookies
        and person.client.session.get(SESSION_KEY) != person.org_a
    ):
        if not person.member_of_b:
            return "the session switched to organisation B"
        person.enter_a()  # B is theirs too: switching is their right, but the walk stays in A
    return None


def expect_refused(response: HttpResponse, person: Person, permission: Any) -> str | None:
    """B's object through a page: refused (see Person.refused_properly), never shown or moved to."""
    if person.refused_properly(response.status_code, permission):
        return None
    return f"status {response.status_code}"


def request(
    person: Person, method: str, path: str, *, htmx: bool = False, **kwargs: Any
) -> HttpResponse:
    """One page request as a person of A."""
    headers = {"HX-Request": "true"} if htmx else {}
    send = getattr(person.client, method.lower())
    return send(path, headers=headers, **kwargs)  # type: ignore[no-any-return]


# --- forms -----------------------------------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of a page's POST forms that post back to the page, with a plausible value each."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.values: dict[str, str] = {}
        self.found = False
        self._inside = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "form":
            self._inside = a.get("method", "").lower() == "post" and a.get("action", "") in {
                "",
                self.path,
            }
            self.found = self.found or self._inside
        elif not self._inside or (not name and tag != "option"):
            return
        elif tag in {"input", "textarea"} and name != "csrfmiddlewaretoken":
            self.values.setdefault(name, _plausible(a.get("type", "text"), a.get("value", "")))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and a.get("value"):
            self.values.setdefault(self._select, a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._inside = False


def _plausible(kind: str, value: str) -> str:
    return {
        "hidden": value,
        "email": "posted@example.test",
        "date": "2099-01-01",
        "datetime-local": "2099-01-01T12:00",
        "number": "1",
        "checkbox": "on",
        "radio": value,
    }.get(kind, value or "posted by the suite")


def form_fields(person: Person, path: str) -> FormFields:
    """The POST form fields of a page, as a person sees it."""
    parser = FormFields(path)
    response = person.client.get(path)
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        parser.feed(body_text(response))
    return parser


def reference_bodies(setup: Setup, fields: FormFields) -> Iterator[dict[str, str]]:
    """Form bodies with B's ids in the reference fields: each field in turn, then all at once.

    Without a form on the page, every known reference field name is tried at once.
    """
    names = [n for n in fields.values if reference_model(n)]
    for name in names:
        for obj in setup.b_objects(_label(name))[:REFERENCES_PER_FIELD]:
            yield {**fields.values, name: str(obj.pk)}
    for index in range(1 if names else REFERENCES_PER_FIELD):
        everything = {
            name: str(_nth(setup.b_objects(_label(name)), index).pk)
            for name in names or REFERENCE_FIELDS
        }
        yield {**fields.values, **everything}


def _label(name: str) -> str:
    label = reference_model(name)
    assert label is not None
    return label


def _nth(objects: list[models.Model], index: int) -> models.Model:
    return objects[index % len(objects)]


# --- the page walk ---------------------------------------------------------------------------


def value_combinations(route: Route) -> list[dict[str, str]]:
    """Every combination of the values a route's non-object parameters take."""
    names = [p for p in route.params if p not in OBJECT_PARAMS]
    choices = [VALUE_PARAMS[n] if n in VALUE_PARAMS else [shared_value(n)] for n in names]
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*choices)]


def b_paths(route: Route, setup: Setup) -> Iterator[str]:
    """The route with each object parameter in turn naming each of B's objects (others A's)."""
    own = {p: setup.own_value(p) for p in route.params if p in OBJECT_PARAMS}
    for values in value_combinations(route):
        for param in own:
            label = OBJECT_PARAMS[param]
            for obj in setup.b_objects(label):
                yield route.build({**values, **own, param: url_value(label, obj)})


def check_resolves(route: Route, path: str) -> None:
    """A built path must reach the route's own view, or the walk tests the wrong page."""
    assert resolve(path).func is route.callback, f"{path} does not resolve to {route.route}"


def walk_b_objects(setup: Setup, tally: Tally, routes: list[Route]) -> None:
    """Every page that takes an object id, with each of B's objects, every method, every person."""
    plain_body = {"name": "posted by the suite", "description": "posted by the suite"}
    reference_body = {
        name: str(setup.b_objects(label)[0].pk) for name, label in REFERENCE_FIELDS.items()
    }
    for route in routes:
        if not set(route.params) & set(OBJECT_PARAMS):
            continue
        for path in b_paths(route, setup):
            check_resolves(route, path)
            for person in setup.people:
                for method, htmx, data in (
                    ("GET", False, None),
                    ("GET", True, None),
                    ("POST", False, plain_body),
                    ("POST", True, {**plain_body, **reference_body}),
                    ("DELETE", False, None),
                ):
                    kwargs = {"data": data} if data is not None else {}
                    response = request(person, method, path, htmx=htmx, **kwargs)
                    problem = expect_refused(response, person, route.permission) or leak_in(
                        response, person, setup
                    )
                    where = f"{person.label} {method}{' (htmx)' if htmx else ''} {path}"
                    tally.record(f"{where}: {problem}" if problem else None)


def b_query(setup: Setup) -> dict[str, str]:
    """Query parameters that name B's objects, as filters a list page might accept."""
    names = {**REFERENCE_FIELDS, **OBJECT_PARAMS}
    return {name: url_value(label, setup.b_objects(label)[0]) for name, label in names.items()}


def walk_own_pages(setup: Setup, tally: Tally, routes: list[Route]) -> None:
    """Every page without object ids, asked to filter by B's objects: nothing of B may show."""
    query = b_query(setup)
    for route in routes:
        if set(route.params) & set(OBJECT_PARAMS):
            continue
        for values in value_combinations(route):
            path = route.build(values)
            check_resolves(route, path)
            for person in setup.people:
                for htmx in (False, True):
                    response = request(person, "GET", path, htmx=htmx, data=query)
                    problem = leak_in(response, person, setup)
                    tally.record(f"{person.label} GET {path}: {problem}" if problem else None)


def a_paths(route: Route, setup: Setup) -> list[str]:
    """The route with every object parameter naming one of A's own objects."""
    own = {p: setup.own_value(p) for p in route.params if p in OBJECT_PARAMS}
    return [route.build({**values, **own}) for values in value_combinations(route)]


def _destructive_last(route: Route) -> bool:
    return any(word in route.route + route.name for word in ("delete", "remove", "revoke"))


def walk_references(setup: Setup, tally: Tally, routes: list[Route]) -> None:
    """A's own forms (create and edit) posted with B's ids in every reference field."""
    for route in sorted(routes, key=_destructive_last):
        for path in a_paths(route, setup):
            for person in (setup.people[-1], setup.people[0]):
                post_references(setup, tally, person, path)


def post_references(setup: Setup, tally: Tally, person: Person, path: str) -> None:
    """Post each reference body to one of A's pages (the first with HTMX too)."""
    for number, body in enumerate(reference_bodies(setup, form_fields(person, path))):
        for htmx in (False, True)[: 1 if number else 2]:
            response = request(person, "POST", path, htmx=htmx, data=body)
            problem = leak_in(response, person, setup) or setup.references_to_b()
            tally.record(f"{person.label} POST {path} {body}: {problem}" if problem else None)
            if response.status_code == 405:
                return  # the page takes no POST


# --- the API walk ----------------------------------------------------------------------------


def api_request(
    person: Person, method: str, path: str, body: Any = None, query: dict[str, str] | None = None
) -> HttpResponse:
    """One API call with a person's bearer token (the API client keeps no session)."""
    auth = {"Authorization": f"Bearer {person.api_secret}"}
    if method == "GET":
        return person.api_client.get(path, query or {}, headers=auth)  # type: ignore[no-any-return]
    data = json.dumps(body) if body is not None else ""
    return person.api_client.generic(  # type: ignore[no-any-return]
        method, path, data, content_type="application/json", headers=auth
    )


@dataclass(frozen=True)
class Operation:
    """One API operation from the OpenAPI schema."""

    method: str
    path: str
    operation_id: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body: dict[str, Any] | None

    def build(self, values: dict[str, str]) -> str:
        """The path with its parameters filled in."""
        path = self.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        return path


def api_operations(schema: dict[str, Any]) -> list[Operation]:
    """Every operation in the schema, with its parameters and request body schema."""
    operations = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            params = op.get("parameters", []) + item.get("parameters", [])
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            operations.append(
                Operation(
                    method.upper(),
                    path,
                    op.get("operationId", f"{method} {path}"),
                    tuple(p["name"] for p in params if p["in"] == "path"),
                    tuple(p["name"] for p in params if p["in"] == "query"),
                    body.get("schema"),
                )
            )
    return operations


def named(permission: Any) -> frozenset[str]:
    """The names a declared permission accepts: a page's one, an API operation's any of a set,
    or none (MISSING)."""
    if isinstance(permission, str):
        return frozenset({permission})
    return permission if isinstance(permission, frozenset) else frozenset()


def operation_permissions() -> dict[str, Any]:
    """operationId → the named permissions its authentication accepts (any one suffices), or
    MISSING if unknown."""
    from samvirke.api.api import api

    found: dict[str, Any] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                permissions = [
                    getattr(a, "permission", MISSING) for a in operation.auth_callbacks or []
                ]
                found[api.get_openapi_operation_id(operation)] = (
                    permissions[0] if permissions else MISSING
                )
    return found


class BodyFiller:
    """A valid-looking JSON body from a schema, with B's ids in every reference property."""

    def __init__(self, schema: dict[str, Any], setup: Setup) -> None:
        self.components = schema.get("components", {}).get("schemas", {})
        self.setup = setup

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.components[node["$ref"].rsplit("/", 1)[1]]
        for key in ("anyOf", "oneOf"):
            if key in node:
                options = [o for o in node[key] if o.get("type") != "null"] or node[key]
                return self.resolve(options[0])
        if "allOf" in node:
            merged: dict[str, Any] = {"type": "object", "properties": {}}
            for part in node["allOf"]:
                merged["properties"].update(self.resolve(part).get("properties", {}))
            return merged
        return node

    def fill(self, node: dict[str, Any], name: str = "") -> Any:
        node = self.resolve(node)
        label = reference_model(name) if name else None
        if label is not None and node.get("type") in {"integer", "string", None}:
            value = url_value(label, self.setup.b_objects(label)[0])
            return int(value) if node.get("type") == "integer" else value
        kind = node.get("type")
        if "enum" in node:
            return node["enum"][0]
        if kind == "object":
            return {key: self.fill(sub, key) for key, sub in node.get("properties", {}).items()}
        if kind == "array":
            return [self.fill(node.get("items", {}), name)]
        if kind in {"integer", "number"}:
            return node.get("minimum", 1)
        if kind == "boolean":
            return False
        return self._string(node)

    def _string(self, node: dict[str, Any]) -> str:
        fmt = node.get("format", "")
        if fmt in {"email", "date", "date-time"}:
            return {
                "email": "posted@example.test",
                "date": "2099-01-01",
                "date-time": "2099-01-01T12:00:00Z",
            }[fmt]
        text = "posted by the suite"
        return text[: node.get("maxLength", len(text))].ljust(node.get("minLength", 0), "x")


def _api_check(
    operation: Operation, person: Person, permission: Any, response: HttpResponse
) -> str | None:
    status = response.status_code
    if person.refused_properly(status, permission):
        return None
    if operation.method in {"POST", "PUT", "PATCH"} and status in {400, 422}:
        return None  # the body was refused before the object was looked up; nothing reached B
    return f"status {status}"


def walk_api(setup: Setup, tally: Tally) -> None:
    """Every API operation: B's ids in paths find nothing; B's ids in bodies do not stick."""
    schema = setup.people[0].client.get(API_SCHEMA).json()
    filler = BodyFiller(schema, setup)
    permissions = operation_permissions()
    query = b_query(setup)
    operations = api_operations(schema)
    unknown = sorted({p for op in operations for p in unregistered(op.path_params)})
    assert not unknown, register_hint("API", unknown)
    for operation in operations:
        permission = permissions.get(operation.operation_id, MISSING)
        body = filler.fill(operation.body) if operation.body else None
        for person in setup.people:
            for path in _api_b_paths(operation, setup):
                response = api_request(person, operation.method, path, body)
                problem = _api_check(operation, person, permission, response) or leak_in(
                    response, person, setup
                )
                tally.record(
                    f"API {person.label} {operation.method} {path}: {problem}" if problem else None
                )
            if operation.method == "DELETE":
                continue
            own = operation.build({p: setup.own_value(p) for p in operation.path_params})
            response = api_request(person, operation.method, own, body, query)
            problem = leak_in(response, person, setup) or setup.references_to_b()
            tally.record(
                f"API {person.label} {operation.method} {own} {body}: {problem}"
                if problem
                else None
            )


def _api_b_paths(operation: Operation, setup: Setup) -> Iterator[str]:
    own = {p: setup.own_value(p) for p in operation.path_params}
    for param in [p for p in operation.path_params if p in OBJECT_PARAMS]:
        label = OBJECT_PARAMS[param]
        for obj in setup.b_objects(label):
            yield operation.build({**own, param: url_value(label, obj)})


# --- the test --------------------------------------------------------------------------------


def report(tally: Tally, capsys: pytest.CaptureFixture[str] | None = None) -> str:
    """Print the totals where they are seen, with or without `-s`."""
    line = f"cross-tenant: {tally.attempts} attempts, {len(tally.leaks)} successes"
    if capsys is None:
        print(line)
    else:
        with capsys.disabled():
            print(f"\n{line}")
    return line


def assert_registered(routes: list[Route]) -> None:
    """Fail, with the way out, when a page's parameter is in no registry."""
    missing = sorted({f"/{r.route}: {', '.join(unregistered(r.params))}" for r in routes})
    missing = [m for m in missing if not m.endswith(": ")]
    assert not missing, register_hint("; ".join(missing), [])


def test_every_url_parameter_is_registered() -> None:
    assert_registered(page_routes())


@pytest.fixture
def quiet_request_log() -> Iterator[None]:
    """Thousands of refused requests would each log a warning with a traceback."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.mark.usefixtures("quiet_request_log")
def test_organisation_a_never_reaches_organisation_b(
    world: World, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = build_setup(world)
    before = b_snapshot(setup)
    routes = page_routes()
    assert_registered(routes)
    tally = Tally()
    walk_b_objects(setup, tally, routes)
    walk_own_pages(setup, tally, routes)
    walk_api(setup, tally)
    walk_references(setup, tally, routes)
    record_property("cross_tenant_attempts", tally.attempts)
    record_property("cross_tenant_successes", len(tally.leaks))
    report(tally, capsys)
    assert not tally.leaks, "\n".join(tally.leaks[:50])
    assert b_snapshot(setup) == before, "organisation B's rows changed during the walk"
    assert tally.attempts >= 1000
