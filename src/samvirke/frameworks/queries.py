"""Reads of the framework library, each in a fixed number of queries whatever its size.

Trees, search, a node's mappings, coverage in other frameworks and the comparison of two versions
are built in Python from a few flat queries; a version has a few hundred nodes at most.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from samvirke.frameworks.models import (
    FALLBACK_LANGUAGES,
    Framework,
    FrameworkVersion,
    Mapping,
    MappingRelation,
    MappingSet,
    Node,
    NodeKind,
    Texts,
)

#: The languages framework content may be written in.
CONTENT_LANGUAGES = ("da", "nb", "en")
#: The nodes that are answered or complied with, as opposed to the areas and groups around them.
ITEM_KINDS = (NodeKind.REQUIREMENT, NodeKind.QUESTION)
SEARCH_FIELDS = ("title", "description", "help")
#: A mapping seen from its target: "A is a subset of B" reads "B is a superset of A".
INVERSE_RELATION = {
    MappingRelation.SUBSET: MappingRelation.SUPERSET,
    MappingRelation.SUPERSET: MappingRelation.SUBSET,
}


# --- texts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A text and the language it is actually in (a fallback may differ from the one asked for)."""

    text: str
    lang: str

    def __str__(self) -> str:
        return self.text


def text_in(texts: Texts | None, lang: str) -> Text:
    """The text in a language, falling back as `localized` does, with the language it is in."""
    for code in (lang, *FALLBACK_LANGUAGES):
        if texts and texts.get(code):
            return Text(texts[code], code)
    for code, text in (texts or {}).items():
        if text:
            return Text(text, code)
    return Text("", lang)


def content_language(requested: str | None) -> str:
    """The content language asked for if it is one we know, else the interface language."""
    if requested in CONTENT_LANGUAGES:
        return str(requested)
    ui = (get_language() or "en").split("-")[0]
    return ui if ui in CONTENT_LANGUAGES else "en"


# --- frameworks, versions, nodes -------------------------------------------------------------


def frameworks_with_versions() -> list[Framework]:
    """Every framework with its versions, newest first (two queries)."""
    newest_first = FrameworkVersion.objects.order_by("-loaded_at", "-id")
    return list(Framework.objects.prefetch_related(Prefetch("versions", queryset=newest_first)))


def framework_get(framework_key: str) -> Framework:
    """A framework by key, or 404."""
    framework = Framework.objects.filter(key=framework_key).first()
    if framework is None:
        raise Http404
    return framework


def latest_version(framework_key: str) -> FrameworkVersion:
    """The most recently loaded version of a framework, or 404."""
    version = (
        FrameworkVersion.objects.select_related("framework")
        .filter(framework__key=framework_key)
        .order_by("-loaded_at", "-id")
        .first()
    )
    if version is None:
        raise Http404
    return version


def version_get(framework_key: str, version: str) -> FrameworkVersion:
    """One version of a framework, with the framework, or 404."""
    found = (
        FrameworkVersion.objects.select_related("framework")
        .filter(framework__key=framework_key, version=version)
        .first()
    )
    if found is None:
        raise Http404
    return found


def node_get(version: FrameworkVersion, key: str) -> Node:
    """A node of a version by key, with its parent, or 404."""
    node = Node.objects.select_related("parent").filter(version=version, key=key).first()
    if node is None:
        raise Http404
    node.version = version  # spares a query when the node's scale or framework is read
    return node


def version_nodes(version: FrameworkVersion) -> list[Node]:
    """Every node of a version in document order (one query)."""
    nodes = list(Node.objects.filter(version=version).order_by("position", "pk"))
    for node in nodes:
        node.version = version
    return nodes


# --- trees -----------------------------------------------------------------------------------


@dataclass
class TreeNode:
    """A node with its children, in document order."""

    node: Node
    children: list[TreeNode] = field(default_factory=list)


def build_tree(nodes: Iterable[Node]) -> list[TreeNode]:
    """The roots of the tree the nodes make (parents come before their children in `nodes`)."""
    items: dict[int, TreeNode] = {}
    roots: list[TreeNode] = []
    for node in nodes:
        item = items[node.pk] = TreeNode(node)
        parent = items.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(item)
    return roots


def version_tree(version: FrameworkVersion) -> list[TreeNode]:
    """The tree of a version (one query)."""
    return build_tree(version_nodes(version))


def ancestors(nodes: Iterable[Node], node: Node) -> list[Node]:
    """The node's ancestors from the root down, found among the version's nodes."""
    by_id = {n.pk: n for n in nodes}
    chain: list[Node] = []
    parent = by_id.get(node.parent_id) if node.parent_id else None
    while parent is not None:
        chain.insert(0, parent)
        parent = by_id.get(parent.parent_id) if parent.parent_id else None
    return chain


def subtree_ids(nodes: Iterable[Node], root: Node) -> set[int]:
    """The ids of a node and all its descendants."""
    children: dict[int, list[int]] = {}
    for node in nodes:
        if node.parent_id:
            children.setdefault(node.parent_id, []).append(node.pk)
    found, todo = set(), [root.pk]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


