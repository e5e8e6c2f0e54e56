"""Writing the demo's baseline history: closed campaigns 2022 to 2026 and the open 2027 campaign.

What to write comes from demo/history.py; this module only puts it in the database, fast and
inside each organisation's own scope: campaigns, participants, assessments and delegations with
the ORM (bulk_create), the 1.2 million answer and revision rows with one prepared INSERT per
batch (`insert_rows`, see why there). Each network's history, and its open campaign, is one
transaction. A campaign that exists for a network and year is left alone, so a second run
writes nothing.

Audit: one entry per campaign (in the steward's chain) and one per assessment (in the
organisation's chain), not one per answer. Half a million answer entries would dominate the
seed and the chains while saying nothing a reader needs: every answer carries its own
AnswerRevision saying who saved it, when and through what.

Then every closed history campaign gets its benchmark release (`demo_releases_seed`), built and
audited by benchmarking.release exactly as after a real close and published by the network's
coordinator, so the benchmark pages show five years of real trends. A campaign that already has
a published release is left alone.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from samvirke.accounts.models import User
from samvirke.audit.services import audit_log
from samvirke.baseline.forms import DEFAULT_FRAMEWORK
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
from samvirke.benchmarking.models import Release, ReleaseKind, ReleaseState
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.core.scoping import organisation_scope
from samvirke.demo.catalogue import DemoPlan, NetworkSpec, build_plan
from samvirke.demo.history import (
    HISTORY_YEARS,
    MEASURING_NETWORKS,
    OPEN_YEAR,
    OpenPlan,
    OpenState,
    PlannedAnswer,
    Profile,
    Question,
    campaign_dates,
    open_plan,
    open_states,
    partial_answers,
    participant_codes,
    planned_answers,
    profile,
)
from samvirke.frameworks.models import Framework, FrameworkVersion, Node, NodeKind
from samvirke.tenancy.models import Membership, Network, Organisation, OrgUnit
from samvirke.tenancy.roles import Role

BATCH = 500
REMINDER_DAYS = [14, 7, 1]
#: Answers of the open campaign were saved between its opening and this day.
OPEN_WORK_UNTIL = datetime.date(2026, 11, 25)
TITLES = {
    "DK": "Måling af informationssikkerhed {year}",
    "NO": "Måling av informasjonssikkerhet {year}",
}
Progress = Callable[[int], object]


ANSWER_COLUMNS = (
    "organisation",
    "assessment",
    "question",
    "org_unit",
    "value",
    "not_applicable",
    "not_applicable_reason",
    "dont_know",
    "unsure",
    "comment",
    "version",
    "draft",
    "updated_by",
    "updated_at",
    "via",
)
REVISION_COLUMNS = ("organisation", "answer", "version", "data", "by", "at", "via")


def insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows of plain values into a model's table with one prepared statement.

    bulk_create compiles every value of every row in Python: for the history's 1.2 million
    answer and revision rows that costs minutes, this seconds. The identifiers come from the
    model, JSON and date-time values are prepared by their fields for the database in use,
    and the caller sets the organisation of every row (it is the scope it works in).
    """
    fields = [model._meta.get_field(name) for name in names]
    columns = [f.column for f in fields if isinstance(f, models.Field)]
    prepare = [
        (i, f)
        for i, f in enumerate(fields)
        if isinstance(f, models.JSONField | models.DateTimeField)
    ]
    db = connections[DEFAULT_DB_ALIAS]  # the real connection, not the per-call proxy
    quote = db.ops.quote_name
    # Identifiers from the model's own metadata; every value is a parameter.
    statement = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    moments: dict[datetime.datetime, Any] = {}  # many rows share a moment: prepare it once
    with db.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            values: list[list[Any]] = []
            for row in rows[start : start + BATCH]:
                prepared = list(row)
                for i, field in prepare:
                    value = row[i]
                    if isinstance(value, datetime.datetime):
                        if value not in moments:
                            moments[value] = field.get_db_prep_save(value, db)
                        prepared[i] = moments[value]
                    else:
                        prepared[i] = field.get_db_prep_save(value, db)
                values.append(prepared)
            cursor.executemany(statement, values)  # arch: sql-ok (identifiers from the model)


