"""Synthetic baseline history for the demo: who measures, how mature they are, what they answer.

Plain data, no database (history_seed.py writes it). Every draw comes from a generator seeded
with a fixed string plus the organisation code (and year), so a run over three organisations
plans exactly what a run over all of them plans for those three, in any order and process.

The model behind the numbers: each organisation has a latent maturity (0 to 5) that starts near 2
and drifts by a yearly trend — most improve slowly, about one in ten falls back, and the
municipalities of one region (Midtjylland) start higher and improve faster. An answer is that
latent level plus the difficulty of the question's area and of the question itself, plus a
department's own offset for per-unit questions, plus noise.
"""

from __future__ import annotations

import datetime
import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from samvirke.demo.catalogue import MemberSpec, NetworkSpec, OrganisationSpec, UnitSpec
from samvirke.frameworks.models import QuestionType
from samvirke.tenancy.models import OrganisationKind, SizeClass

SEED = "samvirke-demo-history-v1"
HISTORY_YEARS = (2022, 2023, 2024, 2025, 2026)
OPEN_YEAR = 2027
#: The networks that measure themselves. The forum's own campaign covers only the members that
#: measure nowhere else (agencies, associations): municipalities and regions answer once a year.
MEASURING_NETWORKS = ("kl-kommuner", "danske-regioner", "no-kommuner", "nationalt-forum")
FORUM_NETWORK = "nationalt-forum"
#: Region Midtjylland: its municipalities are clearly ahead of the rest.
AHEAD_REGION = "1082"
#: Showcase organisations of the demo logins: never missing a year, never falling back.
SHOWCASE = frozenset({"101", "147", "751"})
#: How many departments answer the per-unit questions (the IT department always does).
UNIT_DEPARTMENTS = (2, 4)
MISSING_SHARE = 0.03
FALLING_BACK_SHARE = 0.10

# Easier areas (policies, awareness, physical security) sit above the latent level, harder ones
# (suppliers, continuity, development) below; unknown areas get a small drawn offset.
AREA_DIFFICULTY = {
    "GOV": 0.4,
    "AWA": 0.3,
    "PHYS": 0.5,
    "PRIV": 0.2,
    "TECH": 0.1,
    "IAM": 0.0,
    "INC": -0.1,
    "OWN": -0.2,
    "RISK": -0.3,
    "BCM": -0.4,
    "SUP": -0.5,
    "DEV": -0.6,
}
SIZE_EFFECT = {SizeClass.L: 0.3, SizeClass.M: 0.15, SizeClass.S: 0.0, SizeClass.XS: -0.2}

COMMENTS = {
    "DK": (
        "Bygger på gennemgangen i ledelsens årsrapport.",
        "Der er lagt en plan for at løfte området i år.",
        "Afventer den nye leverandøraftale.",
        "Dokumentationen ligger i ESDH under sikkerhedsorganisationen.",
        "Vurderingen er drøftet i informationssikkerhedsudvalget.",
        "Gælder ikke for alle fagsystemer endnu.",
        "Forbedret siden sidste måling efter intern audit.",
    ),
    "NO": (
        "Bygger på gjennomgangen i ledelsens årsrapport.",
        "Det er lagt en plan for å løfte området i år.",
        "Venter på den nye leverandøravtalen.",
        "Dokumentasjonen ligger i sak/arkiv under sikkerhetsorganisasjonen.",
        "Vurderingen er drøftet i sikkerhetsforumet.",
        "Gjelder ikke for alle fagsystemer ennå.",
        "Forbedret siden forrige måling etter intern revisjon.",
    ),
}
NOT_APPLICABLE_REASONS = {
    "DK": (
        "Driften er udliciteret; vi har ingen egne serverrum.",
        "Afdelingen behandler ikke den slags oplysninger.",
        "Opgaven løses af et fælleskommunalt selskab.",
    ),
    "NO": (
        "Driften er satt ut; vi har ingen egne serverrom.",
        "Avdelingen behandler ikke slike opplysninger.",
        "Oppgaven løses av et interkommunalt selskap.",
    ),
}


