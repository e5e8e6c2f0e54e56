"""Building a release: counted organisations, their scores, the cells, suppression and the audit.

This module and `scores.py` are the only code that reads answers across organisations
(../shared/architecture.md). It runs in a background task after a campaign closes, never in a
request, and stores everything a page, an export or the API will ever show (R10).
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override
from django_scopes import scopes_disabled

from samvirke.audit.services import audit_log
from samvirke.baseline.models import Assessment, AssessmentState, Campaign, CampaignState
from samvirke.baseline.scoring import SCORING_VERSION
from samvirke.benchmarking.audit import AuditResult, Constraint, Problem, audit_problem
from samvirke.benchmarking.models import (
    CellReason,
    CustomPartition,
    CustomPartitionState,
    PartitionKind,
    Release,
    ReleaseCell,
    ReleaseGroup,
    ReleaseKind,
    ReleaseScore,
    ReleaseState,
    SharingConsent,
)
from samvirke.benchmarking.policy import CURRENT_POLICY, DisclosurePolicy
from samvirke.benchmarking.rules import (
    EVERYONE,
    R13,
    TOTAL,
    Cell,
    GroupKey,
    area_statistic,
    block_suppression,
    complementary_suppression,
    hide,
    is_score,
    publish_distribution,
    publish_score,
    question_statistic,
)
from samvirke.benchmarking.scores import Structure, campaign_categories, campaign_scores
from samvirke.tenancy.models import Organisation, OrganisationKind, RegionPlacement, SizeClass

if TYPE_CHECKING:
    from samvirke.accounts.models import User

LANGUAGES = ("da", "nb", "en")


@dataclass
class Contributor:
    """A counted organisation: its public attributes, scores and answer categories."""

    organisation: Organisation
    groups: list[GroupKey]
    scores: dict[str, float]
    categories: dict[str, str]
    known: bool = False


@dataclass
class Draft:
    """A release being built: its groups, cells and what the audit found."""

    groups: dict[GroupKey, dict[str, Any]]  # key → {"label": {...}, "members": [codes]}
    cells: list[Cell]
    contributors: dict[int, Contributor]
    audit: AuditResult = field(default_factory=AuditResult)
    rounds: int = 0


# --- who counts ------------------------------------------------------------------------------


def counts(organisation: Organisation, demo_network: bool) -> bool:
    """R12: verified members count, demo and test organisations never (except in a demo network).

    A demo network is a closed world of invented organisations: there they count, so the demo
    shows real releases; in any other network a demo organisation can never change a number.
    """
    if demo_network:
        return organisation.is_demo
    return organisation.is_verified and not organisation.is_demo


def _labels(text: Any) -> dict[str, str]:
    """A lazy translatable text in every language a release is shown in."""
    labels = {}
    for language in LANGUAGES:
        with override(language):
            labels[language] = str(text)
    return labels


def _group_keys(
    organisations: list[Organisation], day: datetime.date, network_id: int
) -> tuple[dict[int, list[GroupKey]], dict[GroupKey, dict[str, Any]]]:
    """Every organisation's groups in every partition, and the groups' labels (R8)."""
    placements = (
        RegionPlacement.objects.filter(
            organisation__in=[o.pk for o in organisations], valid_from__lte=day
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("region")
    )
    region_of = {p.organisation_id: p.region for p in placements}
    customs = CustomPartition.objects.filter(
        network=network_id, state=CustomPartitionState.APPROVED
    ).prefetch_related("groups__members")
    custom_of: dict[int, list[tuple[GroupKey, str]]] = defaultdict(list)
    for partition in customs:
        for group in partition.groups.all():
            key = GroupKey(f"custom:{partition.key}", group.key)
            for member in group.members.all():
                custom_of[member.pk].append((key, f"{partition.title}: {group.label}"))
    size_labels = dict(SizeClass.choices)
    kind_labels = dict(OrganisationKind.choices)
    keys: dict[int, list[GroupKey]] = {}
    labels: dict[GroupKey, dict[str, Any]] = {
        EVERYONE: {
            "label": _labels(gettext_lazy("All participants")),
            "kind": PartitionKind.EVERYONE,
        }
    }
    for organisation in organisations:
        region = region_of.get(organisation.pk)
        region_key = GroupKey(PartitionKind.REGION, region.code if region else "none")
        size_key = GroupKey(PartitionKind.SIZE_CLASS, organisation.size_class)
        kind_key = GroupKey(PartitionKind.KIND, organisation.kind)
        labels.setdefault(
            region_key,
            {
                "label": {lang: region.name for lang in LANGUAGES}
                if region
                else _labels(gettext_lazy("Outside the regions"))
            },
        )
        labels.setdefault(size_key, {"label": _labels(size_labels[size_key.key])})
        labels.setdefault(kind_key, {"label": _labels(kind_labels[kind_key.key])})
        own = [EVERYONE, region_key, size_key, kind_key]
        for key, label in custom_of.get(organisation.pk, []):
            labels.setdefault(key, {"label": {lang: label for lang in LANGUAGES}})
            own.append(key)
        keys[organisation.pk] = own
    return keys, labels


def gather(
    campaign: Campaign,
) -> tuple[Structure, dict[int, Contributor], dict[GroupKey, dict[str, Any]]]:
    """The counted organisations of a campaign with their scores: the cross-organisation read."""
    structure = Structure.of(campaign.framework_version_id)
    demo = campaign.network.is_demo
    shared = set()
    with scopes_disabled():
        assessments = list(
            Assessment.objects.filter(campaign=campaign, state=AssessmentState.SUBMITTED)
            .select_related("organisation")
            .order_by("organisation__code")
        )
        counted = {a.pk: a for a in assessments if counts(a.organisation, demo)}
        scored = campaign_scores(structure, [campaign.pk])
        categories = campaign_categories(structure, [campaign.pk])
        shared = set(
            SharingConsent.objects.filter(campaign=campaign, withdrawn_at__isnull=True).values_list(
                "organisation_id", flat=True
            )
        )
    organisations = [a.organisation for a in counted.values()]
    keys, labels = _group_keys(organisations, campaign.deadline, campaign.network_id)
    contributors: dict[int, Contributor] = {}
    for assessment_id, assessment in counted.items():
        result = scored.get(assessment_id)
        answered = categories.get(assessment_id, {})
        if result is None and not answered:
            continue
        scores = {
            area_statistic(area): score for area, score in (result.areas if result else {}).items()
        }
        if result is not None and result.total is not None:
            scores[TOTAL] = result.total
        contributors[assessment.organisation_id] = Contributor(
            organisation=assessment.organisation,
            groups=keys[assessment.organisation_id],
            scores=scores,
            categories={str(q): c for q, c in answered.items()},
            known=assessment.organisation_id in shared,
        )
    return structure, contributors, labels


# --- the cells -------------------------------------------------------------------------------


def build_cells(
    structure: Structure, contributors: dict[int, Contributor], policy: DisclosurePolicy
) -> list[Cell]:
    """Every group's cells with the primary rules applied (R1 to R3, R6, R7)."""
    members: dict[GroupKey, list[int]] = defaultdict(list)
    for org_id, contributor in contributors.items():
        for key in contributor.groups:
            members[key].append(org_id)
    statistics = [TOTAL] + [area_statistic(a.pk) for a in structure.areas]
    distributions = {
        q: options
        for q, node in structure.questions.items()
        if (options := structure.options(node))
    }
    cells: list[Cell] = []
    for key, orgs in members.items():
        for statistic in statistics:
            scored = [o for o in orgs if statistic in contributors[o].scores]
            cell = Cell(key, statistic, scored)
            publish_score(cell, [contributors[o].scores[statistic] for o in scored], policy)
            cells.append(cell)
        for question, options in distributions.items():
            answered = [o for o in orgs if str(question) in contributors[o].categories]
            option_counts: dict[str, int] = defaultdict(int)
            for o in answered:
                option_counts[contributors[o].categories[str(question)]] += 1
            option_cells = {
                option: Cell(key, question_statistic(question, option), answered)
                for option in options
            }
            publish_distribution(option_cells, dict(option_counts), policy)
            cells.extend(option_cells.values())
    return cells