# --- search ----------------------------------------------------------------------------------


def _database_can_search(term: str) -> bool:
    """Whether JSON as text holds the term as typed on every engine.

    SQLite keeps non-ASCII characters escaped (`\\u00e6`) and both engines escape quotes and
    backslashes, so such terms are matched in Python only.
    """
    return term.isascii() and term.isprintable() and '"' not in term and "\\" not in term


def _matches(node: Node, needle: str) -> bool:
    if needle in node.key.casefold():
        return True
    for name in SEARCH_FIELDS:
        texts: dict[str, Any] = getattr(node, name) or {}
        if any(isinstance(t, str) and needle in t.casefold() for t in texts.values()):
            return True
    return False


def version_search(version: FrameworkVersion, term: str) -> list[Node]:
    """Nodes whose id, title, description or help contains the term in any language (one query).

    The database narrows the candidates where it can; the check in Python is the one that counts,
    because JSON as text also holds language codes and punctuation a term might match.
    """
    needle = term.strip().casefold()
    if not needle:
        return []
    nodes: QuerySet[Node] = Node.objects.filter(version=version)
    if _database_can_search(needle):
        texts = {f"{name}_text": Cast(name, TextField()) for name in SEARCH_FIELDS}
        condition = Q(key__icontains=needle)
        for alias in texts:
            condition |= Q(**{f"{alias}__icontains": needle})
        nodes = nodes.alias(**texts).filter(condition)
    found = [node for node in nodes.order_by("position", "pk") if _matches(node, needle)]
    for node in found:
        node.version = version
    return found


# --- mappings --------------------------------------------------------------------------------


@dataclass
class Link:
    """A node of another framework related to a node, and how, read from the node's side."""

    node: Node
    relation: str
    outgoing: bool

    @property
    def relation_label(self) -> str:
        return str(MappingRelation(self.relation).label)


@dataclass
class FrameworkLinks:
    """The links of a node into one version of another framework."""

    version: FrameworkVersion
    links: list[Link]


def _group_links(links: Iterable[Link]) -> list[FrameworkLinks]:
    groups: dict[int, FrameworkLinks] = {}
    for link in links:
        version = link.node.version
        groups.setdefault(version.pk, FrameworkLinks(version, [])).links.append(link)
    for group in groups.values():
        group.links.sort(key=lambda link: (link.node.position, link.node.pk))
    return sorted(groups.values(), key=lambda g: (g.version.framework.key, g.version.pk))


def node_links(node: Node) -> list[FrameworkLinks]:
    """A node's mappings in both directions, grouped by the other framework (two queries)."""
    outgoing = Mapping.objects.filter(source_node=node).select_related(
        "target_node__version__framework"
    )
    incoming = Mapping.objects.filter(target_node=node).select_related(
        "source_node__version__framework"
    )
    links = [Link(m.target_node, m.relation, True) for m in outgoing]
    links += [
        Link(m.source_node, INVERSE_RELATION.get(MappingRelation(m.relation), m.relation), False)
        for m in incoming
    ]
    return _group_links(links)


def linked_versions(version: FrameworkVersion) -> dict[str, FrameworkVersion]:
    """Framework key → the newest version of each other framework mapped to or from this one."""
    sets = MappingSet.objects.filter(Q(from_version=version) | Q(to_version=version))
    others: dict[str, FrameworkVersion] = {}
    for mapping_set in sets.select_related("from_version__framework", "to_version__framework"):
        other = mapping_set.to_version
        if mapping_set.to_version_id == version.pk:
            other = mapping_set.from_version
        if other.pk == version.pk:
            continue
        current = others.get(other.framework.key)
        if current is None or (other.loaded_at, other.pk) > (current.loaded_at, current.pk):
            others[other.framework.key] = other
    return dict(sorted(others.items()))


def _related(
    version: FrameworkVersion,
    others: Collection[FrameworkVersion],
    own_ids: Collection[int] | None = None,
    item_kinds_only: bool = False,
) -> set[tuple[int, int, int]]:
    """(own node id, other node id, other version id) for every mapping, either direction."""
    outgoing = Mapping.objects.filter(
        source_node__version=version, target_node__version__in=list(others)
    )
    incoming = Mapping.objects.filter(
        target_node__version=version, source_node__version__in=list(others)
    )
    if own_ids is not None:
        outgoing = outgoing.filter(source_node_id__in=own_ids)
        incoming = incoming.filter(target_node_id__in=own_ids)
    if item_kinds_only:
        outgoing = outgoing.filter(target_node__kind__in=ITEM_KINDS)
        incoming = incoming.filter(source_node__kind__in=ITEM_KINDS)
    rows = set(outgoing.values_list("source_node_id", "target_node_id", "target_node__version_id"))
    rows |= set(incoming.values_list("target_node_id", "source_node_id", "source_node__version_id"))
    return rows


