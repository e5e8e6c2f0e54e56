"""Scoring every counted organisation of a campaign at once, by the rules of docs/scoring.md.

Two ways, the same rules as `baseline.scoring` (which the pages use for one organisation); tests
hold all three equal:

- `score_assessments` scores answer tuples in memory with lookup tables per question (one
  organisation's own results, a handful of assessments);
- `campaign_scores` lets the database do it for whole campaigns. An assessment's answers are
  stamped with their question score, area and weight when it is submitted (`stamp`: the
  version's score table, one row per question and scored answer value, joined to its answers
  by an UPDATE; a per-unit question's weight shared equally among its scored units). The
  release sums the stamped answers per assessment and area in one GROUP BY query, without
  joining the questions, so a release over 1,000 organisations reads ~50,000 sums instead of
  300,000 answers. Answers not stamped by the current rules and version are stamped first.
  `campaign_categories` reads the answer categories of the questions whose distributions are
  published, as raw rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max
from django_scopes import scopes_disabled

from samvirke.baseline.models import Answer, Assessment, AssessmentState
from samvirke.baseline.scoring import SCORING_VERSION, is_scored, value_score, weighted_mean
from samvirke.baseline.validation import maturity_range
from samvirke.frameworks.models import AnswerLevel, FrameworkVersion, Node, NodeKind, QuestionType

#: Answer categories besides the question's own options.
NOT_APPLICABLE, DONT_KNOW = "not_applicable", "dont_know"

#: (assessment id, question id, org unit id, value, not applicable, don't know) per answer.
AnswerRow = tuple[int, int, int | None, Any, bool, bool]


@dataclass
class Structure:
    """A framework version's areas and questions, with lookup tables for fast scoring."""

    areas: list[Node]
    area_of: dict[int, int]  # question id → area id
    questions: dict[int, Node]
    scored: set[int] = field(default_factory=set)
    _options: dict[int, list[str]] = field(default_factory=dict, repr=False, compare=False)
    #: (question id, repr(value)) → score, filled as answers are scored.
    value_scores: dict[tuple[int, str], float | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: The framework version read, and what answers stamped by this structure record
    #: (`Assessment.scored_with`): the scoring rules' version, the stamp's format, the key this
    #: process keeps the structure by and the version's checksum. Empty for a structure not read
    #: from the database, which stamps nothing.
    version: int | None = field(default=None, compare=False)
    stamp: str = field(default="", compare=False)

    @classmethod
    def of(cls, version_id: int) -> Structure:
        """Read a version's nodes in one query."""
        return cls.of_many([version_id])[version_id]

    @classmethod
    def of_many(cls, version_ids: Iterable[int]) -> dict[int, Structure]:
        """Several versions' structures: one query for the versions, and one for the nodes of
        those not yet read by this process.

        A loaded version's nodes do not change, so structures are kept per process, keyed by
        the version, its load time (ids may be reused after a deletion) and its node count and
        highest node id (nodes added or removed in place make a new key). Structures are only
        read after they are built; their memo tables fill the same values in any order.
        """
        wanted = sorted(set(version_ids))
        versions = {
            v.pk: v
            for v in FrameworkVersion.objects.filter(pk__in=wanted).annotate(
                node_count=Count("nodes"), last_node=Max("nodes__id")
            )
        }
        keys = {pk: (pk, v.loaded_at, v.node_count, v.last_node) for pk, v in versions.items()}
        found = {pk: _STRUCTURES[keys[pk]] for pk in keys if keys[pk] in _STRUCTURES}
        missing = [pk for pk in wanted if pk in versions and pk not in found]
        if missing:
            nodes: dict[int, list[Node]] = defaultdict(list)
            for node in (
                Node.objects.filter(
                    version__in=missing,
                    kind__in=[NodeKind.AREA, NodeKind.GROUP, NodeKind.QUESTION],
                )
                .defer("help", "description", "recommendations", "roles", "number_unit")
                .order_by("version", "position")
            ):
                # One version object shared by its nodes (not one decoded per node row).
                node.version = versions[node.version_id]
                nodes[node.version_id].append(node)
            if len(_STRUCTURES) + len(missing) > MAX_KEPT_STRUCTURES:
                _STRUCTURES.clear()
            for pk in missing:
                structure = cls.from_nodes(nodes.get(pk, []))
                loaded, count, last = keys[pk][1:]
                structure.version = pk
                structure.stamp = (
                    f"{SCORING_VERSION}/{STAMP_FORMAT}:{pk}:{loaded.isoformat()}:{count}:{last}:"
                    f"{versions[pk].checksum}"
                )
                found[pk] = _STRUCTURES[keys[pk]] = structure
        return {pk: found[pk] if pk in found else cls.from_nodes([]) for pk in wanted}

    @classmethod
    def from_nodes(cls, nodes: list[Node]) -> Structure:
        """The structure of one version's nodes, already read in document order."""
        parent = {n.pk: n.parent_id for n in nodes}
        kinds = {n.pk: n.kind for n in nodes}
        area_of: dict[int, int] = {}
        for node in nodes:
            if node.kind != NodeKind.QUESTION:
                continue
            current: int | None = node.pk
            while current is not None and kinds.get(current) != NodeKind.AREA:
                current = parent.get(current)
            if current is not None:
                area_of[node.pk] = current
        questions = {n.pk: n for n in nodes if n.kind == NodeKind.QUESTION and n.pk in area_of}
        return cls(
            areas=[n for n in nodes if n.kind == NodeKind.AREA],
            area_of=area_of,
            questions=questions,
            scored={q for q, node in questions.items() if is_scored(node)},
        )

    def options(self, question: Node) -> list[str]:
        """The answer categories of a question's distribution (empty: no distribution)."""
        if question.pk not in self._options:
            self._options[question.pk] = self._options_of(question)
        return self._options[question.pk]

    def _options_of(self, question: Node) -> list[str]:
        if question.answer_level == AnswerLevel.UNIT or question.pk not in self.scored:
            return []
        if question.question_type == QuestionType.MATURITY:
            levels = sorted(int(k) for k in question.level_texts() if str(k).isdigit())
            scale = question.version.scale or {}
            low, high = int(scale.get("min", 0)), int(scale.get("max", 5))
            chosen = [str(level) for level in range(low, high + 1)] or [str(v) for v in levels]
        elif question.question_type == QuestionType.YES_PARTLY_NO:
            chosen = ["yes", "partly", "no"]
        else:
            chosen = [str(option["id"]) for option in question.options]
        extra = [NOT_APPLICABLE] if question.allows_not_applicable else []
        return [*chosen, *extra, DONT_KNOW]

    def score_table(self) -> list[ScoreRow]:
        """One row per scored question and valid answer value, plus one for "don't know".

        The value is keyed by its stored JSON text (as the database returns it as text), so the
        database can join answers to their scores; values that validation refuses have no row
        and so no score, as in `value_score`.
        """
        rows: list[ScoreRow] = []
        for question_id in sorted(self.scored):
            question = self.questions[question_id]
            per_unit = int(question.answer_level == AnswerLevel.UNIT)
            area, weight = self.area_of[question_id], float(question.weight)
            for value in _valid_values(question):
                score = value_score(question, value)
                if score is not None:
                    rows.append((question_id, _json_text(value), score, area, weight, per_unit))
            rows.append((question_id, DONT_KNOW_KEY, 0.0, area, weight, per_unit))
        return rows


#: The format of the answers' score stamps (`stamp`): a new one when what is stamped changes.
STAMP_FORMAT = "s1"
#: Structures kept per process (see `Structure.of_many`); a few framework versions are in use.
MAX_KEPT_STRUCTURES = 32
_STRUCTURES: dict[tuple[Any, ...], Structure] = {}

#: (question id, stored JSON text of a value, score, area id, question weight, per unit 0/1).
ScoreRow = tuple[int, str, float, int, float, int]
#: The score-table key of a "don't know" answer (no JSON text looks like it).
DONT_KNOW_KEY = "!dont-know"


def _valid_values(question: Node) -> list[Any]:
    """Every value validation accepts for a scored question (baseline.validation)."""
    if question.question_type == QuestionType.MATURITY:
        low, high = maturity_range(question)
        return list(range(low, high + 1))
    if question.question_type == QuestionType.YES_PARTLY_NO:
        return ["yes", "partly", "no"]
    return [str(option["id"]) for option in question.options or []]


def _json_text(value: Any) -> str:
    """A value's JSON as the database gives it back as text (SQLite: Django's json.dumps;
    PostgreSQL: jsonb's own output, which keeps non-ASCII characters)."""
    return json.dumps(value, ensure_ascii=connection.vendor == "sqlite")


@dataclass
class OrganisationScores:
    """One organisation's total and area scores, and its answer category per question."""

    total: float | None
    areas: dict[int, float]
    categories: dict[int, str]


def _category(value: Any, not_applicable: bool, dont_know: bool) -> str | None:
    if not_applicable:
        return NOT_APPLICABLE
    if dont_know:
        return DONT_KNOW
    return None if value is None else str(value)


def score_assessments(
    structure: Structure, rows: Iterable[AnswerRow]
) -> dict[int, OrganisationScores]:
    """Scores per assessment id from answer tuples (drafts must already be left out)."""
    question_scores: dict[tuple[int, int], float | None] = {}
    unit_scores: dict[tuple[int, int], list[float]] = defaultdict(list)
    unit_na: dict[tuple[int, int], bool] = {}
    categories: dict[int, dict[int, str]] = defaultdict(dict)
    cache = structure.value_scores  # kept with the structure: a page scores several years
    questions = structure.questions
    for assessment, question_id, unit, value, not_applicable, dont_know in rows:
        question = questions.get(question_id)
        if question is None:
            continue
        answered = value is not None or not_applicable or dont_know
        if not answered:
            continue
        key = (assessment, question_id)
        scored = question_id in structure.scored
        if unit is None and question.answer_level != AnswerLevel.UNIT:
            category = _category(value, not_applicable, dont_know)
            if category is not None:
                categories[assessment][question_id] = category
        if not scored:
            continue
        if not_applicable:
            score = None
        elif dont_know:
            score = 0.0
        else:
            cache_key = (question_id, repr(value))
            if cache_key not in cache:
                cache[cache_key] = value_score(question, value)
            score = cache[cache_key]
        if question.answer_level == AnswerLevel.UNIT:
            if unit is None:
                continue
            if score is None:
                unit_na.setdefault(key, True)
            else:
                unit_scores[key].append(score)
                unit_na[key] = False
        elif unit is None:
            question_scores[key] = score
    for key, scores in unit_scores.items():
        question_scores[key] = sum(scores) / len(scores)
    for key, all_na in unit_na.items():
        if all_na:
            question_scores.setdefault(key, None)
    by_area: dict[int, dict[int, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (assessment, question_id), score in question_scores.items():
        if score is not None:
            area = structure.area_of[question_id]
            by_area[assessment][area].append((score, questions[question_id].weight))
    weights = {area.pk: area.weight for area in structure.areas}
    result: dict[int, OrganisationScores] = {}
    for assessment in set(by_area) | set(categories):
        areas = {
            area: mean
            for area, pairs in by_area.get(assessment, {}).items()
            if (mean := weighted_mean(pairs)) is not None
        }
        total = weighted_mean((score, weights[area]) for area, score in areas.items())
        result[assessment] = OrganisationScores(total, areas, categories.get(assessment, {}))
    return result


# --- scoring in the database -----------------------------------------------------------------


def _score_table_sql(rows: int) -> str:
    """The score table as a VALUES list cast to typed columns (q, k, s, area, w, u).

    SQLite materialises it once (so it indexes it by question and key: the casts give the
    columns an affinity); PostgreSQL inlines it, so its planner sees the list's size and hashes
    it.
    """
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * rows)
    materialized = "MATERIALIZED " if connection.vendor == "sqlite" else ""
    return (
        "WITH lk (q, k, s, area, w, u) AS "  # noqa: S608
        + materialized
        + "(SELECT CAST(column1 AS INTEGER), CAST(column2 AS TEXT), "
        "CAST(column3 AS DOUBLE PRECISION), CAST(column4 AS INTEGER), "
        "CAST(column5 AS DOUBLE PRECISION), CAST(column6 AS INTEGER) FROM (VALUES "
        + values
        + ") AS v) "
    )


def _stamp_statements(
    structure: Structure, table: list[ScoreRow], ids: list[int]
) -> list[tuple[str, list[Any]]]:
    """The statements of `stamp` for some assessments, with their parameters, in order: stamp
    the answers from the score table (a stamp not in the table is cleared), share each per-unit
    question's weight among its scored units, and record the rules on the assessments.

    PostgreSQL clears, then joins the answers to the score table in an UPDATE ... FROM (it
    hashes the table). SQLite looks each answer up in the score table instead, in one UPDATE
    driven by the answers' assessment index: its planner would loop over the table in an
    UPDATE ... FROM and search every assessment's answers by question for each row (seconds
    for one assessment). Identifiers from the models, every value a parameter.
    """
    quote = connection.ops.quote_name
    answer, assessment = quote(Answer._meta.db_table), quote(Assessment._meta.db_table)
    where = "(" + ", ".join(["%s"] * len(ids)) + ")"
    values: list[Any] = [x for row in table for x in row]
    # Only confirmed answers at their question's level score (an organisation-level answer to a
    # per-unit question does not), as in `score_assessments`.
    match = (
        "l.q = a.question_id AND l.u = CASE WHEN a.org_unit_id IS NULL THEN 0 ELSE 1 END "
        "AND l.k = CASE WHEN a.dont_know THEN %s ELSE {text} END "
        "AND a.draft = %s AND a.not_applicable = %s"
    )
    matched = [DONT_KNOW_KEY, False, False]
    statements: list[tuple[str, list[Any]]] = []
    if connection.vendor == "sqlite" and table:
        fill = (
            _score_table_sql(len(table))  # noqa: S608
            + "UPDATE "
            + answer
            + " AS a SET (score, score_area_id, score_weight) = (SELECT l.s, l.area, l.w "
            "FROM lk l WHERE " + match.format(text="a.value") + ") "
            "WHERE a.assessment_id IN " + where
        )
        statements.append((fill, [*values, *matched, *ids]))
    else:
        clear = (
            "UPDATE "  # noqa: S608
            + answer
            + " SET score = NULL, score_area_id = NULL, score_weight = NULL "
            "WHERE assessment_id IN " + where + " AND score IS NOT NULL"
        )
        statements.append((clear, list(ids)))
        if table:  # PostgreSQL
            fill = (
                _score_table_sql(len(table))  # noqa: S608
                + "UPDATE "
                + answer
                + " AS a SET score = l.s, score_area_id = l.area, score_weight = l.w FROM lk l "
                "WHERE a.assessment_id IN " + where + " AND " + match.format(text="a.value::text")
            )
            statements.append((fill, [*values, *ids, *matched]))
    # A per-unit question scores the mean of its units: each stamped unit answer carries an
    # equal share of the question's weight, so one weighted sum covers both levels.
    share = (
        "UPDATE "  # noqa: S608
        + answer
        + " SET score_weight = score_weight / (SELECT COUNT(*) FROM "
        + answer
        + " b WHERE b.assessment_id = "
        + answer
        + ".assessment_id AND b.question_id = "
        + answer
        + ".question_id AND b.org_unit_id IS NOT NULL AND b.score IS NOT NULL) "
        "WHERE assessment_id IN " + where + " AND org_unit_id IS NOT NULL AND score IS NOT NULL"
    )
    record = (
        "UPDATE "  # noqa: S608
        + assessment
        + " SET scored_with = %s WHERE id IN "
        + where
        + " AND state = %s"
    )
    statements.append((share, list(ids)))
    statements.append((record, [structure.stamp, *ids, str(AssessmentState.SUBMITTED)]))
    return statements


#: Assessments stamped per statement (a submission stamps one; a release its stale ones).
STAMP_BATCH = 400


def stamp(structure: Structure, assessment_ids: Sequence[int]) -> None:
    """Stamp every answer of the assessments with its question score, area and weight.

    Submission does it for one assessment (`stamp_on_submit`), `campaign_scores` for every
    submitted assessment not stamped by these rules and this framework version (answers loaded
    in bulk, or stamped by older rules). Not applicable answers, drafts, unscored questions and
    values validation refuses stay unstamped, so they score nothing, as in `value_score`.
    """
    if not structure.stamp:
        raise ValueError("Stamp with a structure read from the database (Structure.of).")
    table = structure.score_table()
    ids = list(assessment_ids)
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), STAMP_BATCH):
            for statement, params in _stamp_statements(
                structure, table, ids[start : start + STAMP_BATCH]
            ):
                cursor.execute(statement, params)  # arch: sql-ok (identifiers from the models)