def _rng(*key: object) -> random.Random:
    """A generator that gives the same sequence for the same key in every run and process."""
    return random.Random(":".join((SEED, *map(str, key))))


def campaign_dates(year: int) -> tuple[datetime.date, datetime.date]:
    """A campaign opens on the first Monday of November before its year, closes late February."""
    opens = datetime.date(year - 1, 11, 1)
    opens += datetime.timedelta(days=(0 - opens.weekday()) % 7)
    deadline = datetime.date(year, 3, 1) - datetime.timedelta(days=1)
    deadline -= datetime.timedelta(days=(deadline.weekday() - 4) % 7)
    return opens, deadline


def member_in(member: MemberSpec, year: int) -> bool:
    """Whether a network member belongs to the network during a campaign year."""
    opens, deadline = campaign_dates(year)
    return member.joined_on <= deadline and (member.left_on is None or member.left_on >= opens)


def participant_codes(
    networks: Sequence[NetworkSpec], network: NetworkSpec, year: int
) -> list[str]:
    """The organisations that take part in a network's campaign of a year (before absences)."""
    codes = [m.organisation_code for m in network.members if member_in(m, year)]
    if network.code != FORUM_NETWORK:
        return codes
    elsewhere = {
        m.organisation_code
        for n in networks
        if n.code in MEASURING_NETWORKS and n.code != FORUM_NETWORK
        for m in n.members
    }
    return [code for code in codes if code not in elsewhere]


@dataclass(frozen=True)
class Question:
    """What the generator needs to know about one question of the framework version."""

    id: int
    key: str
    area: str
    question_type: str
    per_unit: bool
    allows_not_applicable: bool = False
    options: tuple[str, ...] = ()
    number_max: float | None = None

    @cached_property
    def difficulty(self) -> float:
        """The area's offset plus the question's own, drawn once from its key."""
        area = AREA_DIFFICULTY.get(self.area, _rng("area", self.area).uniform(-0.4, 0.4))
        return area + _rng("question", self.key).gauss(0, 0.35)


@dataclass(frozen=True)
class Profile:
    """One organisation's latent maturity and habits, drawn once from its code."""

    code: str
    country: str
    base: float
    trend: float
    ahead: bool
    falls_back: bool
    missing_year: int | None
    #: Missing by not taking part at all (else: an assessment closed without submission).
    missing_absent: bool
    #: Departments answering per-unit questions, with each one's own offset.
    departments: tuple[tuple[str, float], ...]

    def maturity(self, year: int) -> float:
        """The latent maturity in a campaign year, with a little year-to-year wobble."""
        wobble = _rng("wobble", self.code, year).gauss(0, 0.08)
        return min(4.8, max(0.3, self.base + self.trend * (year - HISTORY_YEARS[0]) + wobble))


def profile(spec: OrganisationSpec, units: Sequence[UnitSpec]) -> Profile:
    """Draw an organisation's profile from its code, kind, size and region."""
    rng = _rng("profile", spec.code)
    first_region = spec.placements[0].region_code if spec.placements else ""
    ahead = spec.kind == OrganisationKind.MUNICIPALITY and first_region == AHEAD_REGION
    base = rng.gauss(1.7, 0.35) + SIZE_EFFECT.get(spec.size_class, 0.0) + (0.8 if ahead else 0.0)
    falls_back = not ahead and spec.code not in SHOWCASE and rng.random() < FALLING_BACK_SHARE
    if falls_back:
        trend = -rng.uniform(0.1, 0.3)
    else:
        trend = rng.uniform(0.2, 0.35) if ahead else rng.uniform(0.1, 0.3)
    missing = spec.code not in SHOWCASE and rng.random() < MISSING_SHARE
    missing_year = rng.choice(HISTORY_YEARS) if missing else None
    return Profile(
        code=spec.code,
        country=spec.country,
        base=min(3.6, max(0.5, base)),
        trend=trend,
        ahead=ahead,
        falls_back=falls_back,
        missing_year=missing_year,
        missing_absent=rng.random() < 0.5,
        departments=_answering_departments(units, rng),
    )