class HistoryUnavailable(Exception):
    """The Samvirke Baseline framework is not loaded, so there is nothing to measure against."""


@dataclass
class HistoryReport:
    """How many rows of each sort one run created."""

    campaigns: int = 0
    assessments: int = 0
    delegations: int = 0
    answers: int = 0
    revisions: int = 0

    @property
    def total(self) -> int:
        """All rows created."""
        return sum(asdict(self).values())


@dataclass
class Baseline:
    """The framework version the demo measures against, read once."""

    version: FrameworkVersion
    questions: list[Question]
    area_ids: dict[str, int]

    def question_id(self, key: str) -> int:
        """The node id of a question key."""
        return next(q.id for q in self.questions if q.key == key)


@dataclass
class People:
    """An organisation's coordinator, departments and department respondents."""

    coordinator: int | None
    units: dict[str, int] = field(default_factory=dict)
    respondents: dict[str, int] = field(default_factory=dict)


def baseline() -> Baseline:
    """The latest Samvirke Baseline version and its questions, or HistoryUnavailable."""
    framework = Framework.objects.filter(key=DEFAULT_FRAMEWORK).first()
    version = framework.latest if framework is not None else None
    if version is None:
        raise HistoryUnavailable(
            "The Samvirke Baseline framework is not loaded, so the demo history cannot be "
            "written. Run `samvirke frameworks_load` first (`samvirke demo` does), or pass "
            "--no-history."
        )
    nodes = list(Node.objects.filter(version=version).order_by("position"))
    by_id = {n.pk: n for n in nodes}

    def area_of(node: Node) -> Node:
        while node.parent_id is not None:
            node = by_id[node.parent_id]
        return node

    questions = [
        Question(
            id=n.pk,
            key=n.key,
            area=area_of(n).key,
            question_type=n.question_type,
            per_unit=n.answer_level == "unit",
            allows_not_applicable=n.allows_not_applicable,
            options=tuple(str(o["id"]) for o in n.options or [] if "id" in o),
            number_max=n.number_max,
        )
        for n in nodes
        if n.kind == NodeKind.QUESTION
    ]
    areas = {n.key: n.pk for n in nodes if n.kind == NodeKind.AREA}
    return Baseline(version, questions, areas)


def _measuring(plan: DemoPlan) -> list[NetworkSpec]:
    return [n for n in plan.networks if n.code in MEASURING_NETWORKS]


def history_steps(plan: DemoPlan) -> int:
    """How many organisation-campaigns a full run goes through (for a progress bar)."""
    return sum(
        len(participant_codes(plan.networks, network, year))
        for network in _measuring(plan)
        for year in (*HISTORY_YEARS, OPEN_YEAR)
    )


def demo_history_seed(
    *, plan: DemoPlan | None = None, progress: Progress | None = None
) -> HistoryReport:
    """Write the history and the open campaign of every measuring network that lacks them."""
    plan = plan or build_plan()
    measured = baseline()
    report = HistoryReport()
    step: Progress = progress or (lambda _n: None)
    specs = {o.code: o for o in plan.organisations}
    profiles = {
        code: profile(specs[code], plan.units.get(code, []))
        for network in _measuring(plan)
        for code in {m.organisation_code for m in network.members}
    }
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=list(profiles))}
    for spec in _measuring(plan):
        network = Network.objects.get(code=spec.code, is_demo=True)
        writer = _Writer(measured, organisations, profiles, report, step)
        writer.history(network, spec, plan.networks)
        writer.open_campaign(network, spec, plan.networks)
    return report


# --- benchmark releases of the closed years --------------------------------------------------


class ReleaseFailed(Exception):
    """A demo release did not pass its audit (R13), so it cannot be published."""


