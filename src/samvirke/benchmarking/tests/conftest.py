"""Fixtures and tools of the attack suite (../shared/disclosure.md, AT-01 to AT-15).

Populations are built with `samvirke.benchmarking.testing.population`, each once per test module
inside a transaction that is rolled back after the module. Every organisation's answers carry
canaries: a unique comment on every answer and a unique reason on one "not applicable" answer,
which also moves its scores off the published grids, so its exact scores are recognisable too.

The crawl walks every page and API operation that exists when it runs, as the network's
coordinator and as peers, and keeps every response for the attacks to read.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
import logging
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from django.apps import apps
from django.db import connection, models, transaction
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled
from scipy.optimize import linprog

from samvirke.accounts.models import ApiToken, User, digest
from samvirke.baseline.models import Answer
from samvirke.benchmarking.audit import AuditResult, Constraint, Problem, audit_problem
from samvirke.benchmarking.models import Release, ReleaseCell, ReleaseGroup, ReleaseScore
from samvirke.benchmarking.policy import CURRENT_POLICY, DisclosurePolicy
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.benchmarking.testing import (
    DK_LIKE,
    NO_LIKE,
    Population,
    Spec,
    population,
    revise_answers,
)
from samvirke.core.crosstenant import (
    OBJECT_PARAMS,
    SHARED_PARAMS,
    VALUE_PARAMS,
    Route,
    page_routes,
    reference_model,
    shared_value,
)
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import add_member, make_organisation, make_user
from samvirke.tenancy.middleware import SESSION_KEY
from samvirke.tenancy.models import Network, Organisation
from samvirke.tenancy.roles import Role

API_SCHEMA = "/api/v1/openapi.json"
W = CURRENT_POLICY.width
#: An LP bound this close to W is a tie, not a pin (rounding of the solver).
TIE = 1e-4

# --- populations with canaries ----------------------------------------------------------------


@dataclass
class Viewer:
    """Someone who looks at benchmarks: a logged-in client and an API token for one organisation."""

    label: str
    user: User
    organisation: Organisation
    client: Client
    api_secret: str
    # Each test client loads the middleware anew: one for the API per viewer.
    api_client: Client = field(default_factory=lambda: Client(raise_request_exception=False))

    def get(self, path: str, query: dict[str, Any] | None = None, **headers: str) -> Any:
        """A page request in the viewer's session (the test client's response)."""
        return self.client.get(path, query or {}, headers=headers)

    def api(
        self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """An API request with the viewer's bearer token (no session)."""
        auth = {"Authorization": f"Bearer {self.api_secret}"}
        client = self.api_client
        if method == "GET":
            return client.get(path, query or {}, headers=auth)
        data = json.dumps(body if body is not None else {})
        return client.generic(method, path, data, content_type="application/json", headers=auth)


@dataclass
class Bench:
    """A population with its published release, its coordinator and peers, and its canaries."""

    name: str
    pop: Population
    release: Release
    coordinator: Viewer
    peers: list[Viewer]
    #: Organisation id → its canary strings (lower case).
    canaries: dict[int, list[str]]
    #: Organisation id → statistic → exact score (from the release's internal table).
    scores: dict[int, dict[str, float]] = field(default_factory=dict)

    @property
    def viewers(self) -> list[Viewer]:
        return [self.coordinator, *self.peers]

    def org(self, code_index: int) -> Organisation:
        return self.pop.organisations[code_index]