def stamp_on_submit(sender: type[Assessment], assessment: Assessment, **kwargs: Any) -> None:
    """Stamp a just-submitted assessment's answers (receiver of `assessment_submitted`)."""
    structure = Structure.of(assessment.campaign.framework_version_id)
    stamp(structure, [assessment.pk])
    assessment.scored_with = structure.stamp


def _sum_sql(campaigns: int) -> str:
    """The GROUP BY over stamped answers; identifiers from the models, every value a parameter.

    SQLite's join is written CROSS JOIN, which fixes the order assessments → their answers (by
    the answers' assessment index).
    """
    quote = connection.ops.quote_name
    answer, assessment = quote(Answer._meta.db_table), quote(Assessment._meta.db_table)
    join = " CROSS JOIN " if connection.vendor == "sqlite" else " JOIN "
    return (
        "SELECT a.assessment_id, a.score_area_id, SUM(a.score_weight * a.score), "  # noqa: S608
        "SUM(a.score_weight) FROM "
        + assessment
        + " s"
        + join
        + answer
        + " a ON a.assessment_id = s.id WHERE s.campaign_id IN ("
        + ", ".join(["%s"] * campaigns)
        + ") AND s.state = %s AND s.scored_with = %s AND a.draft = %s AND a.not_applicable = %s "
        "AND a.score IS NOT NULL GROUP BY a.assessment_id, a.score_area_id"
    )


