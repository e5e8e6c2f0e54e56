"""What pages, exports and the API may show of benchmarks: published release cells, nothing else.

Every cross-organisation number a viewer sees comes through here, read from a stored, published
release (R10). A hidden cell, an unknown group and an unknown statistic look exactly the same
(`HIDDEN`, R11). An organisation's own scores come from its own answers, read in its own scope.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django_scopes import scopes_disabled

from samvirke.baseline.models import (
    Answer,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignParticipant,
)
from samvirke.benchmarking.models import (
    PartitionKind,
    Release,
    ReleaseCell,
    ReleaseGroup,
    ReleaseScore,
    ReleaseState,
    SharingAudience,
    SharingConsent,
)
from samvirke.benchmarking.policy import CURRENT_POLICY
from samvirke.benchmarking.rules import TOTAL
from samvirke.benchmarking.scores import Structure, score_assessments
from samvirke.tenancy.models import Network, Organisation


@dataclass(frozen=True)
class Published:
    """A published number: the rounded value, its grid and how many organisations count."""

    value: float
    grid: float
    n: int
    quartiles: tuple[float, float, float] | None = None


class _Hidden:
    """The one marker for anything not shown (R11): hidden, unknown or not applicable."""

    def __repr__(self) -> str:
        return "HIDDEN"

    def __bool__(self) -> bool:
        return False


HIDDEN = _Hidden()
CellValue = Published | _Hidden


def member_networks(organisation: Organisation) -> QuerySet[Network]:
    """Networks the organisation belongs to today, or stewards."""
    today = timezone.localdate()
    member_of = Network.objects.filter(
        Q(memberships__left_on__isnull=True) | Q(memberships__left_on__gt=today),
        memberships__organisation=organisation,
        memberships__joined_on__lte=today,
    )
    return (member_of | Network.objects.filter(steward=organisation)).distinct()


def visible_releases(organisation: Organisation) -> QuerySet[Release]:
    """Published releases of the networks the organisation belongs to or stewards, or of
    campaigns it took part in (its history stays visible after it leaves a network)."""
    networks = member_networks(organisation).values("pk")
    # Subqueries, not a join over every participant of every campaign (and no DISTINCT over
    # wide rows): the cost does not grow with the size of the networks.
    campaigns = CampaignParticipant.objects.filter(organisation=organisation).values("campaign_id")
    return (
        Release.objects.filter(state=ReleaseState.PUBLISHED)
        .filter(Q(network__in=networks) | Q(campaign__in=campaigns))
        .select_related("campaign", "network")
        .order_by("-campaign__year", "network__name")
    )


def release_groups(release: Release) -> list[ReleaseGroup]:
    """The release's groups in their published order."""
    return list(release.groups.order_by("position"))


def own_groups(organisation: Organisation, release: Release) -> list[ReleaseGroup]:
    """The release's groups the organisation was counted in, by its public code; "everyone"
    alone if it was not counted (a late submitter): that mean is published to every member."""
    groups = release_groups(release)
    mine = [g for g in groups if organisation.code in g.members]
    return mine or [g for g in groups if g.partition == PartitionKind.EVERYONE]


def cell_value(
    hidden: bool,
    value: float | None,
    grid: float | None,
    n: int | None,
    quartiles: tuple[float | None, float | None, float | None],
) -> CellValue:
    """A stored cell as it is shown: a published number or the one marker."""
    if hidden or value is None or grid is None or n is None:
        return HIDDEN
    shown = quartiles if None not in quartiles else None
    return Published(value, grid, n, shown)  # type: ignore[arg-type]