@dataclass
class NetworkReleases:
    """The releases one run built and published for a network, and what their audits found."""

    network: str
    built: int = 0
    cells: int = 0
    hidden_cells: int = 0
    narrowest: float | None = None

    def add(self, summary: dict[str, Any]) -> None:
        """Count one published release by its audit summary."""
        self.built += 1
        self.cells += summary["cells"]
        self.hidden_cells += summary["hidden_cells"]
        width = summary["narrowest_interval"]
        if width is not None and (self.narrowest is None or width < self.narrowest):
            self.narrowest = width

    @property
    def hidden_share(self) -> float:
        """Hidden cells over all cells of the network's new releases."""
        return self.hidden_cells / self.cells if self.cells else 0.0

    def line(self) -> str:
        """The network's releases in one line of the seed's output."""
        narrowest = "none published" if self.narrowest is None else f"{self.narrowest:g} points"
        return (
            f"{self.network}: {self.built} releases built and published, narrowest interval "
            f"{narrowest}, {self.hidden_share:.1%} of {self.cells} cells hidden"
        )


def release_campaigns() -> list[Campaign]:
    """The closed history campaigns of the demo's measuring networks with no published release."""
    published = Release.objects.filter(
        campaign=OuterRef("pk"), kind=ReleaseKind.INITIAL, state=ReleaseState.PUBLISHED
    )
    return list(
        Campaign.objects.filter(
            network__is_demo=True,
            network__code__in=MEASURING_NETWORKS,
            year__in=HISTORY_YEARS,
            state__in=[CampaignState.CLOSED, CampaignState.RELEASED],
        )
        .exclude(Exists(published))
        .select_related("network")
        .order_by("network__code", "year")
    )


def demo_releases_seed(
    *, campaigns: Sequence[Campaign] | None = None, progress: Progress | None = None
) -> list[NetworkReleases]:
    """Build, audit and publish the release of every closed demo campaign that lacks one
    (or of the given ones, from `release_campaigns`)."""
    step: Progress = progress or (lambda _n: None)
    reports: dict[str, NetworkReleases] = {}
    for campaign in release_campaigns() if campaigns is None else campaigns:
        code = campaign.network.code
        coordinator = User.objects.filter(username=f"netkoord.{code}").first()
        release = _publish_release(campaign, coordinator)
        reports.setdefault(code, NetworkReleases(code)).add(release.summary)
        step(1)
    return list(reports.values())


@transaction.atomic
def _publish_release(campaign: Campaign, coordinator: User | None) -> Release:
    """One campaign's release, built (or the audited one an interrupted run left) and published."""
    release = Release.objects.filter(
        campaign=campaign, kind=ReleaseKind.INITIAL, state=ReleaseState.AUDITED
    ).first() or release_build(actor=coordinator, campaign=campaign)
    if release.summary.get("pinned"):
        raise ReleaseFailed(
            f"The demo release of {campaign} pinned {release.summary['pinned']} organisations "
            "in its audit and cannot be published."
        )
    # Published by the network's coordinator; by the system when the demo has none.
    return release_publish(actor=coordinator, release=release)


def _at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _people(organisation: Organisation) -> People:
    """Read inside the organisation's scope: its departments and who answers for them."""
    units = OrgUnit.objects.filter(organisation=organisation, parent__isnull=True)
    people = People(None, dict(units.exclude(code="").values_list("code", "pk")))
    rows = Membership.objects.filter(organisation=organisation).values_list(
        "user_id", "role", "org_unit__code", "user__username"
    )
    for user_id, role, unit_code, username in sorted(rows, key=lambda r: r[3]):
        if role == Role.SECURITY_COORDINATOR and (
            people.coordinator is None or username.startswith("koord.")
        ):
            people.coordinator = user_id
        if role == Role.RESPONDENT and unit_code:
            people.respondents.setdefault(unit_code, user_id)
    return people