def viewer(label: str, organisation: Organisation, role: str) -> Viewer:
    """A new user with one role in the organisation, logged in and with an API token."""
    user = make_user(f"{label}.{uuid.uuid4().hex[:6]}")
    add_member(user, organisation, role)
    client = Client(raise_request_exception=False)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_KEY] = organisation.pk
    session.save()
    secret = ApiToken.new_secret()
    with organisation_scope(organisation.pk):
        ApiToken.objects.create(
            organisation=organisation,
            user=user,
            name="attack suite",
            prefix=secret[:8],
            key_digest=digest(secret),
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
    return Viewer(label, user, organisation, client, secret)


def plant_canaries(pop: Population) -> dict[int, list[str]]:
    """A unique comment on each answer and a unique reason on one "not applicable" answer.

    Every second organisation marks a question of its first area not applicable: that area's
    score becomes a mean of three answers and the total leaves the grids of published means.
    """
    canaries: dict[int, list[str]] = {}
    for index, organisation in enumerate(pop.organisations):
        note = f"zqnote{uuid.uuid4().hex[:10]}"
        reason = f"zqwhy{uuid.uuid4().hex[:10]}"
        canaries[organisation.pk] = [note, reason]
        with organisation_scope(organisation.pk):
            answers = Answer.objects.filter(organisation=organisation)
            answers.update(comment=f"Note {note}")
            if index % 2 == 0:
                answers.filter(question=pop.questions[index % 4]).update(
                    value=None, not_applicable=True, not_applicable_reason=f"Because {reason}"
                )
    return canaries


def release_scores(release: Release) -> dict[int, dict[str, float]]:
    """Every counted organisation's exact scores in a release (internal: the auditor's view)."""
    found: dict[int, dict[str, float]] = defaultdict(dict)
    rows = ReleaseScore.objects.filter(release=release).values_list(
        "organisation_id", "statistic", "score"
    )
    for organisation, statistic, score in rows:
        found[organisation][statistic] = score
    return dict(found)


def build_bench(
    name: str, spec: Spec, prepare: Callable[[Population], None] | None = None, peers: int = 1
) -> Bench:
    """Write a population under its own coordinating organisation, plant canaries, build and
    publish the release. `prepare` changes the answers before the release is built."""
    steward = make_organisation(f"S{spec.code_prefix}", f"Coordination {name}")
    network = Network.objects.create(code=f"net-{name}", name=f"Network {name}", steward=steward)
    pop = population(spec, network=network)
    canaries = plant_canaries(pop)
    if prepare is not None:
        prepare(pop)
    coordinator = viewer(f"coordinator.{name}", steward, Role.NETWORK_COORDINATOR)
    release = release_build(actor=coordinator.user, campaign=pop.campaign)
    release = release_publish(actor=coordinator.user, release=release)
    # Peers in the smallest region (the last organisations) and in the first one.
    chosen = [pop.organisations[-1], pop.organisations[len(pop.organisations) // 2]][:peers]
    peer_viewers = [
        viewer(f"peer{i}.{name}", org, Role.SECURITY_COORDINATOR) for i, org in enumerate(chosen)
    ]
    bench = Bench(name, pop, release, coordinator, peer_viewers, canaries)
    bench.scores = release_scores(release)
    return bench


def adversarial_spec() -> Spec:
    """A one-member region, a region of 6 excellent organisations (all answers 5), a region of
    11 for the all-"no" questions, a region of 8 for block suppression, and two large regions."""
    return Spec(
        regions=ADVERSARIAL_REGIONS,
        level=lambda i, r, rng: 5.0 if r == 1 else min(5.0, max(0.0, rng.gauss(2.6, 0.9))),
        uniform=set(range(1, 7)),
        code_prefix="AD",
        seed=7,
    )


ADVERSARIAL_REGIONS = (1, 6, 11, 8, 29, 22)
#: Indices of the adversarial fixture's organisations by role.
ONE_MEMBER, EXCELLENT = [0], list(range(1, 7))
ALL_NO_REGION = list(range(7, 18))
BLOCK_REGION = list(range(18, 26))
LATE_SUBMITTER = 30
OPTED_IN = (40, 60)


def _set_answers(pop: Population, indices: list[int], question_index: int, value: int) -> None:
    for index in indices:
        revise_answers(pop.organisations[index], value, [pop.questions[question_index]])


def prepare_adversarial(pop: Population) -> None:
    """All-"no" questions, an area all at 0 in one region, a late submitter, two opt-ins."""
    from samvirke.baseline.models import Assessment, AssessmentState
    from samvirke.benchmarking.models import SharingAudience, SharingConsent

    _set_answers(pop, ALL_NO_REGION, 4, 0)  # 11 of 11 answer level 0 ("no")
    _set_answers(pop, ALL_NO_REGION[:-1], 5, 0)  # 10 of 11 answer level 0 ...
    _set_answers(pop, ALL_NO_REGION[-1:], 5, 3)  # ... and one answers 3
    for question_index in range(8, 12):  # the third area: every member of the region at 0
        _set_answers(pop, BLOCK_REGION, question_index, 0)
    late = pop.organisations[LATE_SUBMITTER]
    with organisation_scope(late.pk):
        Assessment.objects.filter(organisation=late, campaign=pop.campaign).update(
            state=AssessmentState.CLOSED_UNSUBMITTED
        )
    for index in OPTED_IN:
        organisation = pop.organisations[index]
        with organisation_scope(organisation.pk):
            SharingConsent.objects.create(
                organisation=organisation,
                campaign=pop.campaign,
                audience=SharingAudience.MEMBERS,
            )


@contextmanager
def rolled_back(django_db_blocker: Any) -> Iterator[None]:
    """Database access for a module fixture, inside a transaction rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def analysed(bench: Bench) -> Bench:
    """The bench, with PostgreSQL's planner statistics taken of its rows.

    A module's rows are never committed, so autovacuum never sees them; its statistics of
    earlier modules' rolled-back rows (none live) made PostgreSQL plan the bench's pages for
    empty tables, several times slower. ANALYZE in the transaction counts the transaction's own
    rows, as autovacuum would in a live database, and is rolled back with them.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return bench


@pytest.fixture(scope="module")
def dk_like(django_db_setup: None, django_db_blocker: Any) -> Iterator[Bench]:
    """98 organisations in regions of 29/17/22/19/11 with a published release."""
    with rolled_back(django_db_blocker):
        yield analysed(build_bench("dk", DK_LIKE, peers=2))


@pytest.fixture(scope="module")
def no_like(django_db_setup: None, django_db_blocker: Any) -> Iterator[Bench]:
    """332 organisations in 15 regions, one of 1 and one of 6, with a published release."""
    with rolled_back(django_db_blocker):
        yield analysed(build_bench("no", NO_LIKE))


@pytest.fixture(scope="module")
def adversarial(django_db_setup: None, django_db_blocker: Any) -> Iterator[Bench]:
    """The adversarial variants in one population (see `adversarial_spec`)."""
    with rolled_back(django_db_blocker):
        yield analysed(build_bench("adv", adversarial_spec(), prepare_adversarial))


# --- reading responses ------------------------------------------------------------------------


@dataclass
class Seen:
    """One response of the crawl."""

    viewer: str
    where: str
    status: int
    content_type: str
    body: bytes
    text: str  # lower case, spreadsheets unzipped

    @property
    def json(self) -> Any:
        return json.loads(self.body) if "json" in self.content_type else None


def raw_body(response: HttpResponse) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)


def as_text(raw: bytes) -> str:
    """A body as lower-case text; the parts of a zip (XLSX) joined."""
    if raw.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"\n".join(archive.read(name) for name in archive.namelist())
    return raw.decode("utf-8", "replace").lower()


def seen(viewer: Viewer, where: str, response: HttpResponse) -> Seen:
    raw = raw_body(response)
    return Seen(
        viewer.label,
        where,
        response.status_code,
        response.get("Content-Type", ""),
        raw,
        as_text(raw),
    )


_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3})[.,](\d+)")
# Clock times with fractions of a second ("12:34:51.111234" in an ISO timestamp) and dates
# ("27.11.2026") are not scores: without this, a release created at second 51.111 would read
# as a canary.
_SEPARATOR = re.compile(r",(?=\d)")
_CLOCK = re.compile(r"\d{1,2}:\d{2}:\d{2}[.,]\d+|(?<![\d.,])\d{1,2}\.\d{1,2}\.\d{4}")