def _suppress(
    cells: list[Cell], contributors: dict[int, Contributor], policy: DisclosurePolicy
) -> None:
    """R4 and R5 until nothing changes."""
    by_group: dict[GroupKey, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_group[cell.group].append(cell)
    values = {o: c.scores for o, c in contributors.items()}
    answers = {o: c.categories for o, c in contributors.items()}
    while block_suppression(by_group) + complementary_suppression(cells, values, answers, policy):
        pass


# --- the audit (R13) -------------------------------------------------------------------------


def problems(
    cells: list[Cell], contributors: dict[int, Contributor], policy: DisclosurePolicy
) -> dict[str, Problem]:
    """One audit problem per score statistic from the published cells."""
    found: dict[str, Problem] = {}
    by_statistic: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        if is_score(cell.statistic) and not cell.hidden:
            by_statistic[cell.statistic].append(cell)
    for statistic, published in by_statistic.items():
        owners = sorted({m for cell in published for m in cell.members})
        index = {o: i for i, o in enumerate(owners)}
        constraints = []
        for cell in published:
            assert cell.value is not None and cell.grid is not None
            n = len(cell.members)
            constraints.append(
                Constraint(
                    tuple(index[m] for m in cell.members),
                    max(policy.scale[0] * n, n * (cell.value - cell.grid / 2)),
                    min(policy.scale[1] * n, n * (cell.value + cell.grid / 2)),
                )
            )
        found[statistic] = Problem(
            values=np.array([contributors[o].scores[statistic] for o in owners]),
            owners=owners,
            constraints=constraints,
            known={index[o] for o in owners if contributors[o].known},
        )
    return found


def audit_cells(
    cells: list[Cell], contributors: dict[int, Contributor], policy: DisclosurePolicy
) -> AuditResult:
    """R13 over every score statistic."""
    result = AuditResult()
    for problem in problems(cells, contributors, policy).values():
        result.merge(audit_problem(problem, policy))
    return result


def suppress_until_safe(
    cells: list[Cell], contributors: dict[int, Contributor], policy: DisclosurePolicy
) -> tuple[AuditResult, int]:
    """Apply R4/R5, audit, and hide the smallest published group of a pinned organisation
    until no organisation is pinned (fails closed: at worst everything is hidden)."""
    _suppress(cells, contributors, policy)
    by_group: dict[GroupKey, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_group[cell.group].append(cell)
    for rounds in range(policy.max_suppression_rounds):
        result = audit_cells(cells, contributors, policy)
        if not result.pinned:
            return result, rounds
        for finding in result.pinned:
            groups = contributors[finding.organisation].groups
            shown = [g for g in groups if any(not c.hidden for c in by_group[g])]
            if not shown:
                continue
            smallest = min(shown, key=lambda g: (len(by_group[g][0].members), g != EVERYONE))
            hide(by_group[smallest], R13)
            break
        _suppress(cells, contributors, policy)
    hide(cells, R13)
    return AuditResult(narrowest=float("inf")), policy.max_suppression_rounds


# --- storing ---------------------------------------------------------------------------------


def _summary(
    cells: list[Cell], result: AuditResult, rounds: int, started: float, counted: int
) -> dict[str, Any]:
    hidden = sum(1 for c in cells if c.hidden)
    return {
        "counted_organisations": counted,
        "cells": len(cells),
        "hidden_cells": hidden,
        "hidden_share": round(hidden / len(cells), 4) if cells else 0.0,
        "narrowest_interval": None
        if result.narrowest == float("inf")
        else round(result.narrowest, 2),
        "pinned": len(result.pinned),
        "suppression_rounds": rounds,
        "programmes_solved": result.programmes,
        "screened_without_programme": result.screened,
        "coalitions_tried": result.coalitions,
        "seconds": round(time.monotonic() - started, 2),
    }


def _store(
    campaign: Campaign,
    kind: str,
    policy: DisclosurePolicy,
    cells: list[Cell],
    contributors: dict[int, Contributor],
    labels: dict[GroupKey, dict[str, Any]],
    summary: dict[str, Any],
    corrects: Release | None,
) -> Release:
    release = Release.objects.create(
        campaign=campaign,
        network=campaign.network,
        kind=kind,
        state=ReleaseState.AUDITED,
        corrects=corrects,
        policy_version=policy.version,
        policy=policy.as_dict(),
        scoring_version=SCORING_VERSION,
        summary=summary,
    )
    members: dict[GroupKey, list[str]] = defaultdict(list)
    for contributor in contributors.values():
        for key in contributor.groups:
            members[key].append(contributor.organisation.code)
    order = [EVERYONE, *sorted(k for k in members if k != EVERYONE)]
    groups = ReleaseGroup.objects.bulk_create(
        [
            ReleaseGroup(
                release=release,
                partition=key.partition,
                key=key.key,
                label=labels.get(key, {}).get("label", {}),
                members=sorted(members[key]),
                position=position,
            )
            for position, key in enumerate(order)
        ]
    )
    group_of = {GroupKey(g.partition, g.key): g for g in groups}
    stored = ReleaseCell.objects.bulk_create(
        [
            ReleaseCell(
                release=release,
                group=group_of[cell.group],
                statistic=cell.statistic,
                hidden=cell.hidden,
                n=None if cell.hidden else cell.n,
                value=None if cell.hidden else cell.value,
                grid=None if cell.hidden else cell.grid,
                p25=None if cell.hidden or not cell.quartiles else cell.quartiles[0],
                p50=None if cell.hidden or not cell.quartiles else cell.quartiles[1],
                p75=None if cell.hidden or not cell.quartiles else cell.quartiles[2],
            )
            for cell in cells
        ],
        batch_size=2000,
    )
    CellReason.objects.bulk_create(
        [
            CellReason(cell=row, codes=sorted(cell.reasons))
            for row, cell in zip(stored, cells, strict=True)
            if cell.hidden
        ],
        batch_size=2000,
    )
    ReleaseScore.objects.bulk_create(
        [
            ReleaseScore(
                release=release,
                organisation=c.organisation,
                statistic=statistic,
                score=score,
                known=c.known,
            )
            for c in contributors.values()
            for statistic, score in c.scores.items()
        ],
        batch_size=2000,
    )
    return release


def _audit_release(
    actor: User | None, release: Release, action: str, extra: dict[str, Any]
) -> None:
    audit_log(
        actor=actor,
        organisation=release.network.steward,
        action=action,
        obj=release,
        changes={"campaign": release.campaign_id, "kind": release.kind, **extra},
    )


@transaction.atomic
def release_build(
    *, actor: User | None, campaign: Campaign, policy: DisclosurePolicy = CURRENT_POLICY
) -> Release:
    """Build and audit the release of a closed campaign (R9: one, at close)."""
    campaign = (
        Campaign.objects.select_for_update().select_related("network__steward").get(pk=campaign.pk)
    )
    if campaign.state not in {CampaignState.CLOSED, CampaignState.RELEASED}:
        raise ValidationError(_("A release can only be built once the campaign has closed."))
    if (
        Release.objects.filter(campaign=campaign, kind=ReleaseKind.INITIAL)
        .exclude(state=ReleaseState.FAILED)
        .exists()
    ):
        raise ValidationError(_("The campaign already has its release."))
    started = time.monotonic()
    structure, contributors, labels = gather(campaign)
    cells = build_cells(structure, contributors, policy)
    result, rounds = suppress_until_safe(cells, contributors, policy)
    summary = _summary(cells, result, rounds, started, len(contributors))
    release = _store(
        campaign, ReleaseKind.INITIAL, policy, cells, contributors, labels, summary, None
    )
    _audit_release(actor, release, "benchmarking.release.built", {"summary": summary})
    return release


@transaction.atomic
def release_publish(*, actor: User | None, release: Release) -> Release:
    """Publish an audited release; a correction replaces the release it corrects."""
    release = (
        Release.objects.select_for_update().select_related("network__steward").get(pk=release.pk)
    )
    if release.state != ReleaseState.AUDITED:
        raise ValidationError(
            _("Only an audited release that is not yet published can be published.")
        )
    if release.summary.get("pinned"):
        raise ValidationError(_("The release did not pass its audit and cannot be published."))
    if release.corrects is not None:
        Release.objects.filter(pk=release.corrects.pk).update(state=ReleaseState.SUPERSEDED)
    release.state = ReleaseState.PUBLISHED
    release.published_at, release.published_by = timezone.now(), actor
    release.save(update_fields=["state", "published_at", "published_by"])
    Campaign.objects.filter(pk=release.campaign_id, state=CampaignState.CLOSED).update(
        state=CampaignState.RELEASED
    )
    _audit_release(actor, release, "benchmarking.release.published", {})
    return release


# --- the one correction (R9) -----------------------------------------------------------------


def _published_problems(
    release: Release, policy: DisclosurePolicy
) -> tuple[dict[str, list[tuple[list[int], float, float]]], dict[int, dict[str, float]], set[int]]:
    """A stored release's published score cells as (member organisations, low, high) sums,
    with the scores each organisation had in it and the organisations known to it."""
    scores: dict[int, dict[str, float]] = defaultdict(dict)
    known: set[int] = set()
    for organisation, statistic, score, is_known in ReleaseScore.objects.filter(
        release=release
    ).values_list("organisation_id", "statistic", "score", "known"):
        scores[organisation][statistic] = score
        if is_known:
            known.add(organisation)
    codes = dict(Organisation.objects.filter(pk__in=list(scores)).values_list("code", "pk"))
    groups = {g.pk: [codes[c] for c in g.members if c in codes] for g in release.groups.all()}
    sums: dict[str, list[tuple[list[int], float, float]]] = defaultdict(list)
    cells = ReleaseCell.objects.filter(release=release, hidden=False).values_list(
        "group_id", "statistic", "value", "grid"
    )
    for group, statistic, value, grid in cells:
        if not is_score(statistic) or value is None or grid is None:
            continue
        members = [m for m in groups[group] if statistic in scores[m]]
        n = len(members)
        low = max(policy.scale[0] * n, n * (value - grid / 2))
        high = min(policy.scale[1] * n, n * (value + grid / 2))
        sums[statistic].append((members, low, high))
    return sums, scores, known


def joint_audit(
    old: tuple[
        dict[str, list[tuple[list[int], float, float]]], dict[int, dict[str, float]], set[int]
    ],
    cells: list[Cell],
    contributors: dict[int, Contributor],
    policy: DisclosurePolicy,
) -> AuditResult:
    """R9/R13: audit a correction together with the release it corrects.

    An organisation whose score did not change is one unknown in both releases; one whose score
    changed (or that joined) is two unknowns, its old and its new score.
    """
    old_sums, old_scores, old_known = old
    result = AuditResult()
    new_problems = problems(cells, contributors, policy)
    for statistic in set(new_problems) | set(old_sums):
        joint = _JointVariables(statistic, old_scores, contributors)
        constraints = [
            Constraint(
                tuple(
                    joint.index(m, "old", old_scores[m][statistic], m in old_known) for m in members
                ),
                low,
                high,
            )
            for members, low, high in old_sums.get(statistic, [])
        ]
        new = new_problems.get(statistic)
        for constraint in new.constraints if new is not None else []:
            indices = []
            for i in constraint.members:
                owner = new.owners[i]  # type: ignore[union-attr]
                contributor = contributors[owner]
                indices.append(
                    joint.index(owner, "new", contributor.scores[statistic], contributor.known)
                )
            constraints.append(Constraint(tuple(indices), constraint.low, constraint.high))
        if constraints:
            problem = Problem(np.array(joint.values), joint.owners, constraints, joint.known)
            result.merge(audit_problem(problem, policy))
    return result


class _JointVariables:
    """The unknowns of a joint audit: one per unchanged organisation, two per changed one."""

    def __init__(
        self,
        statistic: str,
        old_scores: dict[int, dict[str, float]],
        contributors: dict[int, Contributor],
    ) -> None:
        self.statistic = statistic
        self.old_scores = old_scores
        self.contributors = contributors
        self.indices: dict[tuple[int, str], int] = {}
        self.values: list[float] = []
        self.owners: list[int] = []
        self.known: set[int] = set()

    def index(self, organisation: int, era: str, score: float, is_known: bool) -> int:
        """The variable of an organisation's score in one release ("old" or "new")."""
        before = self.old_scores.get(organisation, {}).get(self.statistic)
        contributor = self.contributors.get(organisation)
        after = contributor.scores.get(self.statistic) if contributor is not None else None
        key = (organisation, "same" if before is not None and before == after else era)
        if key not in self.indices:
            self.indices[key] = len(self.values)
            self.values.append(score)
            self.owners.append(organisation)
            if is_known:
                self.known.add(self.indices[key])
        return self.indices[key]


def changed_organisations(
    old_scores: dict[int, dict[str, float]], contributors: dict[int, Contributor]
) -> set[int]:
    """Organisations counted in only one of the two releases, or with a changed score."""
    changed = set(old_scores) ^ set(contributors)
    for organisation in set(old_scores) & set(contributors):
        before, after = old_scores[organisation], contributors[organisation].scores
        if set(before) != set(after) or any(abs(before[s] - after[s]) > 1e-9 for s in before):
            changed.add(organisation)
    return changed


@transaction.atomic
def release_correct(
    *, actor: User | None, campaign: Campaign, policy: DisclosurePolicy = CURRENT_POLICY
) -> Release:
    """Build the one correction of a published release (R9): only when at least k organisations
    changed (late submissions, reopened answers), and only if the joint audit passes."""
    campaign = (
        Campaign.objects.select_for_update().select_related("network__steward").get(pk=campaign.pk)
    )
    initial = Release.objects.filter(
        campaign=campaign, kind=ReleaseKind.INITIAL, state=ReleaseState.PUBLISHED
    ).first()
    if initial is None:
        raise ValidationError(_("Only a published release can be corrected."))
    if (
        Release.objects.filter(campaign=campaign, kind=ReleaseKind.CORRECTION)
        .exclude(state=ReleaseState.FAILED)
        .exists()
    ):
        raise ValidationError(_("The release has already been corrected once."))
    started = time.monotonic()
    old = _published_problems(initial, policy)
    structure, contributors, labels = gather(campaign)
    changed = changed_organisations(old[1], contributors)
    if len(changed) < policy.correction_min_changed:
        raise ValidationError(
            _("A correction needs at least %(k)d changed organisations; %(n)d changed.")
            % {"k": policy.correction_min_changed, "n": len(changed)}
        )
    cells = build_cells(structure, contributors, policy)
    _suppress(cells, contributors, policy)
    by_group: dict[GroupKey, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_group[cell.group].append(cell)
    rounds = 0
    while True:
        result = joint_audit(old, cells, contributors, policy)
        if not result.pinned or rounds >= policy.max_suppression_rounds:
            break
        rounds += 1
        for finding in result.pinned:
            groups = (
                contributors[finding.organisation].groups
                if finding.organisation in contributors
                else []
            )
            shown = [g for g in groups if any(not c.hidden for c in by_group[g])]
            if shown:
                smallest = min(shown, key=lambda g: (len(by_group[g][0].members), g != EVERYONE))
                hide(by_group[smallest], R13)
                break
        else:
            hide(cells, R13)
        _suppress(cells, contributors, policy)
    if result.pinned:
        hide(cells, R13)
        result = AuditResult()
    summary = _summary(cells, result, rounds, started, len(contributors))
    summary["changed_organisations"] = len(changed)
    release = _store(
        campaign, ReleaseKind.CORRECTION, policy, cells, contributors, labels, summary, initial
    )
    _audit_release(actor, release, "benchmarking.release.built", {"summary": summary})
    return release