def _answering_departments(
    units: Sequence[UnitSpec], rng: random.Random
) -> tuple[tuple[str, float], ...]:
    """The first department (IT, by the catalogue's order) and one to three others."""
    departments = [u.code for u in units if u.parent_code is None]
    if not departments:
        return ()
    low, high = UNIT_DEPARTMENTS
    count = min(len(departments), rng.randint(low, high))
    chosen = [departments[0], *rng.sample(departments[1:], count - 1)]
    chosen.sort(key=lambda code: int(code.lstrip("D")) if code.lstrip("D").isdigit() else 0)
    # IT answers a little better than the rest; the others spread widely around the mean.
    return tuple((code, rng.gauss(0.4 if n == 0 else 0.0, 0.6)) for n, code in enumerate(chosen))


@dataclass(frozen=True)
class PlannedAnswer:
    """One answer as the generator plans it; `unit` is a department code for per-unit ones."""

    question_id: int
    unit: str | None
    value: Any
    not_applicable: bool = False
    not_applicable_reason: str = ""
    dont_know: bool = False
    unsure: bool = False
    comment: str = ""


def _value(question: Question, level: float, rng: random.Random) -> Any:
    """The answer to one question at a (noisy) maturity level."""
    level = min(5.0, max(0.0, level))
    if question.question_type == QuestionType.YES_PARTLY_NO:
        return "yes" if level >= 3.3 else "partly" if level >= 1.6 else "no"
    if question.question_type == QuestionType.NUMBER:
        # Days until something happens: mature organisations are quick.
        days = 60 * 0.55**level * rng.lognormvariate(0, 0.4)
        return min(int(question.number_max or 365), round(days))
    if question.question_type == QuestionType.SINGLE_CHOICE and question.options:
        # Options run from the best to the worst situation.
        index = round((5 - level) / 5 * (len(question.options) - 1))
        return question.options[index]
    return round(level)


def _answer(
    profile: Profile,
    question: Question,
    unit: str | None,
    level: float,
    rng: random.Random,
) -> PlannedAnswer:
    """One answer at a latent level (the organisation's, shifted by the department's offset)."""
    country = profile.country if profile.country in COMMENTS else "DK"
    comment = rng.choice(COMMENTS[country]) if rng.random() < 0.08 else ""
    if question.allows_not_applicable and rng.random() < 0.2:
        reason = rng.choice(NOT_APPLICABLE_REASONS[country])
        return PlannedAnswer(question.id, unit, None, True, reason, comment=comment)
    if rng.random() < 0.03:
        return PlannedAnswer(question.id, unit, None, dont_know=True, comment=comment)
    value = _value(question, level + question.difficulty + rng.gauss(0, 0.55), rng)
    return PlannedAnswer(question.id, unit, value, unsure=rng.random() < 0.05, comment=comment)


def planned_answers(
    profile: Profile, questions: Sequence[Question], year: int
) -> list[PlannedAnswer]:
    """Every answer of a complete assessment: each organisation-level question once, and each
    per-unit question once per answering department."""
    rng = _rng("answers", profile.code, year)
    level = profile.maturity(year)
    answers: list[PlannedAnswer] = []
    for question in questions:
        if not question.per_unit:
            answers.append(_answer(profile, question, None, level, rng))
            continue
        for unit, offset in profile.departments:
            answers.append(_answer(profile, question, unit, level + offset, rng))
    return answers


def partial_answers(
    profile: Profile, questions: Sequence[Question], year: int
) -> list[PlannedAnswer]:
    """What an assessment closed without submission holds: the first few areas only."""
    areas = list(dict.fromkeys(q.area for q in questions))
    kept = set(areas[: _rng("partial", profile.code, year).randint(1, 3)])
    return planned_answers(profile, [q for q in questions if q.area in kept], year)


class OpenState(enum.StrEnum):
    """Where an organisation's assessment of the open campaign has got to."""

    UNTOUCHED = "untouched"
    DELEGATED = "delegated"
    HALF_ANSWERED = "half_answered"
    SUBMITTED = "submitted"