def number_forms(text: str) -> set[str]:
    """Every decimal number in a text, as "int.dd" (three decimals or more: truncated to 3);
    clock times and dates are not numbers here. Read twice: as written (a decimal comma, as in
    "47,5") and with each comma before a digit taken as a separator (a CSV row or a JSON array,
    as in "Total,63.25,47.5")."""
    text = _CLOCK.sub(" ", text)
    separated = _SEPARATOR.sub(" ", text)
    return {
        f"{whole}.{decimals[:3]}"
        for found in (text, separated)
        for whole, decimals in _NUMBER.findall(found)
    }


def score_forms(score: float) -> set[str]:
    """How an exact score could appear: 1 or 2 decimals rounded, or 3 truncated."""
    whole, decimals = f"{score:.10f}".split(".")
    forms = {f"{score:.1f}", f"{score:.2f}", f"{whole}.{decimals[:3]}"}
    # A value on the half-point grid may be a published mean: not a canary.
    return {f for f in forms if abs(float(f) * 2 - round(float(f) * 2)) > 1e-9}


def foreign_forms(bench: Bench, organisation: Organisation) -> set[str]:
    """Other organisations' exact scores as text, minus anything the viewer's own could be."""
    own = {f for s in bench.scores.get(organisation.pk, {}).values() for f in score_forms(s)}
    foreign = {
        f
        for org, scores in bench.scores.items()
        if org != organisation.pk
        for s in scores.values()
        for f in score_forms(s)
    }
    return foreign - own