def campaign_scores(
    structure: Structure, campaign_ids: Sequence[int]
) -> dict[int, OrganisationScores]:
    """Total and area scores of every submitted assessment of the campaigns, by assessment id.

    First stamps the answers of any submitted assessment not yet stamped by these rules and
    this version (`stamp`), then sums the stamped scores per assessment and area in one GROUP
    BY statement. Categories are left empty (see `campaign_categories`). Reads across
    organisations: only the release (and the national-scale harness) call it.
    """
    if not campaign_ids:
        return {}
    with scopes_disabled():
        stale = list(
            Assessment.objects.filter(
                campaign__in=campaign_ids,
                campaign__framework_version=structure.version,
                state=AssessmentState.SUBMITTED,
            )
            .exclude(scored_with=structure.stamp)
            .values_list("pk", flat=True)
        )
    if stale:
        stamp(structure, stale)
    sums: dict[int, dict[int, float]] = defaultdict(dict)
    params: list[Any] = [*campaign_ids, str(AssessmentState.SUBMITTED), structure.stamp]
    params += [False, False]
    with connection.cursor() as cursor:
        cursor.execute(_sum_sql(len(campaign_ids)), params)  # arch: sql-ok (from the models)
        for assessment, area, weighted, weights in cursor.fetchall():
            if weights:
                sums[assessment][area] = weighted / weights
    area_weights = {area.pk: area.weight for area in structure.areas}
    result: dict[int, OrganisationScores] = {}
    for assessment, areas in sums.items():
        total = weighted_mean((score, area_weights[area]) for area, score in areas.items())
        result[assessment] = OrganisationScores(total, areas, {})
    return result