def _item_totals(versions: Collection[FrameworkVersion]) -> dict[int, int]:
    rows = (
        Node.objects.filter(version__in=list(versions), kind__in=ITEM_KINDS)
        .values("version")
        .annotate(total=Count("id"))
        .values_list("version", "total")
    )
    return dict(rows)


# --- coverage --------------------------------------------------------------------------------


@dataclass
class Coverage:
    """What a node reaches in one version of another framework."""

    version: FrameworkVersion
    direct: list[Node]  # reached by the node's own mappings
    covered: list[Node]  # reached by the node or any of its descendants
    total: int  # requirements and questions in the other version


def node_coverage(
    node: Node, targets: Collection[FrameworkVersion], nodes: list[Node] | None = None
) -> list[Coverage]:
    """A node's coverage in each target version, through itself and its descendants.

    `nodes` are the node's version's nodes if the caller has them already.
    """
    if not targets:
        return []
    nodes = nodes if nodes is not None else version_nodes(node.version)
    rows = _related(node.version, targets, subtree_ids(nodes, node))
    reached = Node.objects.filter(pk__in={other for _own, other, _v in rows})
    by_id = {n.pk: n for n in reached.order_by("position", "pk")}
    totals = _item_totals(targets)
    direct_ids = {other for own, other, _v in rows if own == node.pk}
    result = []
    for target in targets:
        covered = [n for n in by_id.values() if n.version_id == target.pk]
        for reached_node in covered:
            reached_node.version = target
        direct = [n for n in covered if n.pk in direct_ids]
        result.append(Coverage(target, direct, covered, totals.get(target.pk, 0)))
    return result


@dataclass
class VersionCoverage:
    """How many requirements (or questions) of another version this version's nodes reach."""

    version: FrameworkVersion
    covered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.total) if self.total else 0


def version_coverage(version: FrameworkVersion) -> list[VersionCoverage]:
    """Answer once, see coverage: per linked framework, the share of its items this one reaches.

    An item of the other framework counts as covered when at least one node of this version maps
    to it or from it; for a question set those nodes are its questions.
    """
    targets = linked_versions(version)
    if not targets:
        return []
    rows = _related(version, targets.values(), item_kinds_only=True)
    totals = _item_totals(targets.values())
    covered: dict[int, set[int]] = {}
    for _own, other, other_version in rows:
        covered.setdefault(other_version, set()).add(other)
    return [
        VersionCoverage(t, len(covered.get(t.pk, ())), totals.get(t.pk, 0))
        for t in targets.values()
    ]


# --- comparing versions ----------------------------------------------------------------------

#: The fields whose difference makes a node "changed", with the label a page shows for each.
COMPARED_FIELDS = {
    "kind": _("kind"),
    "parent": _("parent"),
    "title": _("title"),
    "description": _("description"),
    "help": _("help text"),
    "question_type": _("answer type"),
    "answer_level": _("answered"),
    "weight": _("weight"),
    "roles": _("meant for"),
    "allows_not_applicable": _("not applicable allowed"),
    "levels": _("levels"),
    "options": _("options"),
    "number_unit": _("unit"),
    "number_min": _("minimum"),
    "number_max": _("maximum"),
    "recommendations": _("recommendations"),
}


@dataclass
class NodeChange:
    """A node present in both versions whose content differs."""

    old: Node
    new: Node
    fields: list[str]

    @property
    def labels(self) -> list[str]:
        return [str(COMPARED_FIELDS[name]) for name in self.fields]


@dataclass
class VersionComparison:
    """What changed from one version of a framework to another, by node id."""

    old: FrameworkVersion
    new: FrameworkVersion
    added: list[Node]
    removed: list[Node]
    changed: list[NodeChange]

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _values(node: Node, parent_keys: dict[int, str]) -> dict[str, Any]:
    values = {name: getattr(node, name) for name in COMPARED_FIELDS if name != "parent"}
    values["parent"] = parent_keys.get(node.parent_id) if node.parent_id else None
    return values


def versions_compare(old: FrameworkVersion, new: FrameworkVersion) -> VersionComparison:
    """Added, removed and changed nodes between two versions (one query)."""
    nodes = list(Node.objects.filter(version__in=[old, new]).order_by("position", "pk"))
    keys = {node.pk: node.key for node in nodes}
    before = {n.key: n for n in nodes if n.version_id == old.pk}
    after = {n.key: n for n in nodes if n.version_id == new.pk}
    for node in nodes:
        node.version = old if node.version_id == old.pk else new
    changed = []
    for key, node in after.items():
        if key in before:
            was, now = _values(before[key], keys), _values(node, keys)
            fields = [name for name in COMPARED_FIELDS if was[name] != now[name]]
            if fields:
                changed.append(NodeChange(before[key], node, fields))
    return VersionComparison(
        old=old,
        new=new,
        added=[n for k, n in after.items() if k not in before],
        removed=[n for k, n in before.items() if k not in after],
        changed=changed,
    )
