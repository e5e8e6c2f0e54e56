"""API operations on the framework library: frameworks, versions, nodes, mappings and coverage.

Frameworks are shared reference data, so any valid token may read them. Every list is read in a
fixed number of queries whatever the page size.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from samvirke.api.schemas import ERRORS, INPUT_ERRORS, MAX_OFFSET, Pagination
from samvirke.frameworks.models import Framework, FrameworkVersion, Mapping, Node
from samvirke.frameworks.queries import (
    TreeNode,
    build_tree,
    framework_get,
    frameworks_with_versions,
    linked_versions,
    node_coverage,
    node_get,
    node_links,
    version_get,
    version_nodes,
)
from samvirke.tenancy.http import OrgRequest

router = Router(tags=["frameworks"])

Texts = dict[str, str]
NODE_FIELDS = ("key", "kind", "question_type", "answer_level", "weight", "depth", "title")


# --- schemas ---------------------------------------------------------------------------------


class VersionOut(Schema):
    """One version of a framework."""

    version: str
    licence: str
    source: str
    languages: list[str]
    title: Texts
    loaded_at: datetime.datetime


class FrameworkOut(Schema):
    """A framework with its versions, newest first."""

    key: str
    publisher: str
    title: Texts
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(framework: Framework) -> list[FrameworkVersion]:
        return list(framework.versions.all())


class VersionDetailOut(VersionOut):
    """A version's header: its texts, answer scale and the frameworks it is mapped to."""

    framework: str
    description: Texts
    scale: dict[str, Any]
    nodes: int
    mapped_to: list[str] = Field(description="Keys of the frameworks this version is mapped to")


class NodeOut(Schema):
    """A node as a row: its place in the tree, what it is, and its title in every language."""

    key: str
    parent: str | None
    kind: str
    type: str | None = Field(description="How a question is answered; null for other nodes")
    level: str | None = Field(description="Who answers a question; null for other nodes")
    weight: float
    depth: int
    title: Texts


class NodeTreeOut(NodeOut):
    """A node with its children."""

    children: list[NodeTreeOut]


class NodePageOut(Schema):
    """A page of a version's nodes in document order (`format=flat`)."""

    count: int
    items: list[NodeOut]


class NodeTreePageOut(Schema):
    """All of a version's nodes as a tree (`format=tree`): the roots, each with its children."""

    count: int
    items: list[NodeTreeOut]


class NodeRef(Schema):
    """A node of some framework version."""

    framework: str
    version: str
    key: str
    title: Texts


class LinkOut(Schema):
    """A mapping of a node, read from the node's side."""

    direction: Literal["out", "in"]
    relation: str
    node: NodeRef


class NodeDetailOut(NodeOut):
    """A node with all its content, its children's keys and its mappings in both directions."""

    description: Texts
    help: Texts
    roles: list[str]
    allows_not_applicable: bool
    levels: dict[str, Any]
    options: list[Any]
    unit: Texts
    min: float | None
    max: float | None
    recommendations: dict[str, Any]
    children: list[str]
    mappings: list[LinkOut]


class MappingOut(Schema):
    """A relation between nodes of two frameworks."""

    source: NodeRef
    target: NodeRef
    relation: str

    @staticmethod
    def resolve_source(mapping: Mapping) -> dict[str, Any]:
        return _ref(mapping.source_node)

    @staticmethod
    def resolve_target(mapping: Mapping) -> dict[str, Any]:
        return _ref(mapping.target_node)


class CoveredNodeOut(Schema):
    """A node of the target framework the node reaches."""

    key: str
    kind: str
    title: Texts
    direct: bool = Field(description="Mapped to the node itself, not only to a descendant")


class CoverageOut(Schema):
    """The target nodes a node reaches through its own mappings and its descendants'."""

    framework: str
    version: str
    total: int = Field(description="Requirements and questions in the target version")
    covered: list[CoveredNodeOut]


NodeTreePageOut.model_rebuild()


# --- helpers ---------------------------------------------------------------------------------


def _ref(node: Node) -> dict[str, Any]:
    version = node.version
    return {
        "framework": version.framework.key,
        "version": version.version,
        "key": node.key,
        "title": node.title,
    }


def _row(node: Node, parent_keys: dict[int, str]) -> dict[str, Any]:
    return {
        "key": node.key,
        "parent": parent_keys.get(node.parent_id) if node.parent_id else None,
        "kind": node.kind,
        "type": node.question_type or None,
        "level": node.answer_level or None,
        "weight": node.weight,
        "depth": node.depth,
        "title": node.title,
    }


def _tree(items: list[TreeNode], parent_keys: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {**_row(item.node, parent_keys), "children": _tree(item.children, parent_keys)}
        for item in items
    ]


# --- frameworks and versions -----------------------------------------------------------------


@router.get("", response={200: list[FrameworkOut], **INPUT_ERRORS})
@paginate(Pagination)
def framework_list(request: OrgRequest) -> list[Framework]:
    """Every framework in the library with its versions, newest first."""
    return frameworks_with_versions()