def canaries_in(page: Seen, bench: Bench, organisation: Organisation, forms: set[str]) -> list[str]:
    """Other organisations' canary strings and exact scores found in a response."""
    found = [
        token
        for org, tokens in bench.canaries.items()
        if org != organisation.pk
        for token in tokens
        if token in page.text
    ]
    return found + sorted(number_forms(page.text) & forms)


# --- the crawl --------------------------------------------------------------------------------


def _objects(
    model: type[models.Model], organisation: Organisation, other: Organisation
) -> list[Any]:
    """A few of the viewer's own objects of a model, then one of another organisation's."""
    manager = model._default_manager
    with scopes_disabled():
        if any(f.name == "organisation" for f in model._meta.concrete_fields):
            own = list(manager.filter(organisation=organisation).order_by("pk")[:2])
            foreign = list(manager.filter(organisation=other).order_by("pk")[:1])
            return own + foreign
        return list(manager.order_by("pk")[:2])


def param_values(bench: Bench, viewer: Viewer) -> dict[str, list[str]]:
    """The values the crawl tries for each URL parameter, as this viewer."""
    network, release = bench.pop.network, bench.release
    other = bench.org(0) if bench.org(0) != viewer.organisation else bench.org(1)
    special: dict[str, list[Any]] = {
        "release_id": list(Release.objects.filter(network=network).order_by("pk")),
        "group_id": list(ReleaseGroup.objects.filter(release=release).order_by("position")),
        "campaign_id": list(network.campaigns.order_by("pk")),
        "network_id": [network],
        "organisation_id": [viewer.organisation, other],
        "user_id": [viewer.user],
    }
    values: dict[str, list[str]] = {}
    for name, label in OBJECT_PARAMS.items():
        if name in special:
            objects = special[name]
        else:
            model = apps.get_model(".".join(label.split(".")[:2]))
            objects = _objects(model, viewer.organisation, other)
        attribute = label.split(".")[2] if label.count(".") > 1 else "pk"
        values[name] = [str(getattr(o, attribute)) for o in objects] or ["999999"]
    values.update(VALUE_PARAMS)
    for name in SHARED_PARAMS:
        values[name] = [shared_value(name)]
    values["question_id"] = [str(q.pk) for q in bench.pop.questions[:5:4]]
    values["area_id"] = [str(a.pk) for a in bench.pop.areas[:2]]
    return values


def _variants(params: tuple[str, ...], values: dict[str, list[str]]) -> list[dict[str, str]]:
    """The first value of every parameter, then each other value of one parameter at a time."""
    base = {p: values.get(p, ["1"])[0] for p in params}
    found = [base]
    for p in params:
        found += [{**base, p: v} for v in values.get(p, [])[1:]]
    return found


def _is_benchmark(route: Route) -> bool:
    return route.view_module.startswith("samvirke.benchmarking")


def crawl_pages(bench: Bench, viewer: Viewer) -> list[Seen]:
    """Every page (GET) with every parameter value the viewer might use; benchmark pages also
    with each release as a query and as an HTMX request."""
    values = param_values(bench, viewer)
    found = []
    for route in page_routes():
        for combination in _variants(route.params, values):
            path = route.build(combination)
            queries: list[dict[str, str]] = [{}]
            if _is_benchmark(route):
                # The pages choose a release by query; groups are asked for through the API.
                queries += [{"release_id": r} for r in values["release_id"]]
            for query in queries:
                where = f"GET {path} {query or ''}"
                found.append(seen(viewer, where, viewer.get(path, query)))
            if _is_benchmark(route):
                response = viewer.get(path, HX_Request="true")
                found.append(seen(viewer, f"GET (htmx) {path}", response))
    return found


@dataclass(frozen=True)
class Operation:
    """One API operation from the OpenAPI schema."""

    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]

    def build(self, values: dict[str, str]) -> str:
        path = self.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        return path


def api_operations(viewer: Viewer) -> list[Operation]:
    """Every operation of the API's OpenAPI schema as it is when the crawl runs."""
    schema = viewer.api("GET", API_SCHEMA).json()
    found = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            params = op.get("parameters", []) + item.get("parameters", [])
            found.append(
                Operation(
                    method.upper(),
                    path,
                    tuple(p["name"] for p in params if p["in"] == "path"),
                    tuple(p["name"] for p in params if p["in"] == "query"),
                )
            )
    return found


