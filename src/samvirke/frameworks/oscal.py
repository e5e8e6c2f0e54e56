"""A framework version as an OSCAL 1.1.2 catalog (JSON), for tools that speak OSCAL.

Areas and groups become OSCAL groups; requirements and questions become controls (nested
controls for nested requirements). OSCAL documents have one language, so texts are taken in
the requested language with the usual fallback.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Any

from samvirke.frameworks.models import FrameworkVersion, Node, NodeKind, localized

OSCAL_VERSION = "1.1.2"
#: Fixed namespace for catalog uuids, so a framework version always gets the same uuid.
CATALOG_NAMESPACE = uuid.UUID("1f0c5a53-7d3e-5b8e-9c51-6a2b1c0d4e7f")
#: Namespace of Samvirke's own property names (OSCAL wants one for names it does not define).
#: A placeholder until the project has a domain of its own; only ever compared, never fetched.
PROPS_NAMESPACE = "https://samvirke.example.dk/ns/oscal"
_TOKEN = re.compile(r"^[_a-zA-Z][\w.-]*$")

Json = dict[str, Any]


def oscal_id(key: str) -> str:
    """A node id as an OSCAL token: lower case, with a prefix when it starts with a digit.

    "A.5.1" → "a.5.1", "GV.OC-01" → "gv.oc-01", "1.1" → "n1.1".
    """
    token = re.sub(r"[^\w.-]", "_", key.lower())
    return token if _TOKEN.match(token) else f"n{token}"


def catalog_uuid(version: FrameworkVersion) -> str:
    """A stable uuid (version 5) for a framework version."""
    return str(uuid.uuid5(CATALOG_NAMESPACE, f"{version.framework.key}@{version.version}"))


def _prop(name: str, value: Any) -> Json:
    return {"name": name, "ns": PROPS_NAMESPACE, "value": str(value)}


def _parts(node: Node, token: str, language: str) -> list[Json]:
    parts = []
    for name, suffix, texts in (
        ("statement", "smt", node.description),
        ("guidance", "gdn", node.help),
    ):
        if prose := localized(texts, language):
            parts.append({"id": f"{token}_{suffix}", "name": name, "prose": prose})
    return parts


def _props(node: Node) -> list[Json]:
    props = [{"name": "label", "value": node.key}]
    if node.is_question:
        props.append(_prop("question-type", node.question_type))
        props.append(_prop("answer-level", node.answer_level))
    if node.weight != 1 or node.is_question:
        props.append(_prop("weight", f"{node.weight:g}"))
    props.extend(_prop("role", role) for role in node.roles)
    return props


def _entry(node: Node, children: dict[int | None, list[Node]], language: str) -> Json:
    """A group (area, group) or a control (requirement, question) with what sits under it."""
    token = oscal_id(node.key)
    entry: Json = {"id": token}
    if node.kind in {NodeKind.REQUIREMENT, NodeKind.QUESTION}:
        entry["class"] = node.kind
    entry["title"] = localized(node.title, language) or node.key
    entry["props"] = _props(node)
    if parts := _parts(node, token, language):
        entry["parts"] = parts
    _add_children(entry, node, children, language)
    return entry


def _is_group(node: Node) -> bool:
    return node.kind in {NodeKind.AREA, NodeKind.GROUP}


def _add_children(
    entry: Json, node: Node | None, children: dict[int | None, list[Node]], language: str
) -> None:
    # OSCAL controls contain only controls; under a control, every child becomes a control.
    kids = children.get(node.pk if node else None, [])
    may_group = node is None or _is_group(node)
    groups = [_entry(k, children, language) for k in kids if may_group and _is_group(k)]
    controls = [_entry(k, children, language) for k in kids if not (may_group and _is_group(k))]
    for entry_child in controls:
        entry_child.setdefault("class", "requirement")
    if groups:
        entry["groups"] = groups
    if controls:
        entry["controls"] = controls


def export_oscal(version: FrameworkVersion, language: str = "en") -> Json:
    """The version as an OSCAL catalog document ({"catalog": ...})."""
    children: dict[int | None, list[Node]] = defaultdict(list)
    for node in version.nodes.order_by("position"):
        children[node.parent_id].append(node)
    metadata: Json = {
        "title": localized(version.title, language) or version.framework.key,
        "last-modified": version.loaded_at.isoformat(),
        "version": version.version,
        "oscal-version": OSCAL_VERSION,
        "props": [_prop("framework-id", version.framework.key)],
        "remarks": f"Licence: {version.licence}. Source: {version.source}.",
    }
    publisher = version.framework.publisher
    if publisher:
        metadata["parties"] = [
            {
                "uuid": str(uuid.uuid5(CATALOG_NAMESPACE, f"party:{publisher}")),
                "type": "organization",
                "name": publisher,
            }
        ]
        metadata["roles"] = [{"id": "publisher", "title": "Publisher"}]
        metadata["responsible-parties"] = [
            {"role-id": "publisher", "party-uuids": [metadata["parties"][0]["uuid"]]}
        ]
    catalog: Json = {"uuid": catalog_uuid(version), "metadata": metadata}
    _add_children(catalog, None, children, language)
    return {"catalog": catalog}
