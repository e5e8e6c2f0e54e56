"""The demo's baseline history: the generator on its own, and a seeded handful of organisations.

The database part seeds a small slice of the demo plan (a few Danish and Norwegian
municipalities, two regions, the stewards) with the real framework library, twice, inside one
transaction that is rolled back after the module; the generator tests run over the whole plan
without a database.
"""

from __future__ import annotations

import datetime
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, F

from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import (
    Answer,
    AnswerRevision,
    AnswerVia,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignParticipant,
    CampaignState,
    Delegation,
)
from samvirke.demo.catalogue import DemoPlan, build_plan
from samvirke.demo.history import (
    AHEAD_REGION,
    HISTORY_YEARS,
    MEASURING_NETWORKS,
    OPEN_YEAR,
    OpenState,
    Profile,
    Question,
    open_plan,
    open_states,
    planned_answers,
    profile,
)
from samvirke.demo.history_seed import Baseline, HistoryReport, baseline, demo_history_seed
from samvirke.demo.seed import demo_seed
from samvirke.frameworks.services import frameworks_load
from samvirke.tenancy.models import Membership, Organisation
from samvirke.tenancy.roles import Role

# The marker makes pytest-django set up the test database before the module fixture uses it.
pytestmark = pytest.mark.django_db

FULL_PLAN = build_plan()


def all_profiles(plan: DemoPlan = FULL_PLAN) -> dict[str, Profile]:
    """The profile of every member of a measuring network."""
    specs = {o.code: o for o in plan.organisations}
    codes = {
        m.organisation_code
        for n in plan.networks
        if n.code in MEASURING_NETWORKS
        for m in n.members
    }
    return {code: profile(specs[code], plan.units.get(code, [])) for code in sorted(codes)}


def slice_of(plan: DemoPlan, codes: set[str]) -> DemoPlan:
    """The plan narrowed to some organisations (networks keep only those members)."""
    networks = [
        replace(n, members=tuple(m for m in n.members if m.organisation_code in codes))
        for n in plan.networks
        if n.steward_code in codes
    ]
    return DemoPlan(
        regions=plan.regions,
        organisations=[o for o in plan.organisations if o.code in codes],
        networks=networks,
        units={c: u for c, u in plan.units.items() if c in codes},
        accounts=[a for a in plan.accounts if a.organisation_code in codes],
    )


def small_codes() -> set[str]:
    """Showcase logins, a few Midtjylland municipalities, organisations missing a year."""
    profiles = all_profiles()
    missing = [p for p in profiles.values() if p.missing_year and p.code.isdigit()]
    absent = next(p.code for p in missing if p.missing_absent)
    unsubmitted = next(p.code for p in missing if not p.missing_absent)
    ahead = [p.code for p in profiles.values() if p.ahead][:2]
    return {
        *("101", "147", "751", "461", "851", "1081", "1082", "0301", "4601", "5001"),
        *("DK-KL", "DK-DR", "DK-DIGST", "NO-DIGDIR"),
        *ahead,
        absent,
        unsubmitted,
    }


@dataclass
class Seeded:
    """A small slice of the demo, seeded with history twice."""

    plan: DemoPlan
    baseline: Baseline
    first: HistoryReport
    second: HistoryReport


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Seeded]:
    with django_db_blocker.unblock(), transaction.atomic():
        frameworks_load(paths=[])
        plan = slice_of(FULL_PLAN, small_codes())
        demo_seed(plan=plan)
        first = demo_history_seed(plan=plan)
        second = demo_history_seed(plan=plan)
        yield Seeded(plan, baseline(), first, second)
        transaction.set_rollback(True)


def synthetic_questions() -> list[Question]:
    """A question of every sort the baseline has, in two areas."""
    return [
        Question(1, "GOV.01", "GOV", "maturity", per_unit=False),
        Question(2, "GOV.02", "GOV", "maturity", per_unit=True, allows_not_applicable=True),
        Question(3, "TECH.02", "TECH", "number", per_unit=False, number_max=365),
        Question(4, "DEV.12", "DEV", "single_choice", per_unit=True, options=("a", "b", "c")),
        Question(5, "DEV.01", "DEV", "yes_partly_no", per_unit=True),
    ]