@router.get("/{key}/versions", response={200: list[VersionOut], **INPUT_ERRORS})
@paginate(Pagination)
def framework_version_list(request: OrgRequest, key: str) -> QuerySet[FrameworkVersion]:
    """The versions of one framework, newest first."""
    framework = framework_get(key)
    return framework.versions.order_by("-loaded_at", "-id")


@router.get("/{key}/versions/{version}", response={200: VersionDetailOut, **ERRORS})
def framework_version_get(request: OrgRequest, key: str, version: str) -> dict[str, Any]:
    """One version's header."""
    found = version_get(key, version)
    fields = ("version", "licence", "source", "languages", "title", "loaded_at")
    return {
        **{name: getattr(found, name) for name in fields},
        "framework": found.framework.key,
        "description": found.description,
        "scale": found.scale,
        "nodes": found.nodes.count(),
        "mapped_to": list(linked_versions(found)),
    }


# --- nodes -----------------------------------------------------------------------------------


def _flat_page(version: FrameworkVersion, limit: int, offset: int) -> NodePageOut:
    nodes = Node.objects.filter(version=version)
    rows = (
        nodes.order_by("position", "pk")
        .annotate(parent_key=F("parent__key"))
        .values("parent_key", *NODE_FIELDS)[offset : offset + limit]
    )
    items = [
        NodeOut(
            key=row["key"],
            parent=row["parent_key"],
            kind=row["kind"],
            type=row["question_type"] or None,
            level=row["answer_level"] or None,
            weight=row["weight"],
            depth=row["depth"],
            title=row["title"],
        )
        for row in rows
    ]
    return NodePageOut(count=nodes.count(), items=items)


@router.get(
    "/{key}/versions/{version}/nodes",
    response={200: NodePageOut | NodeTreePageOut, **INPUT_ERRORS},
)
def framework_node_list(
    request: OrgRequest,
    key: str,
    version: str,
    node_format: Literal["flat", "tree"] = Query("flat", alias="format"),
    limit: int = Query(
        settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT
    ),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> NodePageOut | NodeTreePageOut:
    """A version's nodes: `flat` pages through them in document order; `tree` nests them all."""
    found = version_get(key, version)
    if node_format == "flat":
        return _flat_page(found, limit, offset)
    nodes = version_nodes(found)
    keys = {node.pk: node.key for node in nodes}
    items = _tree(build_tree(nodes), keys)
    return NodeTreePageOut.model_validate({"count": len(nodes), "items": items})


def _links(node: Node) -> list[dict[str, Any]]:
    return [
        {
            "direction": "out" if link.outgoing else "in",
            "relation": link.relation,
            "node": _ref(link.node),
        }
        for group in node_links(node)
        for link in group.links
    ]


@router.get(
    "/{key}/versions/{version}/nodes/{node_key}",
    response={200: NodeDetailOut, **ERRORS},
)
def framework_node_get(
    request: OrgRequest, key: str, version: str, node_key: str
) -> dict[str, Any]:
    """One node with all its content and its mappings into other frameworks."""
    node = node_get(version_get(key, version), node_key)
    parent_keys = {node.parent.pk: node.parent.key} if node.parent else {}
    return {
        **_row(node, parent_keys),
        "description": node.description,
        "help": node.help,
        "roles": node.roles,
        "allows_not_applicable": node.allows_not_applicable,
        "levels": node.levels,
        "options": node.options,
        "unit": node.number_unit,
        "min": node.number_min,
        "max": node.number_max,
        "recommendations": node.recommendations,
        "children": list(node.children.order_by("position", "pk").values_list("key", flat=True)),
        "mappings": _links(node),
    }


@router.get(
    "/{key}/versions/{version}/mappings",
    response={200: list[MappingOut], **INPUT_ERRORS},
)
@paginate(Pagination)
def framework_mapping_list(request: OrgRequest, key: str, version: str) -> QuerySet[Mapping]:
    """Every mapping from or to a version's nodes."""
    found = version_get(key, version)
    return (
        Mapping.objects.filter(Q(source_node__version=found) | Q(target_node__version=found))
        .select_related("source_node__version__framework", "target_node__version__framework")
        .order_by("pk")
    )


@router.get(
    "/{key}/versions/{version}/nodes/{node_key}/coverage/{target_key}",
    response={200: CoverageOut, **ERRORS},
)
def framework_node_coverage(
    request: OrgRequest, key: str, version: str, node_key: str, target_key: str
) -> dict[str, Any]:
    """The nodes of another framework a node reaches, through itself and its descendants."""
    found = version_get(key, version)
    node = node_get(found, node_key)
    target = linked_versions(found).get(target_key)
    if target is None and target_key != key:
        target = framework_get(target_key).latest
    if target is None:
        raise Http404  # no such framework, none of its versions loaded, or the node's own
    [coverage] = node_coverage(node, [target])
    direct = {n.pk for n in coverage.direct}
    return {
        "framework": target.framework.key,
        "version": target.version,
        "total": coverage.total,
        "covered": [
            {"key": n.key, "kind": n.kind, "title": n.title, "direct": n.pk in direct}
            for n in coverage.covered
        ],
    }