def release_cells(
    release: Release,
    *,
    group_ids: Iterable[int] | None = None,
    scores_only: bool = False,
    statistics: Iterable[str] | None = None,
) -> dict[tuple[int, str], CellValue]:
    """A release's cells, (group id, statistic) → published number or HIDDEN, in one query;
    optionally only some groups' cells, only the score cells (total and areas), or only the
    named statistics (e.g. the answer shares of one area's questions)."""
    rows = ReleaseCell.objects.filter(release=release)
    if group_ids is not None:
        rows = rows.filter(group__in=list(group_ids))
    if scores_only:
        rows = rows.filter(Q(statistic=TOTAL) | Q(statistic__startswith="area:"))
    if statistics is not None:
        rows = rows.filter(statistic__in=list(statistics))
    return {
        (group, statistic): cell_value(hidden, value, grid, n, (p25, p50, p75))
        for group, statistic, hidden, value, grid, n, p25, p50, p75 in rows.values_list(
            "group_id", "statistic", "hidden", "value", "grid", "n", "p25", "p50", "p75"
        )
    }


def cell(
    cells: dict[tuple[int, str], CellValue], statistic: str, group: ReleaseGroup | int | None
) -> CellValue:
    """One cell, or HIDDEN for a hidden cell, an unknown group or an unknown statistic."""
    group_id = group.pk if isinstance(group, ReleaseGroup) else group
    if group_id is None:
        return HIDDEN
    return cells.get((group_id, statistic), HIDDEN)


def quartile_band(own: float | None, published: CellValue) -> int | None:
    """R7: the organisation's own quartile band (1 lowest to 4 highest), never a rank."""
    if own is None or not isinstance(published, Published) or published.quartiles is None:
        return None
    p25, p50, p75 = published.quartiles
    return 1 + (own >= p25) + (own >= p50) + (own >= p75)


# --- the organisation's own scores -----------------------------------------------------------


@dataclass
class OwnResult:
    """The organisation's own result of one assessment: exact scores and its answer categories."""

    assessment: Assessment
    total: float | None
    areas: dict[int, float]
    categories: dict[int, str] = field(default_factory=dict)


def own_results(
    organisation: Organisation,
    network: Network | int | None = None,
    extra_versions: Iterable[int] = (),
) -> tuple[list[OwnResult], dict[int, Structure]]:
    """The organisation's results in each started assessment (of one network), oldest first,
    exact because they are its own, with the structures of the versions in use plus
    `extra_versions`. Three queries whatever the number of years and versions; read in the
    organisation's own scope (the caller's)."""
    assessments = Assessment.objects.filter(organisation=organisation).exclude(
        state=AssessmentState.NOT_STARTED
    )
    if network is not None:
        assessments = assessments.filter(campaign__network=network)
    chosen = list(assessments.select_related("campaign").order_by("campaign__year"))
    found = Structure.of_many(
        [a.campaign.framework_version_id for a in chosen] + list(extra_versions)
    )
    # The same assessments as a subquery: one query even for an organisation with none.
    rows = _confirmed_answers(organisation, assessments.values("pk"))
    results = [_own_result(assessment, found, rows) for assessment in chosen]
    return results, found


def live_result(organisation: Organisation, assessment: Assessment) -> tuple[OwnResult, Structure]:
    """The organisation's scores so far in an assessment that is still open, from its confirmed
    answers (the rules of `own_results`), with its version's structure. Two queries: the
    structure is kept per process, so the page need not read the version's nodes again."""
    version = assessment.campaign.framework_version_id
    found = Structure.of_many([version])
    rows = _confirmed_answers(organisation, [assessment.pk])
    return _own_result(assessment, found, rows), found[version]


def _confirmed_answers(
    organisation: Organisation, assessments: Iterable[int] | QuerySet[Any]
) -> dict[int, list[Any]]:
    """The confirmed answers of the organisation's assessments (ids or a subquery) as scoring
    rows per assessment id. The value is read as its JSON text and decoded once per distinct
    text (a few levels and options), not once per answer."""
    answers = (
        Answer.objects.filter(organisation=organisation, assessment__in=assessments, draft=False)
        .annotate(text=Cast("value", TextField()))
        .values_list(
            "assessment_id", "question_id", "org_unit_id", "text", "not_applicable", "dont_know"
        )
    )
    rows: dict[int, list[Any]] = defaultdict(list)
    decoded: dict[str, Any] = {}
    for assessment_id, question, unit, text, not_applicable, dont_know in answers:
        if text is not None and text not in decoded:
            decoded[text] = json.loads(text)
        value = None if text is None else decoded[text]
        rows[assessment_id].append(
            (assessment_id, question, unit, value, not_applicable, dont_know)
        )
    return rows