# --- the generator -------------------------------------------------------------------------


def test_the_generator_is_deterministic() -> None:
    profiles = all_profiles()
    again = all_profiles(build_plan())
    assert profiles == again
    questions = synthetic_questions()
    for code in ("101", "751", "0301"):
        assert planned_answers(profiles[code], questions, 2024) == planned_answers(
            again[code], questions, 2024
        )
    assert open_states("kl-kommuner", ["101", "147", "751"]) == open_states(
        "kl-kommuner", ["751", "147", "101"]
    )


def test_most_improve_some_fall_back_a_few_miss_a_year() -> None:
    profiles = list(all_profiles().values())
    falling = sum(p.falls_back for p in profiles) / len(profiles)
    missing = sum(p.missing_year is not None for p in profiles) / len(profiles)
    assert 0.05 <= falling <= 0.15
    assert 0.01 <= missing <= 0.06
    improving = [p for p in profiles if not p.falls_back]
    assert all(0.1 <= p.trend <= 0.35 for p in improving)
    assert all(p.maturity(2026) < p.maturity(2022) + 0.2 for p in profiles if p.falls_back)
    assert all(2 <= len(p.departments) <= 4 for p in profiles)
    assert all(p.departments[0][0] == "D1" for p in profiles)


def test_one_region_is_clearly_ahead() -> None:
    municipalities = [p for p in all_profiles().values() if p.country == "DK" and p.code.isdigit()]
    ahead = [p.maturity(2026) for p in municipalities if p.ahead]
    rest = [p.maturity(2026) for p in municipalities if not p.ahead and len(p.code) == 3]
    assert len(ahead) == 19
    assert statistics.mean(ahead) > statistics.mean(rest) + 0.8


def test_open_states_cover_every_state_even_in_a_small_network() -> None:
    states = open_states("danske-regioner", ["1081", "1082", "1083", "1084", "1085"])
    assert set(states.values()) == set(OpenState)
    assert open_states("kl-kommuner", ["101", "147", "751", "461"])["101"] == (
        OpenState.HALF_ANSWERED
    )


def test_a_half_answered_plan_leaves_work_for_the_departments() -> None:
    copenhagen = all_profiles()["101"]
    plan = open_plan(copenhagen, synthetic_questions(), OpenState.HALF_ANSWERED)
    delegated_units = {unit for _area, unit in plan.area_delegations}
    assert "D1" in delegated_units
    assert plan.question_delegations
    full = planned_answers(copenhagen, synthetic_questions(), OPEN_YEAR)
    assert 0 < len(plan.answers) < len(full)


# --- the seeded slice ------------------------------------------------------------------------


def codes_in(network_code: str, plan: DemoPlan) -> list[str]:
    network = next(n for n in plan.networks if n.code == network_code)
    return [m.organisation_code for m in network.members]


def test_five_closed_years_per_organisation(seeded: Seeded, unscoped: None) -> None:
    profiles = all_profiles(seeded.plan)
    campaigns = Campaign.objects.filter(year__in=HISTORY_YEARS)
    assert set(campaigns.values_list("state", flat=True)) == {CampaignState.CLOSED}
    assert campaigns.count() == 5 * len(
        [n for n in seeded.plan.networks if n.code in MEASURING_NETWORKS]
    )
    submitted = Counter(
        Assessment.objects.filter(
            campaign__in=campaigns, state=AssessmentState.SUBMITTED
        ).values_list("organisation__code", flat=True)
    )
    for code in codes_in("kl-kommuner", seeded.plan) + codes_in("no-kommuner", seeded.plan):
        found = profiles[code]
        assert submitted[code] == (5 if found.missing_year is None else 4), code
    missing = [p for p in profiles.values() if p.missing_year and p.code in submitted]
    assert {p.missing_absent for p in missing} == {True, False}
    for found in missing:
        rows = Assessment.objects.filter(
            organisation__code=found.code, campaign__year=found.missing_year
        )
        if found.missing_absent:
            assert not rows.exists()
            assert not CampaignParticipant.objects.filter(
                organisation__code=found.code, campaign__year=found.missing_year
            ).exists()
        else:
            assert rows.get().state == AssessmentState.CLOSED_UNSUBMITTED


