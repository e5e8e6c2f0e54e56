"""The benchmark API on real published releases: contract, permissions, AT-06 and AT-12."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samvirke.api.tests.helpers import ApiClient, assert_error, make_token
from samvirke.baseline.models import Campaign, CampaignState
from samvirke.benchmarking.models import Release, ReleaseCell, ReleaseGroup
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.benchmarking.testing import Population, Spec, population
from samvirke.core.testing import add_member, make_organisation, make_user
from samvirke.tenancy.models import Network
from samvirke.tenancy.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]

#: A region of 3 (every cell hidden by R1/R3) and, by R5, one region of 12 hidden with it.
SMALL = Spec(regions=(12, 12, 3), areas=2, questions_per_area=2, code_prefix="BX")
LARGER = Spec(regions=(12, 12, 12, 3), areas=3, questions_per_area=3, code_prefix="BY")
SMALL_TOO = Spec(regions=(12, 12), areas=2, questions_per_area=2, code_prefix="BZ")
OTHER = Spec(regions=(12, 12), areas=2, questions_per_area=2, code_prefix="OT")

PUBLISHED_KEYS = ["statistic", "group", "value", "grid", "n"]
HIDDEN_KEYS = ["statistic", "group", "hidden"]
ALLOWED_KEYS = {
    *PUBLISHED_KEYS,
    *HIDDEN_KEYS,
    *("id", "campaign", "network", "kind", "created", "title", "year", "code", "name"),
    *("partition", "label", "members", "error", "message", "fields"),
}
#: What must never appear in any response (R7, R11): rule codes and reasons.
LEAKS = re.compile(r"\bR(?:1[0-3]|[1-9])\b|no-data|reason|\bmin\b|\bmax\b|rank|p25|p50|p75", re.I)
BAD_GROUPS = [
    *("1,2", "1-5", "-1", "0", "!1", "~1", "not:1", "1..5", "[1,2]", "1;2", "1|2", "1 2"),
    *(" 1", "1 ", "+1", "01", "1.0", "1e3", "0x1", "1_0", "", "abc", "null", "*", "all"),
    *(str(2**63), str(2**64), "9" * 40, "-" + str(2**63)),
]
BAD_STATISTICS = [
    *("total,area:1", "total area:1", "area:-3", "area:1-5", "area:0", "area:", "area"),
    *("question:3", "question:3:", "question:3:1,2", "question:-3:1", "question::1", "*"),
    *("TOTAL", "total ", " total", "!total", "area:3|area:4", "question:3:-1", "not total"),
    *(f"area:{2**63}", f"question:{2**64}:1", "area:1.5", "question:1:a:b", ""),
]
BAD_PARAMETERS = ["groups", "group[]", "group!", "partition", "min", "members", "not_group"]


@dataclass
class Bench:
    """A published release, its caller (a management reader of one member) and its cells."""

    pop: Population
    release: Release
    api: ApiClient
    organisation_index: int = 5

    @property
    def cells_path(self) -> str:
        return f"/benchmarks/releases/{self.release.pk}/cells"

    def cells(self, **params: Any) -> Any:
        return self.api.get(self.cells_path, **params)


def publish(pop: Population) -> Release:
    return release_publish(actor=None, release=release_build(actor=None, campaign=pop.campaign))


def caller(pop: Population, role: str = Role.MANAGEMENT_READER, index: int = 5) -> ApiClient:
    """A person with one role in one of the population's organisations, by token."""
    organisation = pop.organisations[index]
    user = make_user(f"{role}.{organisation.code}.{index}".lower())
    add_member(user, organisation, role)
    return ApiClient(make_token(user, organisation)[1])


@pytest.fixture
def bench() -> Bench:
    pop = population(SMALL)
    return Bench(pop, publish(pop), caller(pop))


def stored(release: Release) -> dict[tuple[int, str], tuple[float, float, int] | None]:
    """The release's cells as stored: (group, statistic) → (value, grid, n), or None if hidden."""
    return {
        (c.group_id, c.statistic): None if c.hidden else (c.value, c.grid, c.n)  # type: ignore[misc]
        for c in ReleaseCell.objects.filter(release=release)
    }