def campaign_categories(
    structure: Structure, campaign_ids: Sequence[int]
) -> dict[int, dict[int, str]]:
    """Each submitted assessment's answer category per question with a published distribution."""
    wanted = [q for q, node in structure.questions.items() if structure.options(node)]
    if not wanted or not campaign_ids:
        return {}
    quote = connection.ops.quote_name
    answer, assessment = quote(Answer._meta.db_table), quote(Assessment._meta.db_table)
    text = "a.value" if connection.vendor == "sqlite" else "a.value::text"
    statement = (
        "SELECT a.assessment_id, a.question_id, " + text + ", a.not_applicable, a.dont_know "
        "FROM " + assessment + " s JOIN " + answer + " a ON a.assessment_id = s.id "
        "WHERE s.campaign_id IN (" + ", ".join(["%s"] * len(campaign_ids)) + ") "
        "AND s.state = %s AND a.draft = %s AND a.org_unit_id IS NULL "
        "AND a.question_id IN (" + ", ".join(["%s"] * len(wanted)) + ")"
    )
    params: list[Any] = [*campaign_ids, str(AssessmentState.SUBMITTED), False, *wanted]
    decoded: dict[str, str | None] = {}
    found: dict[int, dict[int, str]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)  # arch: sql-ok (identifiers from the models)
        for assessment_id, question, raw, not_applicable, dont_know in cursor.fetchall():
            if not_applicable:
                found[assessment_id][question] = NOT_APPLICABLE
            elif dont_know:
                found[assessment_id][question] = DONT_KNOW
            elif raw is not None:
                if raw not in decoded:
                    value = json.loads(raw)
                    decoded[raw] = None if value is None else str(value)
                if (category := decoded[raw]) is not None:
                    found[assessment_id][question] = category
    return found