#: Share of each state in the open campaign, in the order they are handed out.
OPEN_SHARES = (
    (OpenState.UNTOUCHED, 0.25),
    (OpenState.DELEGATED, 0.25),
    (OpenState.HALF_ANSWERED, 0.3),
    (OpenState.SUBMITTED, 0.2),
)
#: The demo logins land here: København's coordinator and its IT respondent have work to do.
FORCED_STATES = {"101": OpenState.HALF_ANSWERED, "147": OpenState.DELEGATED}


def open_states(network_code: str, codes: Sequence[str]) -> dict[str, OpenState]:
    """Hand out the open campaign's states by share, so even five organisations get all four."""
    shuffled = sorted(codes)
    _rng("open-states", network_code).shuffle(shuffled)
    states: dict[str, OpenState] = {}
    position = 0.0
    for state, share in OPEN_SHARES:
        end = position + share * len(shuffled)
        for code in shuffled[round(position) : round(end)]:
            states[code] = state
        position = end
    for code in shuffled[round(position) :]:
        states[code] = OPEN_SHARES[-1][0]
    states.update({c: s for c, s in FORCED_STATES.items() if c in states})
    return states


@dataclass
class OpenPlan:
    """An organisation's assessment of the open campaign."""

    state: OpenState
    #: (area key, department code): the area is sent to the department.
    area_delegations: list[tuple[str, str]]
    #: (question key, department code): the question is sent to that department's respondent.
    question_delegations: list[tuple[str, str]]
    #: Confirmed answers; per-unit ones are given by the department's respondent.
    answers: list[PlannedAnswer]
    #: Areas whose organisation-level answers are copied forward from last year as drafts.
    copied_areas: set[str]


def open_plan(profile: Profile, questions: Sequence[Question], state: OpenState) -> OpenPlan:
    """Delegations, answers and copied drafts of the open campaign's assessment."""
    plan = OpenPlan(state, [], [], [], set())
    if state == OpenState.UNTOUCHED or not profile.departments:
        return plan
    rng = _rng("open", profile.code)
    per_unit = [q for q in questions if q.per_unit]
    # The areas with the most per-unit questions first; ties in framework order.
    areas = list(dict.fromkeys(q.area for q in per_unit))
    unit_areas = sorted(areas, key=lambda a: -sum(q.area == a for q in per_unit))
    delegated = unit_areas[: rng.randint(2, 4)]
    departments = [code for code, _offset in profile.departments]
    plan.area_delegations = [(area, unit) for area in delegated for unit in departments]
    own = [q for q in questions if not q.per_unit and q.area not in delegated]
    plan.question_delegations = [
        (q.key, rng.choice(departments)) for q in rng.sample(own, rng.randint(1, 3))
    ]
    if state == OpenState.SUBMITTED:
        plan.answers = planned_answers(profile, questions, OPEN_YEAR)
    elif state == OpenState.HALF_ANSWERED:
        plan.answers, plan.copied_areas = _half(profile, questions, delegated, plan, rng)
    return plan


def _half(
    profile: Profile,
    questions: Sequence[Question],
    delegated: list[str],
    plan: OpenPlan,
    rng: random.Random,
) -> tuple[list[PlannedAnswer], set[str]]:
    """The coordinator has done half the own areas and copied two more forward; departments
    have answered about half of what was sent to them; sent single questions wait."""
    sent = {key for key, _unit in plan.question_delegations}
    own_areas = list(dict.fromkeys(q.area for q in questions if q.area not in delegated))
    done = set(own_areas[: len(own_areas) // 2])
    copied = set(own_areas[len(own_areas) // 2 :][:2])
    by_id = {q.id: q for q in questions}

    def given(answer: PlannedAnswer) -> bool:
        question = by_id[answer.question_id]
        if question.key in sent:
            return False
        if question.per_unit:
            return question.area in delegated and rng.random() < 0.5
        return question.area in done

    return [a for a in planned_answers(profile, questions, OPEN_YEAR) if given(a)], copied