def served(rows: list[dict[str, Any]]) -> dict[tuple[int, str], tuple[float, float, int] | None]:
    """Served cells in the same form, checking each has exactly one of the two shapes."""
    found: dict[tuple[int, str], tuple[float, float, int] | None] = {}
    for row in rows:
        key = (row["group"], row["statistic"])
        assert key not in found, key
        if list(row) == HIDDEN_KEYS:
            assert row["hidden"] is True
            found[key] = None
        else:
            assert list(row) == PUBLISHED_KEYS, row
            found[key] = (row["value"], row["grid"], row["n"])
    return found


def hidden_group(release: Release) -> ReleaseGroup:
    """A group of the release whose every cell is hidden."""
    for group in ReleaseGroup.objects.filter(release=release, partition="region"):
        if not ReleaseCell.objects.filter(group=group, hidden=False).exists():
            return group
    raise AssertionError("the fixture has no fully hidden group")


def check_no_leaks(*responses: Any) -> None:
    """No reason code, rule name, extreme or rank in any body; only the contract's keys."""
    for response in responses:
        text = response.content.decode()
        for name in field_names(response):  # the caller's own parameter names, echoed
            text = text.replace(json.dumps(name), '"field"')
        assert not LEAKS.search(text), LEAKS.search(text)
        assert keys_of(json.loads(text)) <= ALLOWED_KEYS | {"field"}