def statistics(bench: Bench) -> list[str]:
    """Statistic names to ask for: the total, an area, an answer option, and an unknown one."""
    question = bench.pop.questions[0].pk
    return ["total", f"area:{bench.pop.areas[0].pk}", f"question:{question}:0", "area:999999"]


def query_values(bench: Bench, values: dict[str, list[str]], name: str) -> list[str]:
    """Values for an API query parameter: groups, statistics, or the objects it names."""
    if name in {"group", "group_id"}:
        return [*values["group_id"], "999999"]
    if name == "statistic":
        return statistics(bench)
    label = reference_model(name)
    key = next((p for p, v in OBJECT_PARAMS.items() if v == label), None)
    return values.get(key, []) if key else []


def crawl_api(bench: Bench, viewer: Viewer) -> list[Seen]:
    """Every API operation: reads with every parameter value, then writes with an empty body
    (in the test's transaction; deletions are left out, they would only end the crawl early)."""
    values = param_values(bench, viewer)
    operations = api_operations(viewer)
    found = []
    for op in sorted(operations, key=lambda o: o.method != "GET"):
        if op.method == "DELETE":
            continue
        for combination in _variants(op.path_params, values):
            path = op.build(combination)
            queries: list[dict[str, str]] = [{}]
            if op.method == "GET":
                for name in op.query_params:
                    queries += [{name: v} for v in query_values(bench, values, name)]
            for query in queries:
                response = viewer.api(op.method, path, query)
                found.append(seen(viewer, f"API {op.method} {path} {query or ''}", response))
    return found


def crawl(bench: Bench) -> list[Seen]:
    """Pages, exports and API operations, as the coordinator and as each peer."""
    found = []
    with quiet_request_log():
        for person in bench.viewers:
            found += crawl_pages(bench, person)
            found += crawl_api(bench, person)
    return found


