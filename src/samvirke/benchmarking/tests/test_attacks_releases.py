"""Attacks on stored releases (AT-04, 05, 07, 11, 13) over dk_like, no_like and the adversarial
population: a one-member region, a region of 6 excellent organisations, a region of 11 with
all-"no" questions, a region of 8 with one area all at 0, a late submitter and two opt-ins."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from scipy.optimize import linprog

from samvirke.baseline.models import Answer, Assessment, AssessmentState
from samvirke.benchmarking.models import CellReason, Release, ReleaseCell, ReleaseGroup
from samvirke.benchmarking.policy import CURRENT_POLICY
from samvirke.benchmarking.release import (
    build_cells,
    gather,
    release_build,
    release_correct,
    release_publish,
    suppress_until_safe,
)
from samvirke.benchmarking.testing import Population, Spec, population, revise_answers
from samvirke.benchmarking.tests.conftest import (
    ALL_NO_REGION,
    BLOCK_REGION,
    EXCELLENT,
    LATE_SUBMITTER,
    ONE_MEMBER,
    TIE,
    Bench,
    W,
    hidden_share,
    reaudit,
    reference_narrowest,
    reference_width,
    release_scores,
    report,
    stored_problems,
)
from samvirke.core.scoping import organisation_scope
from samvirke.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def region_group(bench: Bench, index: int) -> ReleaseGroup:
    """The release group of the region an organisation (by index) is in."""
    code = bench.org(index).code
    groups = ReleaseGroup.objects.filter(release=bench.release, partition="region")
    return next(g for g in groups if code in g.members)


def all_hidden(group: ReleaseGroup, prefix: str = "") -> bool:
    cells = ReleaseCell.objects.filter(group=group, statistic__startswith=prefix)
    return cells.exists() and not cells.filter(hidden=False).exists()


# --- AT-04: every release passes the audit ------------------------------------------------------


def test_at04_every_release_passes_the_audit(
    dk_like: Bench, no_like: Bench, adversarial: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = []
    for bench in (dk_like, no_like, adversarial):
        summary = bench.release.summary
        again = reaudit([bench.release])
        line = report(
            capsys,
            f"AT-04 {bench.name}_like: narrowest interval {again.narrowest:.2f} (≥ {W:g}), "
            f"hidden share {hidden_share(bench.release):.1f} %, pinned {len(again.pinned)} "
            f"(release summary: narrowest {summary['narrowest_interval']}, "
            f"pinned {summary['pinned']})",
        )
        lines.append(line)
        assert summary["pinned"] == 0 and not again.pinned, line
        assert again.narrowest >= W - TIE, line
    assert Release.objects.count() == 3, "\n".join(lines)


def test_at04_a_plain_lp_finds_nothing_narrower(
    dk_like: Bench, adversarial: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    """scipy's linprog over the stored cells: every organisation for an outsider in dk_like,
    and with two insider pairs from its smallest group in the adversarial population."""
    found = {}
    for bench, pairs in ((dk_like, 0), (adversarial, 2)):
        found[bench.name] = min(
            reference_narrowest(problem, pairs=pairs)
            for problem in stored_problems([bench.release]).values()
        )
    line = report(
        capsys,
        "AT-04 linprog reference: narrowest "
        + ", ".join(f"{name} {width:.2f}" for name, width in found.items()),
    )
    assert min(found.values()) >= W - TIE, line


def test_adversarial_one_member_and_excellent_regions_are_hidden(adversarial: Bench) -> None:
    assert all_hidden(region_group(adversarial, ONE_MEMBER[0]))
    assert all_hidden(region_group(adversarial, EXCELLENT[0]))


# --- AT-05: linked statistics -------------------------------------------------------------------


def linked_narrowest(release: Release) -> float:
    """Outsider intervals when the total is known to be the mean of the areas.

    One unknown per organisation and area; an organisation's total is the mean of its area
    unknowns (checked against its stored scores), or an unknown of its own when it has no score
    in some area. Every published total and area mean is one row.
    """
    scores = release_scores(release)
    areas = sorted({s for found in scores.values() for s in found if s.startswith("area:")})
    column: dict[tuple[int, str], int] = {}
    expression: dict[tuple[int, str], dict[int, float]] = {}
    for org, found in sorted(scores.items()):
        for statistic in found:
            if statistic != "total":
                column[(org, statistic)] = len(column)
                expression[(org, statistic)] = {column[(org, statistic)]: 1.0}
        linked = (
            all(a in found for a in areas)
            and abs(found["total"] - sum(found[a] for a in areas) / len(areas)) < 1e-6
        )
        if linked:
            expression[(org, "total")] = {column[(org, a)]: 1 / len(areas) for a in areas}
        elif "total" in found:
            column[(org, "total")] = len(column)
            expression[(org, "total")] = {column[(org, "total")]: 1.0}
    code_of = dict(Organisation.objects.filter(pk__in=list(scores)).values_list("code", "pk"))
    members = {g.pk: [code_of[c] for c in g.members] for g in release.groups.all()}
    rows, lows, highs = [], [], []
    published = ReleaseCell.objects.filter(release=release, hidden=False).exclude(
        statistic__startswith="question:"
    )
    for group, statistic, value, grid in published.values_list(
        "group_id", "statistic", "value", "grid"
    ):
        if value is None or grid is None:
            continue
        row = np.zeros(len(column))
        counted = [o for o in members[group] if (o, statistic) in expression]
        for org in counted:
            for col, coef in expression[(org, statistic)].items():
                row[col] += coef
        n = len(counted)
        rows.append(row)
        lows.append(max(0.0, n * (value - grid / 2)) - 1e-7)
        highs.append(min(100.0 * n, n * (value + grid / 2)) + 1e-7)
    matrix = np.array(rows)
    a_ub, b_ub = np.vstack([matrix, -matrix]), np.concatenate([highs, -np.array(lows)])
    narrowest = float("inf")
    for terms in expression.values():
        cost = np.zeros(len(column))
        for col, coef in terms.items():
            cost[col] = coef
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(sign * cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, 100), method="highs")
            assert result.status == 0 and result.fun is not None, result.message
            ends.append(sign * float(result.fun))
        narrowest = min(narrowest, ends[1] - ends[0])
    return narrowest


def test_at05_linked_statistics_pin_nobody(
    adversarial: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    narrowest = linked_narrowest(adversarial.release)
    line = report(capsys, f"AT-05: total = mean of areas, narrowest interval {narrowest:.2f}")
    assert narrowest >= W - TIE, line


def test_at05_one_hidden_area_hides_the_groups_block(adversarial: Bench) -> None:
    group = region_group(adversarial, BLOCK_REGION[0])
    third_area = adversarial.pop.areas[2].pk
    area = ReleaseCell.objects.get(group=group, statistic=f"area:{third_area}")
    total = ReleaseCell.objects.get(group=group, statistic="total")
    assert area.hidden and "R2" in CellReason.objects.get(cell=area).codes
    assert total.hidden and "R4" in CellReason.objects.get(cell=total).codes
    assert all_hidden(group), "block suppression must hide every cell of the group"


# --- AT-13: group disclosure --------------------------------------------------------------------


def test_at13_all_and_all_but_one_answering_no_are_hidden(adversarial: Bench) -> None:
    group = region_group(adversarial, ALL_NO_REGION[0])
    assert len(group.members) == 11
    for question in adversarial.pop.questions[4:6]:  # 11/11 at level 0, then 10/11
        assert all_hidden(group, f"question:{question.pk}:"), question.key


# --- AT-07: temporal ----------------------------------------------------------------------------


def test_at07_late_submission_and_revisions(
    adversarial: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    initial = adversarial.release
    late = adversarial.org(LATE_SUBMITTER)
    with organisation_scope(late.pk):
        Assessment.objects.filter(organisation=late).update(state=AssessmentState.SUBMITTED)
    revise_answers(adversarial.org(31), 5)
    with pytest.raises(ValidationError):
        release_correct(actor=adversarial.coordinator.user, campaign=adversarial.pop.campaign)
    assert Release.objects.filter(campaign=adversarial.pop.campaign).count() == 1
    for index, value in ((32, 0), (33, 5), (56, 1)):
        revise_answers(adversarial.org(index), value)
    correction = release_correct(
        actor=adversarial.coordinator.user, campaign=adversarial.pop.campaign
    )
    summary = correction.summary
    assert summary["changed_organisations"] >= 5 and summary["pinned"] == 0
    joint = reaudit([initial, correction])
    problems = stored_problems([initial, correction])
    late_widths = [
        reference_width(problem, variable)
        for problem in problems.values()
        for variable, owner in enumerate(problem.owners)
        if owner == late.pk
    ]
    line = report(
        capsys,
        f"AT-07: 2 changed → refused; {summary['changed_organisations']} changed → correction, "
        f"joint audit narrowest {joint.narrowest:.2f}, pinned {len(joint.pinned)}, "
        f"late submitter's narrowest {min(late_widths, default=100.0):.2f}, "
        f"hidden share {hidden_share(correction):.1f} %",
    )
    assert not joint.pinned and joint.narrowest >= W - TIE, line
    assert min(late_widths, default=100.0) >= W - TIE, line
    release_publish(actor=adversarial.coordinator.user, release=correction)


# --- AT-11: sybils ------------------------------------------------------------------------------


Key = tuple[str, str, str]


def shown(hidden: bool, n: Any, value: Any, grid: Any) -> tuple[Any, ...]:
    return (True,) if hidden else (False, n, value, grid)


def add_sybils(pop: Population, count: int) -> list[str]:
    """Demo and unverified organisations in the first region, all answering at the extremes."""
    from samvirke.baseline.models import CampaignParticipant
    from samvirke.tenancy.models import NetworkMembership, RegionPlacement

    campaign, organisations = pop.campaign, pop.organisations
    placement = RegionPlacement.objects.filter(organisation=organisations[0]).first()
    assert placement is not None
    codes = []
    for index in range(count):
        sybil = Organisation.objects.create(
            code=f"SYB{index}",
            name=f"Sybil {index}",
            kind=organisations[0].kind,
            country="DK",
            size_class=organisations[0].size_class,
            is_demo=index % 2 == 0,  # a verified demo organisation, or an unverified one
            is_verified=index % 2 == 0,
        )
        codes.append(sybil.code)
        RegionPlacement.objects.create(
            organisation=sybil, region=placement.region, valid_from=placement.valid_from
        )
        NetworkMembership.objects.create(
            network=campaign.network, organisation=sybil, joined_on=placement.valid_from
        )
        CampaignParticipant.objects.create(campaign=campaign, organisation=sybil)
        with organisation_scope(sybil.pk):
            assessment = Assessment.objects.create(
                organisation=sybil, campaign=campaign, state=AssessmentState.SUBMITTED
            )
            Answer.objects.bulk_create(
                Answer(
                    organisation=sybil,
                    assessment=assessment,
                    question=question,
                    value=5 * (index % 2),
                )
                for question in pop.questions
            )
    return codes


def test_at11_sybils_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    pop = population(Spec(regions=(12, 9, 7), code_prefix="SY"))
    structure, contributors, _labels = gather(pop.campaign)
    cells = build_cells(structure, contributors, CURRENT_POLICY)
    suppress_until_safe(cells, contributors, CURRENT_POLICY)
    before: dict[Key, tuple[Any, ...]] = {
        (c.group.partition, c.group.key, c.statistic): shown(c.hidden, c.n, c.value, c.grid)
        for c in cells
    }
    codes = add_sybils(pop, 6)
    release = release_build(actor=None, campaign=pop.campaign)
    stored = ReleaseCell.objects.filter(release=release).select_related("group")
    after: dict[Key, tuple[Any, ...]] = {
        (c.group.partition, c.group.key, c.statistic): shown(c.hidden, c.n, c.value, c.grid)
        for c in stored
    }
    members = {m for g in release.groups.all() for m in g.members}
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    line = report(
        capsys,
        f"AT-11: {len(codes)} demo or unverified organisations added, "
        f"{len(changed)} published cells changed, {len(members & set(codes))} counted",
    )
    assert not members & set(codes), line
    assert not changed, line + f" {changed[:5]}"
    assert release.summary["counted_organisations"] == len(pop.organisations), line