def _own_result(
    assessment: Assessment, structures: dict[int, Structure], rows: dict[int, list[Any]]
) -> OwnResult:
    structure = structures[assessment.campaign.framework_version_id]
    scored = score_assessments(structure, rows.get(assessment.pk, [])).get(assessment.pk)
    return OwnResult(
        assessment,
        scored.total if scored else None,
        scored.areas if scored else {},
        scored.categories if scored else {},
    )


def own_scores(organisation: Organisation, network: Network | None = None) -> list[OwnResult]:
    """The organisation's own results, oldest first (see `own_results`)."""
    return own_results(organisation, network)[0]


def own_categories(
    organisation: Organisation,
    campaign: Campaign | int,
    structure: Structure,
    questions: Iterable[int],
) -> dict[int, str]:
    """The organisation's own answer category (as in the answer shares) of some questions of one
    campaign, from its confirmed answers; one query, read in its own scope (the caller's)."""
    rows = (
        Answer.objects.filter(
            organisation=organisation,
            assessment__campaign=campaign,
            question__in=list(questions),
            org_unit__isnull=True,
            draft=False,
        )
        .exclude(assessment__state=AssessmentState.NOT_STARTED)
        .values_list(
            "assessment_id", "question_id", "org_unit_id", "value", "not_applicable", "dont_know"
        )
    )
    found: dict[int, str] = {}
    for scored in score_assessments(structure, rows).values():
        found.update(scored.categories)
    return found


# --- opt-in sharing --------------------------------------------------------------------------


@dataclass
class SharedResult:
    """An organisation's named result, shared by its own choice: its name and exact scores."""

    name: str
    scores: dict[str, float] = field(default_factory=dict)


def shared_named_results(release: Release, *, coordinator: bool) -> dict[int, SharedResult]:
    """Named results of the organisations that opted in to share them with this viewer, by
    organisation id, in one query whatever their number (none included).

    An organisation that shares with all members is shown to every member and the coordinator;
    one that shares with the coordinator only, to the coordinator. These organisations were
    "known" to the release's audit (R12), so showing them reveals nothing about the others.
    """
    audiences = [SharingAudience.MEMBERS] + ([SharingAudience.COORDINATOR] if coordinator else [])
    with scopes_disabled():  # consents of many organisations: this app's read across them
        consenting = SharingConsent.objects.filter(
            campaign=release.campaign_id, withdrawn_at__isnull=True, audience__in=audiences
        ).values("organisation_id")
    scores = (
        ReleaseScore.objects.filter(release=release, organisation__in=consenting, known=True)
        .order_by("organisation__name", "organisation_id")
        .values_list("organisation_id", "organisation__name", "statistic", "score")
    )
    found: dict[int, SharedResult] = {}
    for organisation, name, statistic, score in scores:
        found.setdefault(organisation, SharedResult(name)).scores[statistic] = score
    return found


def shared_results(release: Release, *, coordinator: bool) -> dict[int, dict[str, float]]:
    """Scores of the organisations that opted in to share them with this viewer, by organisation
    id (see `shared_named_results`)."""
    named = shared_named_results(release, coordinator=coordinator)
    return {organisation: result.scores for organisation, result in named.items()}


def response_count(campaign: Campaign, policy_round: int | None = None) -> int:
    """R9: while a campaign collects answers, only the number of submissions, rounded (to the
    policy's step unless told otherwise)."""
    step = CURRENT_POLICY.collecting_count_round if policy_round is None else policy_round
    count = Assessment.participation.submitted_count(campaign)
    return step * round(count / step)
