"""Request and response schemas of the baseline API (campaigns, assessments, answers)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, Strict

from samvirke.accounts.models import User
from samvirke.api.schemas import MAX_ID, ErrorDetail, ObjectId, Text
from samvirke.baseline.models import Answer, Assessment, Campaign, Delegation
from samvirke.baseline.validation import MAX_TEXT
from samvirke.tenancy.models import OrgUnit

Texts = dict[str, str]
StrictBool = Annotated[bool, Strict()]
StrictInt = Annotated[int, Strict()]


def person_ref(user: User | None) -> dict[str, Any] | None:
    """A short reference to a person, by name."""
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def unit_ref(unit: OrgUnit | None) -> dict[str, Any] | None:
    """A short reference to an org unit."""
    return None if unit is None else {"id": unit.pk, "name": unit.name}


# --- references ------------------------------------------------------------------------------


class Ref(Schema):
    """A short reference to an org unit or a person of the organisation."""

    id: int
    name: str


class NetworkRef(Schema):
    """A short reference to a network."""

    id: int
    code: str
    name: str


# --- campaigns -------------------------------------------------------------------------------


class CampaignOut(Schema):
    """A network's measurement for one year."""

    id: int
    network: NetworkRef
    framework: str = Field(description="Key of the framework the campaign asks")
    version: str = Field(description="The framework version the campaign asks")
    title: str
    year: int
    opens_on: datetime.date
    deadline: datetime.date
    state: str = Field(description="draft, open, closed, released or archived")
    reminder_days: list[int] = Field(description="Reminders, in days before the deadline")


class ParticipantOut(Schema):
    """A participating organisation and where its assessment is; never its answers."""

    code: str
    name: str
    state: str | None = Field(
        description="not_started, in_progress, submitted or closed_unsubmitted; "
        "null until the campaign opens"
    )
    submitted_at: datetime.datetime | None


class CampaignDetailOut(CampaignOut):
    """A campaign with its participants' progress."""

    participation: list[ParticipantOut]


class CampaignIn(Schema):
    """A new draft campaign for a network the organisation stewards."""

    model_config = ConfigDict(extra="forbid")

    network: ObjectId = Field(description="Id of a network the organisation stewards")
    framework_version: ObjectId = Field(description="Id of a framework version of the library")
    title: Text = Field(min_length=1, max_length=200)
    year: StrictInt = Field(ge=2000, le=2100)
    opens_on: datetime.date
    deadline: datetime.date
    reminder_days: list[Annotated[StrictInt, Field(ge=0, le=365)]] = Field(
        [14, 7, 1], max_length=20, description="Days before the deadline to remind respondents"
    )


class DeadlineIn(Schema):
    """A later deadline."""

    model_config = ConfigDict(extra="forbid")

    deadline: datetime.date


# --- assessments -----------------------------------------------------------------------------


class CampaignRef(Schema):
    """The campaign an assessment answers."""

    id: int
    title: str
    year: int
    state: str
    deadline: datetime.date
    network: NetworkRef
    framework: str
    version: str

    @staticmethod
    def resolve_framework(campaign: Campaign) -> str:
        return campaign.framework_version.framework.key

    @staticmethod
    def resolve_version(campaign: Campaign) -> str:
        return campaign.framework_version.version


class AssessmentOut(Schema):
    """The organisation's assessment in one campaign."""

    id: int
    campaign: CampaignRef
    state: str = Field(description="not_started, in_progress, submitted or closed_unsubmitted")
    locked: bool = Field(description="Answers can no longer change (submitted or closed)")
    submitted_at: datetime.datetime | None
    submitted_by: Ref | None
    reopen_count: int

    @staticmethod
    def resolve_locked(assessment: Assessment) -> bool:
        return assessment.is_locked

    @staticmethod
    def resolve_submitted_by(assessment: Assessment) -> dict[str, Any] | None:
        return person_ref(assessment.submitted_by)