@dataclass
class _Writer:
    """Writes one network's campaigns; every organisation's rows inside its own scope."""

    baseline: Baseline
    organisations: dict[str, Organisation]
    profiles: dict[str, Profile]
    report: HistoryReport
    progress: Progress

    # --- campaigns -------------------------------------------------------------------------

    def _campaign(self, network: Network, year: int, state: CampaignState) -> Campaign:
        opens, deadline = campaign_dates(year)
        country = network.steward.country
        coordinator = User.objects.filter(username=f"netkoord.{network.code}").first()
        campaign = Campaign.objects.create(
            network=network,
            framework_version=self.baseline.version,
            title=TITLES.get(country, TITLES["DK"]).format(year=year),
            year=year,
            opens_on=opens,
            deadline=deadline,
            state=state,
            reminder_days=REMINDER_DAYS,
            created_by=coordinator,
        )
        created = _at(opens - datetime.timedelta(days=21))
        Campaign.objects.filter(pk=campaign.pk).update(created_at=created)
        self.report.campaigns += 1
        return campaign

    def _participants(self, campaign: Campaign, codes: Sequence[str]) -> None:
        CampaignParticipant.objects.bulk_create(
            [
                CampaignParticipant(campaign=campaign, organisation=self.organisations[c])
                for c in codes
            ],
            batch_size=BATCH,
        )

    def _audit_campaign(self, campaign: Campaign, changes: dict[str, object]) -> None:
        audit_log(
            actor=None,
            organisation=campaign.network.steward,
            action="demo.campaign.seeded",
            obj=campaign,
            changes={"year": campaign.year, "state": campaign.state, **changes},
        )

    # --- closed years ----------------------------------------------------------------------

    @transaction.atomic
    def history(self, network: Network, spec: NetworkSpec, networks: Sequence[NetworkSpec]) -> None:
        """The closed campaigns of the history years the network does not have yet."""
        have = set(
            Campaign.objects.filter(network=network, year__in=HISTORY_YEARS).values_list(
                "year", flat=True
            )
        )
        planned = {year: participant_codes(networks, spec, year) for year in HISTORY_YEARS}
        self.progress(sum(len(planned[year]) for year in have))
        years = [year for year in HISTORY_YEARS if year not in have]
        campaigns = {year: self._campaign(network, year, CampaignState.CLOSED) for year in years}
        taking_part = {
            year: [c for c in planned[year] if not self._absent(c, year)] for year in years
        }
        for year, campaign in campaigns.items():
            self._participants(campaign, taking_part[year])
        states: dict[int, Counter[str]] = {year: Counter() for year in years}
        for code in dict.fromkeys(c for year in years for c in planned[year]):
            organisation = self.organisations[code]
            with organisation_scope(organisation.pk):
                people = _people(organisation)
                for year in years:
                    if code in taking_part[year]:
                        state = self._closed(organisation, people, campaigns[year])
                        states[year][state] += 1
            self.progress(sum(code in planned[year] for year in years))
        for year, campaign in campaigns.items():
            self._audit_campaign(campaign, {"participants": len(taking_part[year]), **states[year]})

    def _absent(self, code: str, year: int) -> bool:
        found = self.profiles[code]
        return found.missing_year == year and found.missing_absent

    def _closed(self, organisation: Organisation, people: People, campaign: Campaign) -> str:
        """One submitted assessment, or closed without submission in the organisation's
        missing year; all answers imported by the coordinator during the campaign's year."""
        year, found = campaign.year, self.profiles[organisation.code]
        rng = random.Random(f"samvirke-demo-history-times:{organisation.code}:{year}")
        deadline = campaign_dates(year)[1]
        submitted = _at(deadline - datetime.timedelta(days=rng.randint(0, 12)), 14)
        complete = found.missing_year != year
        state = AssessmentState.SUBMITTED if complete else AssessmentState.CLOSED_UNSUBMITTED
        assessment = self._assessment(
            organisation, campaign, state, submitted if complete else None, people.coordinator
        )
        answers = (planned_answers if complete else partial_answers)(
            found, self.baseline.questions, year
        )
        # The coordinator imported the whole assessment at one moment, some days before submitting.
        imported = submitted - datetime.timedelta(days=rng.randint(1, 20), hours=3)
        imported = max(imported, _at(datetime.date(year, 1, 5), 10))
        written = self._answers(
            organisation,
            assessment,
            people,
            answers,
            lambda: imported,
            AnswerVia.IMPORT,
            by_unit=False,
        )
        self._audit_assessment(assessment, {"answers": written})
        return state

    def _assessment(
        self,
        organisation: Organisation,
        campaign: Campaign,
        state: str,
        submitted_at: datetime.datetime | None,
        submitted_by: int | None,
    ) -> Assessment:
        (assessment,) = Assessment.objects.bulk_create(
            [
                Assessment(
                    organisation=organisation,
                    campaign=campaign,
                    state=state,
                    submitted_at=submitted_at,
                    submitted_by_id=submitted_by if submitted_at else None,
                )
            ]
        )
        rows = Assessment.objects.filter(organisation=organisation, pk=assessment.pk)
        rows.update(created_at=_at(campaign.opens_on, 7))
        self.report.assessments += 1
        return assessment

    def _audit_assessment(self, assessment: Assessment, changes: dict[str, object]) -> None:
        audit_log(
            actor=None,
            organisation=assessment.organisation,
            action="demo.assessment.seeded",
            obj=assessment,
            changes={"campaign": assessment.campaign_id, "state": assessment.state, **changes},
        )

    # --- answers ---------------------------------------------------------------------------

    def _answers(
        self,
        organisation: Organisation,
        assessment: Assessment,
        people: People,
        planned: Sequence[PlannedAnswer],
        saved: Callable[[], datetime.datetime],
        via: str,
        *,
        by_unit: bool,
        draft: bool = False,
    ) -> int:
        """Answers with one revision each, saved at the moments `saved` gives; per-unit answers
        by the department's respondent when `by_unit`, everything else by the coordinator."""
        org_id, coordinator = organisation.pk, people.coordinator
        rows: list[tuple[int, int | None, int | None, datetime.datetime, dict[str, Any]]] = []
        for p in planned:
            unit = people.units.get(p.unit) if p.unit else None
            if p.unit and unit is None:
                continue  # a department the plan knows but the database does not
            by = people.respondents.get(p.unit, coordinator) if by_unit and p.unit else coordinator
            data = {
                "draft": draft,
                "value": p.value,
                "not_applicable": p.not_applicable,
                "not_applicable_reason": p.not_applicable_reason,
                "dont_know": p.dont_know,
                "unsure": p.unsure,
                "comment": p.comment,
            }
            rows.append((p.question_id, unit, by, saved(), data))
        insert_rows(
            Answer,
            ANSWER_COLUMNS,
            [
                (
                    org_id,
                    assessment.pk,
                    q,
                    unit,
                    d["value"],
                    d["not_applicable"],
                    d["not_applicable_reason"],
                    d["dont_know"],
                    d["unsure"],
                    d["comment"],
                    1,
                    draft,
                    by,
                    at,
                    via,
                )
                for q, unit, by, at, d in rows
            ],
        )
        # Revisions point at the answers just written: read their ids back, in scope.
        ids = {
            (q, unit): pk
            for pk, q, unit in Answer.objects.filter(
                organisation=organisation, assessment=assessment
            ).values_list("pk", "question_id", "org_unit_id")
        }
        insert_rows(
            AnswerRevision,
            REVISION_COLUMNS,
            [(org_id, ids[(q, unit)], 1, d, by, at, via) for q, unit, by, at, d in rows],
        )
        self.report.answers += len(rows)
        self.report.revisions += len(rows)
        return len(rows)

    # --- the open campaign -----------------------------------------------------------------

    @transaction.atomic
    def open_campaign(
        self, network: Network, spec: NetworkSpec, networks: Sequence[NetworkSpec]
    ) -> None:
        """The open campaign, with assessments untouched, delegated, half answered, submitted."""
        codes = participant_codes(networks, spec, OPEN_YEAR)
        if Campaign.objects.filter(network=network, year=OPEN_YEAR).exists():
            self.progress(len(codes))
            return
        campaign = self._campaign(network, OPEN_YEAR, CampaignState.OPEN)
        self._participants(campaign, codes)
        previous = Campaign.objects.filter(network=network, year=OPEN_YEAR - 1).first()
        states = open_states(spec.code, codes)
        for code in codes:
            organisation = self.organisations[code]
            with organisation_scope(organisation.pk):
                plan = open_plan(self.profiles[code], self.baseline.questions, states[code])
                self._open(organisation, _people(organisation), campaign, plan, previous)
            self.progress(1)
        self._audit_campaign(campaign, {"participants": len(codes), **Counter(states.values())})

    def _open(
        self,
        organisation: Organisation,
        people: People,
        campaign: Campaign,
        plan: OpenPlan,
        previous: Campaign | None,
    ) -> None:
        rng = random.Random(f"samvirke-demo-history-times:{organisation.code}:{OPEN_YEAR}")
        start, end = (
            _at(campaign.opens_on + datetime.timedelta(days=1), 9),
            _at(OPEN_WORK_UNTIL, 16),
        )
        span = (end - start).total_seconds()

        def saved() -> datetime.datetime:
            return start + datetime.timedelta(seconds=round(rng.uniform(0, span)))

        submitted = end + datetime.timedelta(hours=1)
        state = {
            OpenState.HALF_ANSWERED: AssessmentState.IN_PROGRESS,
            OpenState.SUBMITTED: AssessmentState.SUBMITTED,
        }.get(plan.state, AssessmentState.NOT_STARTED)
        is_submitted = state == AssessmentState.SUBMITTED
        assessment = self._assessment(
            organisation,
            campaign,
            state,
            submitted if is_submitted else None,
            people.coordinator,
        )
        delegations = self._delegations(organisation, assessment, people, plan)
        written = self._answers(
            organisation,
            assessment,
            people,
            plan.answers,
            saved,
            AnswerVia.PAGE,
            by_unit=True,
        )
        copied = self._copy_forward(organisation, assessment, people, plan, previous, saved)
        self._audit_assessment(
            assessment,
            {
                "open_state": plan.state,
                "delegations": delegations,
                "answers": written,
                "drafts": copied,
            },
        )

    def _delegations(
        self, organisation: Organisation, assessment: Assessment, people: People, plan: OpenPlan
    ) -> int:
        """Areas to departments; single questions to a department's named respondent."""
        rows = [
            Delegation(
                organisation_id=organisation.pk,
                assessment_id=assessment.pk,
                node_id=self.baseline.area_ids[area],
                org_unit_id=people.units[unit],
                created_by_id=people.coordinator,
            )
            for area, unit in plan.area_delegations
            if unit in people.units and area in self.baseline.area_ids
        ]
        rows += [
            Delegation(
                organisation_id=organisation.pk,
                assessment_id=assessment.pk,
                node_id=self.baseline.question_id(key),
                user_id=people.respondents[unit],
                created_by_id=people.coordinator,
            )
            for key, unit in plan.question_delegations
            if unit in people.respondents
        ]
        Delegation.objects.bulk_create(rows, batch_size=BATCH)
        Delegation.objects.filter(organisation=organisation, assessment=assessment).update(
            created_at=_at(assessment.campaign.opens_on + datetime.timedelta(days=2), 10)
        )
        self.report.delegations += len(rows)
        return len(rows)

    def _copy_forward(
        self,
        organisation: Organisation,
        assessment: Assessment,
        people: People,
        plan: OpenPlan,
        previous: Campaign | None,
        saved: Callable[[], datetime.datetime],
    ) -> int:
        """Last year's submitted organisation-level answers of some areas, as drafts."""
        if previous is None or not plan.copied_areas:
            return 0
        wanted = [q.id for q in self.baseline.questions if q.area in plan.copied_areas]
        rows = Answer.objects.filter(
            organisation=organisation,
            assessment__campaign=previous,
            assessment__state=AssessmentState.SUBMITTED,
            question_id__in=wanted,
            org_unit__isnull=True,
        ).values_list(
            "question_id",
            "value",
            "not_applicable",
            "not_applicable_reason",
            "dont_know",
            "unsure",
            "comment",
        )
        copies = [PlannedAnswer(q, None, *rest) for q, *rest in rows]
        return self._answers(
            organisation,
            assessment,
            people,
            copies,
            saved,
            AnswerVia.COPY,
            by_unit=False,
            draft=True,
        )