def keys_of(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys_of(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys_of(v)}
    return set()


def field_names(response: Any) -> list[str]:
    if response.status_code != 422:
        return []
    return list(response.json()["error"]["fields"])


# --- the contract ----------------------------------------------------------------------------


def test_release_list_shows_published_releases_of_the_callers_networks(bench: Bench) -> None:
    unpublished = population(LARGER, year=2025, network=bench.pop.network)
    release_build(actor=None, campaign=unpublished.campaign)
    publish(population(OTHER))
    response = bench.api.get("/benchmarks/releases")
    assert response.status_code == 200
    campaign, network = bench.pop.campaign, bench.pop.network
    [row] = response.json()
    assert row == {
        "id": bench.release.pk,
        "campaign": {"id": campaign.pk, "title": campaign.title, "year": campaign.year},
        "network": {"id": network.pk, "code": network.code, "name": network.name},
        "kind": "initial",
        "created": row["created"],
    }
    created = datetime.datetime.fromisoformat(row["created"])  # to the millisecond
    assert abs(created - bench.release.created_at) < datetime.timedelta(milliseconds=1)
    check_no_leaks(response)


def test_groups_list_members_codes_and_labels_in_the_request_language(bench: Bench) -> None:
    response = bench.api.get(f"/benchmarks/releases/{bench.release.pk}/groups")
    assert response.status_code == 200
    groups = list(ReleaseGroup.objects.filter(release=bench.release).order_by("position"))
    assert [list(row) for row in response.json()] == [
        ["id", "partition", "label", "members"]
    ] * len(groups)
    assert [(r["id"], r["partition"], r["members"]) for r in response.json()] == [
        (g.pk, g.partition, g.members) for g in groups
    ]
    everyone = response.json()[0]
    assert everyone["partition"] == "everyone"
    assert everyone["members"] == sorted(o.code for o in bench.pop.organisations)
    ReleaseGroup.objects.filter(pk=everyone["id"]).update(
        label={"da": "Alle deltagere", "en": "All participants"}
    )
    path = f"/benchmarks/releases/{bench.release.pk}/groups"
    for language, label in [("da", "Alle deltagere"), ("nb", "All participants")]:
        bench.api.headers["Accept-Language"] = language
        assert bench.api.get(path).json()[0]["label"] == label
    check_no_leaks(response)


def test_cells_are_the_stored_release_exactly(bench: Bench) -> None:
    response = bench.cells()
    assert response.status_code == 200
    rows = response.json()
    assert served(rows) == stored(bench.release)
    group_order = [g.pk for g in ReleaseGroup.objects.filter(release=bench.release)]
    assert [r["group"] for r in rows] == sorted((r["group"] for r in rows), key=group_order.index)
    statistics = [r["statistic"] for r in rows if r["group"] == group_order[0]]
    assert statistics[0] == "total" and statistics[1].startswith("area:")
    assert any(v is None for v in served(rows).values())
    assert any(v is not None for v in served(rows).values())
    check_no_leaks(response)


def test_filters_select_one_group_and_one_statistic(bench: Bench) -> None:
    everything = stored(bench.release)
    group = ReleaseGroup.objects.get(release=bench.release, partition="everyone")
    area = f"area:{bench.pop.areas[0].pk}"
    by_group = served(bench.cells(group=group.pk).json())
    assert by_group == {k: v for k, v in everything.items() if k[0] == group.pk}
    by_statistic = served(bench.cells(statistic=area).json())
    assert by_statistic == {k: v for k, v in everything.items() if k[1] == area}
    both = bench.cells(group=group.pk, statistic=area).json()
    assert served(both) == {(group.pk, area): everything[(group.pk, area)]}
    assert everything[(group.pk, area)] is not None


def test_the_network_coordinator_of_the_steward_sees_the_same_never_more(bench: Bench) -> None:
    coordinator = caller(bench.pop, Role.NETWORK_COORDINATOR, index=0)
    for path in ("/benchmarks/releases", f"/benchmarks/releases/{bench.release.pk}/groups"):
        assert coordinator.get(path).content == bench.api.get(path).content
    assert coordinator.get(bench.cells_path).content == bench.cells().content


def test_permission_is_required_before_any_input_is_read(bench: Bench) -> None:
    respondent = caller(bench.pop, Role.RESPONDENT, index=6)
    for path in (
        "/benchmarks/releases",
        f"/benchmarks/releases/{bench.release.pk}/groups",
        f"{bench.cells_path}?group=1,2",
        "/benchmarks/releases/999999/cells?statistic=nonsense",
    ):
        assert_error(respondent.get(path), 403, "forbidden")
        assert_error(ApiClient().get(path), 401, "unauthorized")


def test_an_organisation_outside_the_network_sees_no_release(bench: Bench) -> None:
    outsider_org = make_organisation("999", "Outside Kommune")
    user = make_user("outside.coordinator")
    add_member(user, outsider_org, Role.NETWORK_COORDINATOR)
    outsider = ApiClient(make_token(user, outsider_org)[1])
    assert outsider.get("/benchmarks/releases").json() == []
    assert_error(outsider.get(bench.cells_path), 404, "not_found")


def test_each_operation_runs_in_a_fixed_number_of_queries(bench: Bench) -> None:
    larger = population(LARGER, year=2025, network=bench.pop.network)
    larger_release = release_build(actor=None, campaign=larger.campaign)

    def count(path: str) -> int:
        bench.api.get(path)  # warm caches the first request fills
        with CaptureQueriesContext(connection) as queries:
            assert bench.api.get(path).status_code == 200
        return len(queries)

    one = count("/benchmarks/releases")
    release_publish(actor=None, release=larger_release)
    assert count("/benchmarks/releases") == one
    for suffix in ("groups", "cells", f"cells?statistic=area:{larger.areas[0].pk}"):
        small = count(f"/benchmarks/releases/{bench.release.pk}/{suffix}")
        large = count(f"/benchmarks/releases/{larger_release.pk}/{suffix}")
        assert small == large, suffix
    group = ReleaseGroup.objects.filter(release=larger_release).last()
    assert group is not None
    assert count(f"/benchmarks/releases/{larger_release.pk}/cells?group={group.pk}") == count(
        f"/benchmarks/releases/{bench.release.pk}/cells?group=1"
    )


# --- AT-06: tracker and filter fuzzing ---------------------------------------------------------


def test_at06_a_filter_that_is_not_one_id_or_name_is_refused(bench: Bench) -> None:
    responses = []
    for name, values in [("group", BAD_GROUPS), ("statistic", BAD_STATISTICS)]:
        for value in values:
            response = bench.cells(**{name: value})
            responses.append(response)
            error = assert_error(response, 422, "validation_error")
            assert list(error["fields"]) == [name], value
    check_no_leaks(*responses)


def test_at06_repeats_and_unknown_parameters_are_refused(bench: Bench) -> None:
    group = ReleaseGroup.objects.filter(release=bench.release).first()
    assert group is not None
    repeats = [
        ("group", [str(group.pk), str(group.pk + 1)]),
        ("group", [str(group.pk), str(group.pk)]),
        ("statistic", ["total", f"area:{bench.pop.areas[0].pk}"]),
    ]
    responses = []
    for name, values in repeats:
        response = bench.cells(**{name: values})
        responses.append(response)
        assert list(assert_error(response, 422, "validation_error")["fields"]) == [name]
    for name in BAD_PARAMETERS:
        for path in (bench.cells_path, f"/benchmarks/releases/{bench.release.pk}/groups"):
            response = bench.api.get(path, **{name: str(group.pk)})
            responses.append(response)
            assert list(assert_error(response, 422, "validation_error")["fields"]) == [name]
    response = bench.api.get("/benchmarks/releases", network=str(bench.pop.network.pk))
    assert list(assert_error(response, 422, "validation_error")["fields"]) == ["network"]
    check_no_leaks(*responses, response)


def test_at06_releases_that_are_not_the_callers_are_one_404(bench: Bench) -> None:
    other = publish(population(LARGER))
    unpublished = release_build(
        actor=None, campaign=population(SMALL_TOO, year=2025, network=bench.pop.network).campaign
    )
    collecting = publish(population(OTHER, year=2024, network=bench.pop.network))
    Campaign.objects.filter(pk=collecting.campaign_id).update(state=CampaignState.OPEN)
    unknown = Release.objects.order_by("pk").last().pk + 1000  # type: ignore[union-attr]
    ids = [str(i) for i in (other.pk, unpublished.pk, collecting.pk, unknown)]
    ids += ["0", str(2**63), str(2**64), "9" * 40]
    responses = [
        bench.api.get(f"/benchmarks/releases/{release_id}/{suffix}")
        for release_id in ids
        for suffix in ("groups", "cells", "cells?group=1&statistic=total")
    ]
    responses.append(bench.api.get("/benchmarks/releases/-1/cells"))
    first = responses[0]
    for response in responses:
        assert_error(response, 404, "not_found")
        assert response.content == first.content
        assert without_varying(response) == without_varying(first)
    assert [r["id"] for r in bench.api.get("/benchmarks/releases").json()] == [bench.release.pk]
    check_no_leaks(*responses)


def test_at06_every_filter_combination_serves_exactly_the_published_cells(bench: Bench) -> None:
    other = publish(population(OTHER))
    everything = stored(bench.release)
    published = {k: v for k, v in everything.items() if v is not None}
    groups = sorted({g for g, _s in everything})
    statistics = sorted({s for _g, s in everything})
    foreign_groups = list(ReleaseGroup.objects.filter(release=other).values_list("pk", flat=True))
    unknown_groups = [*foreign_groups[:3], max(groups) + 10_000, 2**63 - 1]
    unknown_statistics = [
        f"area:{bench.pop.questions[0].pk}",
        f"question:{bench.pop.areas[0].pk}:1",
        f"question:{bench.pop.questions[0].pk}:9",
        f"area:{2**63 - 1}",
    ]
    seen: dict[tuple[int, str], tuple[float, float, int] | None] = {}
    responses = [bench.cells()]
    for group in [*groups, *unknown_groups]:
        responses.append(bench.cells(group=group))
        for statistic in [*statistics, *unknown_statistics]:
            responses.append(bench.cells(group=group, statistic=statistic))
    for statistic in [*statistics, *unknown_statistics]:
        responses.append(bench.cells(statistic=statistic))
    for response in responses:
        assert response.status_code == 200
        for key, value in served(response.json()).items():
            assert value == everything.get(key), key  # unknown keys are served hidden
            assert seen.setdefault(key, value) == value, key  # the same answer every time
    recovered = {k: v for k, v in seen.items() if v is not None}
    assert recovered == published
    assert {g for g, _s in recovered} <= set(groups)
    hidden = len(everything) - len(published)
    print(
        f"AT-06: {len(responses)} responses; {len(recovered)} published cells served, "
        f"0 of {hidden} hidden cells recovered"
    )
    check_no_leaks(*responses)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    group=st.none() | st.text(max_size=30) | st.integers(-(2**70), 2**70).map(str),
    statistic=st.none()
    | st.text(max_size=40)
    | st.sampled_from(["total", "area:", "question:"]).flatmap(
        lambda prefix: st.text(max_size=20).map(lambda tail: prefix + tail)
    ),
)
def test_at06_random_filters_never_fail_and_never_serve_more(
    bench: Bench, group: str | None, statistic: str | None
) -> None:
    params = {k: v for k, v in {"group": group, "statistic": statistic}.items() if v is not None}
    response = bench.cells(**params)
    assert response.status_code in {200, 422}, response.content[:300]
    if response.status_code == 200:
        everything = stored(bench.release)
        for key, value in served(response.json()).items():
            assert value == everything.get(key), key
    else:
        assert set(assert_error(response, 422, "validation_error")["fields"]) <= set(params)