class ReopenIn(Schema):
    """Why a submitted assessment is reopened."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000)


class TallyOut(Schema):
    """How many questions have their answer."""

    total: int
    answered: int
    percent: int = Field(description="Answered share in whole percent, rounded down")


class AreaTallyOut(TallyOut):
    """Progress of one area."""

    id: int
    key: str
    title: Texts


class DelegateTallyOut(TallyOut):
    """Progress of the questions delegated to one org unit or person."""

    id: int
    name: str


class ProgressOut(Schema):
    """Where an assessment stands: in total, per area, per org unit and per named person."""

    total: TallyOut
    to_review: int = Field(description="Answered questions the coordinator has not reviewed")
    areas: list[AreaTallyOut]
    units: list[DelegateTallyOut]
    people: list[DelegateTallyOut]


# --- questions, delegations and answers ------------------------------------------------------


class DelegationOut(Schema):
    """An area or question sent to an org unit and/or a named person."""

    id: int
    node: int = Field(description="Id of the area, group or question delegated")
    org_unit: Ref | None
    user: Ref | None

    @staticmethod
    def resolve_node(delegation: Delegation) -> int:
        return delegation.node_id

    @staticmethod
    def resolve_org_unit(delegation: Delegation) -> dict[str, Any] | None:
        return unit_ref(delegation.org_unit)

    @staticmethod
    def resolve_user(delegation: Delegation) -> dict[str, Any] | None:
        return person_ref(delegation.user)


class DelegationIn(Schema):
    """Send an area, group or question of the assessment to an org unit, a person, or both."""

    model_config = ConfigDict(extra="forbid")

    node: ObjectId = Field(description="Id of an area, group or question of the assessment")
    org_unit: ObjectId | None = Field(None, description="Id of an org unit of the organisation")
    user: ObjectId | None = Field(None, description="Id of a person in the organisation")


class AnswerOut(Schema):
    """One saved answer: the organisation's, or one org unit's for per-unit questions."""

    id: int
    question: int
    org_unit: Ref | None
    value: Any = Field(
        description="maturity: a whole level; yes_partly_no: yes, partly or no; number; "
        "single_choice: an option id; multiple_choice: a list of option ids; text"
    )
    not_applicable: bool
    not_applicable_reason: str
    dont_know: bool
    unsure: bool
    comment: str
    version: int = Field(description="Send this version back to change the answer")
    draft: bool = Field(description="Copied from last year and not yet confirmed")
    updated_at: datetime.datetime
    updated_by: Ref | None
    via: str = Field(description="page, import, api or copy")
    reviewed: bool
    reviewed_at: datetime.datetime | None

    @staticmethod
    def resolve_question(answer: Answer) -> int:
        return answer.question_id

    @staticmethod
    def resolve_org_unit(answer: Answer) -> dict[str, Any] | None:
        return unit_ref(answer.org_unit)

    @staticmethod
    def resolve_updated_by(answer: Answer) -> dict[str, Any] | None:
        return person_ref(answer.updated_by)

    @staticmethod
    def resolve_reviewed(answer: Answer) -> bool:
        return answer.reviewed_at is not None


class AnswerIn(Schema):
    """An answer to save, based on the version the client last read (0 for a new answer)."""

    model_config = ConfigDict(extra="forbid")

    org_unit: ObjectId | None = Field(
        None, description="The org unit answering; required for per-unit questions only"
    )
    value: Any = Field(None, description="As AnswerOut.value; null for no value")
    not_applicable: StrictBool = False
    not_applicable_reason: Text = Field("", max_length=MAX_TEXT)
    dont_know: StrictBool = False
    unsure: StrictBool = False
    comment: Text = Field("", max_length=MAX_TEXT)
    version: StrictInt = Field(
        ge=0, le=MAX_ID, description="The version this change is based on; 0 for a new answer"
    )


class SubmittedAnswer(Schema):
    """What the refused request would have saved."""

    value: Any
    not_applicable: bool
    not_applicable_reason: str
    dont_know: bool
    unsure: bool
    comment: str
    version: int


class StaleDetail(ErrorDetail):
    """A conflict; for a stale save, the stored answer and the refused one side by side."""

    stored: AnswerOut | None = Field(
        None, description="The answer as stored now (stale saves only)"
    )
    submitted: SubmittedAnswer | None = Field(
        None, description="The answer that was refused (stale saves only)"
    )


class StaleOut(Schema):
    """The common error shape, with both answers when a save was stale."""

    error: StaleDetail


class OptionOut(Schema):
    """One option of a choice question."""

    id: str
    title: Texts


class ScaleOut(Schema):
    """The levels of a maturity question."""

    min: int
    max: int
    levels: dict[str, Any] = Field(description="Level → its text in each language")


class QuestionOut(Schema):
    """A question of the assessment with its delegations and answers."""

    id: int
    key: str
    area: str = Field(description="Key of the area the question belongs to")
    title: Texts
    help: Texts
    type: str = Field(
        description="maturity, yes_partly_no, number, single_choice, multiple_choice or text"
    )
    level: str = Field(description="organisation: one answer; unit: one answer per org unit")
    allows_not_applicable: bool
    scale: ScaleOut | None = Field(description="Maturity questions only")
    options: list[OptionOut] = Field(description="Choice questions only")
    min: float | None = Field(description="Number questions: the lowest value allowed")
    max: float | None = Field(description="Number questions: the highest value allowed")
    unit: Texts = Field(description="Number questions: what is counted")
    delegations: list[DelegationOut]
    answers: list[AnswerOut]


class QuestionPageOut(Schema):
    """A page of an assessment's questions in document order."""

    count: int
    items: list[QuestionOut]


class RevisionOut(Schema):
    """One saved version of an answer."""

    version: int
    by: Ref | None
    at: datetime.datetime
    via: str = Field(description="page, import, api or copy")
    data: dict[str, Any] = Field(description="What the answer said at this version")

    @staticmethod
    def resolve_by(revision: Any) -> dict[str, Any] | None:
        return person_ref(revision.by)