def test_a_submitted_year_answers_every_question(seeded: Seeded, unscoped: None) -> None:
    questions = seeded.baseline.questions
    own = [q.id for q in questions if not q.per_unit]
    assessment = Assessment.objects.get(organisation__code="751", campaign__year=2024)
    answers = Answer.objects.filter(assessment=assessment)
    org_level = answers.filter(org_unit__isnull=True)
    assert sorted(org_level.values_list("question_id", flat=True)) == sorted(own)
    units = set(answers.filter(org_unit__isnull=False).values_list("org_unit__code", flat=True))
    assert 2 <= len(units) <= 4 and "D1" in units
    per_unit = answers.filter(org_unit__isnull=False).count()
    assert per_unit == len(units) * (len(questions) - len(own))
    coordinator = Membership.objects.get(
        organisation=assessment.organisation, role=Role.SECURITY_COORDINATOR
    ).user_id
    revisions = AnswerRevision.objects.filter(answer__assessment=assessment)
    assert revisions.count() == answers.count()
    assert set(revisions.values_list("via", "by_id", "version")) == {
        (AnswerVia.IMPORT, coordinator, 1)
    }
    assert {r.year for r in revisions.values_list("at", flat=True)} == {2024}
    assert assessment.submitted_at is not None and assessment.submitted_at.year == 2024
    assert set(answers.values_list("updated_at__year", flat=True)) == {2024}
    stored = set(answers.values_list("value", flat=True))
    assert {0, 1, 2, 3, 4, 5} & stored and None in stored  # maturity levels and don't knows


def test_answer_flags_vary(seeded: Seeded, unscoped: None) -> None:
    answers = Answer.objects.filter(assessment__campaign__year__in=HISTORY_YEARS)
    assert answers.filter(dont_know=True).exists()
    assert answers.filter(unsure=True).exists()
    assert answers.exclude(comment="").exists()
    not_applicable = answers.filter(not_applicable=True)
    assert not_applicable.exists() and not not_applicable.filter(not_applicable_reason="").exists()
    assert not answers.filter(not_applicable=True, value__isnull=False).exists()


def test_departments_answer_differently(seeded: Seeded, unscoped: None) -> None:
    rows = Answer.objects.filter(
        organisation__code="101", assessment__campaign__year=2025, org_unit__isnull=False
    ).values_list("question_id", "value")
    by_question: dict[int, set[str]] = defaultdict(set)
    for question_id, value in rows:
        by_question[question_id].add(repr(value))
    differing = sum(len(values) > 1 for values in by_question.values())
    assert differing >= len(by_question) // 3


def test_the_ahead_region_scores_higher_in_the_database(seeded: Seeded, unscoped: None) -> None:
    def mean_level(codes: list[str]) -> float:
        values = Answer.objects.filter(
            organisation__code__in=codes,
            assessment__campaign__year=2026,
            question__question_type="maturity",
            value__isnull=False,
        ).values_list("value", flat=True)
        return statistics.mean(values)

    profiles = all_profiles(seeded.plan)
    danish = [c for c in codes_in("kl-kommuner", seeded.plan) if profiles[c].missing_year != 2026]
    ahead = [c for c in danish if profiles[c].ahead]
    rest = [c for c in danish if not profiles[c].ahead]
    assert ahead and rest and AHEAD_REGION == "1082"
    assert mean_level(ahead) > mean_level(rest) + 0.3


def test_the_open_campaign_has_every_state(seeded: Seeded, unscoped: None) -> None:
    campaign = Campaign.objects.get(network__code="kl-kommuner", year=OPEN_YEAR)
    assert campaign.state == CampaignState.OPEN
    assert (campaign.opens_on, campaign.deadline) == (
        datetime.date(2026, 11, 2),
        datetime.date(2027, 2, 26),
    )
    assert campaign.reminder_days == [14, 7, 1]
    assessments = Assessment.objects.filter(campaign__year=OPEN_YEAR).annotate(
        delegated=Count("delegations", distinct=True),
        drafts=Count("answers", filter=F("answers__draft"), distinct=True),
        answered=Count("answers", distinct=True),
    )
    kinds = set()
    for a in assessments:
        if a.state == AssessmentState.SUBMITTED:
            kinds.add(OpenState.SUBMITTED)
        elif a.state == AssessmentState.IN_PROGRESS:
            assert a.answered and a.delegated
            kinds.add(OpenState.HALF_ANSWERED)
        else:
            assert a.state == AssessmentState.NOT_STARTED and not a.answered
            kinds.add(OpenState.DELEGATED if a.delegated else OpenState.UNTOUCHED)
    assert kinds == set(OpenState)
    drafts = Answer.objects.filter(assessment__campaign__year=OPEN_YEAR, draft=True)
    assert drafts.exists() and set(drafts.values_list("via", flat=True)) == {AnswerVia.COPY}


