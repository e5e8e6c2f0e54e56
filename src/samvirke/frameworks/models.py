"""Frameworks as versioned data: a framework has versions; a version is a tree of nodes."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

Texts = dict[str, str]
FALLBACK_LANGUAGES = ("en", "da", "nb")


def localized(texts: Texts | None, language: str | None = None) -> str:
    """The text in a language, falling back to English, Danish, Norwegian, then anything."""
    if not texts:
        return ""
    wanted = (language or get_language() or "en").split("-")[0]
    for code in (wanted, *FALLBACK_LANGUAGES):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")


class Framework(models.Model):
    """A framework such as ISO/IEC 27001 Annex A or the Samvirke Baseline."""

    key = models.SlugField(_("id"), max_length=80, unique=True)
    publisher = models.CharField(_("publisher"), max_length=200)
    title = models.JSONField(_("title"), default=dict)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return localized(self.title) or self.key

    @property
    def latest(self) -> FrameworkVersion | None:
        """The most recently loaded version."""
        return self.versions.order_by("-loaded_at", "-id").first()


class FrameworkVersion(models.Model):
    """One immutable version of a framework, as loaded from its files."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(_("version"), max_length=40)
    checksum = models.CharField(max_length=64)
    licence = models.CharField(_("licence"), max_length=300)
    source = models.TextField(_("source"))
    languages = models.JSONField(_("languages"), default=list)
    title = models.JSONField(_("title"), default=dict)
    description = models.JSONField(_("description"), default=dict)
    scale = models.JSONField(_("scale"), default=dict, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["framework", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "version"], name="framework_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{localized(self.title)} {self.version}"

    def is_in_use(self) -> bool:
        """Whether anything (a campaign) refers to this version, which freezes it for good."""
        return any(
            getattr(self, rel.get_accessor_name()).exists()  # type: ignore[arg-type]
            for rel in self._meta.related_objects
            if rel.related_model is not Node and rel.related_model is not MappingSet
        )


class NodeKind(models.TextChoices):
    """Where a node sits in the tree."""

    AREA = "area", _("Area")
    GROUP = "group", _("Group")
    REQUIREMENT = "requirement", _("Requirement")
    QUESTION = "question", _("Question")


class QuestionType(models.TextChoices):
    """How a question is answered."""

    MATURITY = "maturity", _("Maturity level")
    YES_PARTLY_NO = "yes_partly_no", _("Yes / partly / no")
    NUMBER = "number", _("Number")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    TEXT = "text", _("Text")


class AnswerLevel(models.TextChoices):
    """Who answers a question: the organisation once, or every org unit it is sent to."""

    ORGANISATION = "organisation", _("Once for the organisation")
    UNIT = "unit", _("Per org unit")


class Node(models.Model):
    """An area, group, requirement or question in one framework version."""

    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="nodes")
    key = models.CharField(_("id"), max_length=80)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NodeKind.choices)
    position = models.PositiveIntegerField(default=0)
    depth = models.PositiveSmallIntegerField(default=0)
    title = models.JSONField(_("title"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    help = models.JSONField(_("help text"), default=dict, blank=True)
    question_type = models.CharField(
        _("answer type"), max_length=20, choices=QuestionType.choices, blank=True
    )
    answer_level = models.CharField(
        _("answered"), max_length=20, choices=AnswerLevel.choices, blank=True
    )
    weight = models.FloatField(_("weight"), default=1.0)
    roles = models.JSONField(_("meant for"), default=list, blank=True)
    allows_not_applicable = models.BooleanField(_("not applicable allowed"), default=False)
    levels = models.JSONField(_("levels"), default=dict, blank=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    number_unit = models.JSONField(_("unit"), default=dict, blank=True)
    number_min = models.FloatField(null=True, blank=True)
    number_max = models.FloatField(null=True, blank=True)
    recommendations = models.JSONField(_("recommendations"), default=dict, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="node_unique_key")]
        indexes = [models.Index(fields=["version", "kind"])]

    def __str__(self) -> str:
        return f"{self.key} {localized(self.title)}"

    @property
    def is_question(self) -> bool:
        """Whether the node is answered."""
        return self.kind == NodeKind.QUESTION

    def level_texts(self) -> dict[str, Any]:
        """The answer levels: the question's own, else the framework's scale."""
        return self.levels or self.version.scale.get("levels", {})


class MappingRelation(models.TextChoices):
    """How two nodes of different frameworks relate (set-theoretic, as in NIST OLIR)."""

    EQUAL = "equal", _("Equal")
    SUBSET = "subset", _("Subset of")
    SUPERSET = "superset", _("Superset of")
    INTERSECTS = "intersects", _("Intersects")


class MappingSet(models.Model):
    """A set of relations from one framework version to another, with its source."""

    from_version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="mapping_sets"
    )
    to_version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="incoming_mapping_sets"
    )
    source = models.TextField(_("source"))
    licence = models.CharField(_("licence"), max_length=300)
    # "inline:<version checksum>" for mappings written on the nodes, else the file's checksum.
    checksum = models.CharField(max_length=80)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_version", "to_version", "checksum"], name="mapping_set_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_version} → {self.to_version}"


class Mapping(models.Model):
    """One relation between a node and a node of another framework."""

    mapping_set = models.ForeignKey(MappingSet, on_delete=models.CASCADE, related_name="mappings")
    source_node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="mappings_out")
    target_node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="mappings_in")
    relation = models.CharField(max_length=20, choices=MappingRelation.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mapping_set", "source_node", "target_node"], name="mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_node_id} {self.relation} {self.target_node_id}"