@contextmanager
def quiet_request_log() -> Iterator[None]:
    """Hundreds of refused requests would each log a warning with a traceback."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def benchmark_responses(bench: Bench, viewer: Viewer, pages: bool = True) -> dict[str, bytes]:
    """The benchmark pages, exports and API reads of one viewer, keyed by request."""
    values = param_values(bench, viewer)
    found: dict[str, bytes] = {}
    for route in page_routes():
        if not pages or not _is_benchmark(route):
            continue
        for combination in _variants(route.params, values):
            path = route.build(combination)
            found[f"GET {path}"] = normalised(viewer, viewer.get(path))
    for op in api_operations(viewer):
        if op.method == "GET" and "/benchmarks" in op.path:
            for combination in _variants(op.path_params, values):
                path = op.build(combination)
                found[f"API {path}"] = normalised(viewer, viewer.api("GET", path))
    return found


_TOKEN = re.compile(rb"[A-Za-z0-9]{64}")


def normalised(viewer: Viewer, response: HttpResponse) -> bytes:
    """A response's bytes without what changes per request by design (CSRF tokens) or per
    file (a spreadsheet's creation time): the sheets' cells and the status remain."""
    raw = raw_body(response)
    if raw.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"".join(
                archive.read(name) for name in sorted(archive.namelist()) if "docProps" not in name
            )
    return str(response.status_code).encode() + b" " + _TOKEN.sub(b"TOKEN", raw)


def csv_rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


# --- the audit, from what was stored ----------------------------------------------------------


def stored_problems(releases: list[Release]) -> dict[str, Problem]:
    """One audit problem per score statistic from the published cells of one or more releases.

    Built from the stored tables only (what pages and the API serve), not from the objects the
    release was built with. With several releases (a release and its correction), an
    organisation whose score is the same in both is one unknown, one whose score changed two.
    """
    variables: dict[str, dict[tuple[int, float], int]] = defaultdict(dict)
    truth: dict[str, list[float]] = defaultdict(list)
    owners: dict[str, list[int]] = defaultdict(list)
    known: dict[str, set[int]] = defaultdict(set)
    constraints: dict[str, list[Constraint]] = defaultdict(list)
    for release in releases:
        scores: dict[int, dict[str, tuple[float, bool]]] = defaultdict(dict)
        for org, statistic, score, is_known in ReleaseScore.objects.filter(
            release=release
        ).values_list("organisation_id", "statistic", "score", "known"):
            scores[org][statistic] = (score, is_known)
        code_of = dict(Organisation.objects.filter(pk__in=list(scores)).values_list("code", "pk"))
        members = {g.pk: [code_of[c] for c in g.members] for g in release.groups.all()}
        low, high = (float(v) for v in release.policy["scale"])
        cells = ReleaseCell.objects.filter(release=release, hidden=False).values_list(
            "group_id", "statistic", "value", "grid"
        )
        for group, statistic, value, grid in cells:
            if value is None or grid is None:
                continue
            if statistic != "total" and not statistic.startswith("area:"):
                continue
            indices = []
            for org in members[group]:
                if statistic not in scores[org]:
                    continue
                score, is_known = scores[org][statistic]
                key = (org, round(score, 9))
                if key not in variables[statistic]:
                    variables[statistic][key] = len(truth[statistic])
                    truth[statistic].append(score)
                    owners[statistic].append(org)
                    if is_known:
                        known[statistic].add(variables[statistic][key])
                indices.append(variables[statistic][key])
            n = len(indices)
            constraints[statistic].append(
                Constraint(
                    tuple(indices),
                    max(low * n, n * (value - grid / 2)),
                    min(high * n, n * (value + grid / 2)),
                )
            )
    return {
        s: Problem(np.array(truth[s]), owners[s], constraints[s], known[s]) for s in constraints
    }


def reaudit(releases: list[Release], policy: DisclosurePolicy = CURRENT_POLICY) -> AuditResult:
    """The production audit (R13) run again over the stored, published cells."""
    result = AuditResult()
    for problem in stored_problems(releases).values():
        result.merge(audit_problem(problem, policy))
    return result


def reference_width(problem: Problem, target: int, insiders: tuple[int, ...] = ()) -> float:
    """The exact interval of one variable by scipy's linprog, for an outsider or insiders.

    A deliberately plain reference: one column per organisation, every constraint a row.
    """
    size = len(problem.values)
    fixed = set(insiders) | problem.known
    bounds = [
        (float(problem.values[i]),) * 2 if i in fixed and i != target else (0.0, 100.0)
        for i in range(size)
    ]
    if not problem.constraints:
        return 100.0
    matrix = np.zeros((len(problem.constraints), size))
    for row, constraint in enumerate(problem.constraints):
        matrix[row, list(constraint.members)] = 1.0
    lows = np.array([c.low for c in problem.constraints]) - 1e-7
    highs = np.array([c.high for c in problem.constraints]) + 1e-7
    a_ub, b_ub = np.vstack([matrix, -matrix]), np.concatenate([highs, -lows])
    cost = np.zeros(size)
    cost[target] = 1.0
    ends = []
    for sign in (1.0, -1.0):
        result = linprog(sign * cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        assert result.status == 0 and result.x is not None, result.message
        ends.append(float(result.x[target]))
    return ends[1] - ends[0]


def reference_narrowest(problem: Problem, pairs: int | None = None, seed: int = 0) -> float:
    """The narrowest interval over every organisation, for an outsider and for coalitions:
    every pair of other organisations (`pairs=None`) or a sample of `pairs` per target, drawn
    from the organisations that share its smallest published group (the most useful ones)."""
    rng = np.random.default_rng(seed)
    narrowest = float("inf")
    for target in range(len(problem.values)):
        if target in problem.known:
            continue
        narrowest = min(narrowest, reference_width(problem, target))
        for pair in coalitions(problem, target, pairs, rng):
            narrowest = min(narrowest, reference_width(problem, target, pair))
    return narrowest


def coalitions(
    problem: Problem, target: int, pairs: int | None, rng: np.random.Generator
) -> list[tuple[int, int]]:
    others = [i for i in range(len(problem.values)) if i != target and i not in problem.known]
    if pairs is None:
        return list(itertools.combinations(others, 2))
    groups = [set(c.members) for c in problem.constraints if target in c.members]
    if not groups:
        return []
    mates = sorted(min(groups, key=len) - {target} - problem.known)
    every = list(itertools.combinations(mates, 2))
    if len(every) <= pairs:
        return every
    chosen = rng.choice(len(every), size=pairs, replace=False)
    return [every[i] for i in chosen]


def hidden_share(release: Release) -> float:
    cells = ReleaseCell.objects.filter(release=release)
    return 100.0 * cells.filter(hidden=True).count() / max(1, cells.count())


def report(capsys: pytest.CaptureFixture[str], line: str) -> str:
    """Print a figure where it is seen, with or without `-s`; return it for assertion messages."""
    with capsys.disabled():
        print(f"\n{line}")
    return line