# --- AT-12: side channels ----------------------------------------------------------------------


def without_varying(response: Any) -> dict[str, str]:
    """The response's headers apart from those that must differ (date, length)."""
    return {k: v for k, v in response.headers.items() if k not in {"Date", "Content-Length"}}


def anonymised(response: Any) -> bytes:
    """The body with group ids and node ids replaced, to compare two answers byte for byte."""
    body = re.sub(rb'"group": ?\d+', b'"group": 0', response.content)
    return re.sub(rb'"statistic": ?"(area|question):\d+', rb'"statistic": "\1:0', body)


def test_at12_unknown_and_hidden_groups_and_statistics_answer_alike(bench: Bench) -> None:
    hidden = hidden_group(bench.release)
    other = publish(population(OTHER))
    foreign = ReleaseGroup.objects.filter(release=other).first()
    assert foreign is not None
    unknowns = [foreign.pk, hidden.pk + 10_000, 2**63 - 1]
    area, unknown_area = bench.pop.areas[0].pk, bench.pop.questions[-1].pk
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"group": hidden.pk}, {"group": u}) for u in unknowns
    ]
    pairs += [
        ({"group": hidden.pk, "statistic": "total"}, {"group": u, "statistic": "total"})
        for u in unknowns
    ]
    pairs.append(
        (
            {"group": hidden.pk, "statistic": f"area:{area}"},
            {"group": hidden.pk, "statistic": f"area:{unknown_area}"},
        )
    )
    responses = []
    for known_params, unknown_params in pairs:
        shown, missing = bench.cells(**known_params), bench.cells(**unknown_params)
        responses += [shown, missing]
        assert shown.status_code == missing.status_code == 200
        assert without_varying(shown) == without_varying(missing)
        assert anonymised(shown) == anonymised(missing)
        assert all(row.get("hidden") is True for row in shown.json())
    check_no_leaks(*responses)


def test_at12_no_reason_codes_in_any_response(bench: Bench) -> None:
    hidden = hidden_group(bench.release)
    paths = [
        "/benchmarks/releases",
        f"/benchmarks/releases/{bench.release.pk}/groups",
        bench.cells_path,
        f"{bench.cells_path}?group={hidden.pk}",
        f"{bench.cells_path}?group=1,2",
        f"{bench.cells_path}?statistic=no-data",
        "/benchmarks/releases/0/cells",
    ]
    responses = [bench.api.get(path) for path in paths]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 422, 422, 404]
    check_no_leaks(*responses)


def test_the_network_of_a_release_is_never_another_networks(bench: Bench) -> None:
    """A member of two networks sees both networks' releases, each under its own network."""
    other = population(OTHER)
    other_release = publish(other)
    organisation = bench.pop.organisations[bench.organisation_index]
    other.network.memberships.create(organisation=organisation, joined_on=datetime.date(2020, 1, 1))
    rows = bench.api.get("/benchmarks/releases").json()
    assert {(r["id"], r["network"]["id"]) for r in rows} == {
        (bench.release.pk, bench.pop.network.pk),
        (other_release.pk, other.network.pk),
    }
    assert Network.objects.count() >= 2