def test_copenhagen_is_half_answered_with_work_for_its_respondents(
    seeded: Seeded, unscoped: None
) -> None:
    assessment = Assessment.objects.get(organisation__code="101", campaign__year=OPEN_YEAR)
    assert assessment.state == AssessmentState.IN_PROGRESS
    it_unit = Membership.objects.get(user__username="resp.101.1").org_unit
    assert it_unit is not None and it_unit.code == "D1"
    to_it = Delegation.objects.filter(assessment=assessment, org_unit=it_unit)
    assert to_it.exists() and {d.node.kind for d in to_it} == {"area"}
    named = Delegation.objects.filter(assessment=assessment, user__isnull=False)
    assert named.exists()
    assert all(d.user.username.startswith("resp.101.") for d in named)  # type: ignore[union-attr]
    answers = Answer.objects.filter(assessment=assessment)
    assert answers.filter(draft=True).exists() and answers.filter(draft=False).exists()
    assert answers.filter(org_unit=it_unit, updated_by__username="resp.101.1").exists()
    total = len(seeded.baseline.questions)
    assert answers.filter(draft=False, org_unit__isnull=True).count() < total


def test_a_second_run_writes_nothing(seeded: Seeded, unscoped: None) -> None:
    assert seeded.first.answers > 0 and seeded.first.campaigns == Campaign.objects.count()
    assert seeded.second.total == 0
    assert seeded.first.answers == Answer.objects.count()
    assert seeded.first.revisions == AnswerRevision.objects.count()
    assert seeded.first.assessments == Assessment.objects.count()
    assert seeded.first.delegations == Delegation.objects.count()


def test_every_row_stays_in_its_organisation(seeded: Seeded, unscoped: None) -> None:
    assert not Answer.objects.exclude(organisation=F("assessment__organisation")).exists()
    assert (
        not Answer.objects.exclude(org_unit__isnull=True)
        .exclude(org_unit__organisation=F("organisation"))
        .exists()
    )
    assert not AnswerRevision.objects.exclude(organisation=F("answer__organisation")).exists()
    assert not Delegation.objects.exclude(organisation=F("assessment__organisation")).exists()
    assert (
        not Delegation.objects.exclude(org_unit__isnull=True)
        .exclude(org_unit__organisation=F("organisation"))
        .exists()
    )
    for delegation in Delegation.objects.filter(user__isnull=False):
        assert Membership.objects.filter(
            organisation=delegation.organisation, user=delegation.user_id
        ).exists()
    for assessment in Assessment.objects.all():
        assert CampaignParticipant.objects.filter(
            campaign=assessment.campaign_id, organisation=assessment.organisation_id
        ).exists()


def test_one_audit_entry_per_campaign_and_assessment(seeded: Seeded, unscoped: None) -> None:
    campaigns = AuditEntry.objects.filter(action="demo.campaign.seeded")
    assert campaigns.count() == Campaign.objects.count()
    stewards = set(Campaign.objects.values_list("network__steward_id", flat=True))
    assert set(campaigns.values_list("organisation_id", flat=True)) == stewards
    per_assessment = AuditEntry.objects.filter(action="demo.assessment.seeded")
    assert per_assessment.count() == Assessment.objects.count()
    assert not per_assessment.exclude(
        organisation_id__in=Organisation.objects.filter(assessment_set__isnull=False).values("pk")
    ).exists()
    assert not AuditEntry.objects.filter(action__startswith="baseline.answer").exists()
