"""Loading the framework library into the database: all or nothing, idempotent, versioned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log
from samvirke.frameworks.models import (
    Framework,
    FrameworkVersion,
    Mapping,
    MappingSet,
    Node,
)
from samvirke.frameworks.parsing import (
    LibraryError,
    ParsedFramework,
    ParsedMapping,
    Problem,
    check_framework,
    collect_paths,
    node_fields,
    order_by_depth,
    parse_framework_dir,
    parse_mapping_file,
)

if TYPE_CHECKING:
    from samvirke.accounts.models import User
    from samvirke.tenancy.models import Organisation

Progress = Callable[[str], object]


@dataclass
class LoadReport:
    """What a load did (or, with --check, would do)."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    mapping_sets: list[str] = field(default_factory=list)
    nodes: int = 0
    mappings: int = 0


@dataclass
class LibraryPlan:
    frameworks: list[ParsedFramework]
    mappings: list[ParsedMapping]
    known_nodes: dict[str, set[str]]  # framework id → node ids (batch or latest loaded version)


def _existing_version(fw: ParsedFramework) -> FrameworkVersion | None:
    return FrameworkVersion.objects.filter(
        framework__key=fw.key, version=fw.header["version"]
    ).first()


def _check_versions(frameworks: list[ParsedFramework]) -> list[Problem]:
    problems = []
    for fw in frameworks:
        existing = _existing_version(fw)
        if existing is None or existing.checksum == fw.checksum():
            continue
        if existing.is_in_use():
            message = _(
                "version %(version)r of %(framework)r is already loaded with other content and a "
                "campaign uses it, so it can never change; give the changed framework a new version"
            )
        else:
            message = _(
                "version %(version)r of %(framework)r is already loaded with other content; "
                "give the changed framework a new version"
            )
        problems.append(
            Problem(
                str(fw.header_doc.path),
                fw.header_doc.line(("framework", "version")),
                "framework.version",
                message % {"version": existing.version, "framework": fw.key},
            )
        )
    return problems


def _known_nodes(frameworks: list[ParsedFramework]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    for framework in Framework.objects.all():
        latest = framework.latest
        if latest is not None:
            known[framework.key] = set(latest.nodes.values_list("key", flat=True))
    for fw in frameworks:
        known[fw.key] = {n.key for n in fw.nodes}
    return known


def _check_references(plan: LibraryPlan) -> list[Problem]:
    problems: list[Problem] = []
    for fw in plan.frameworks:
        for node in fw.nodes:
            for target_fw, targets in (node.data.get("mappings") or {}).items():
                where = (*node.where, "mappings", target_fw)
                problems.extend(
                    _dangling(
                        plan,
                        str(node.doc.path),
                        node.doc.line(where),
                        where,
                        target_fw,
                        [t if isinstance(t, str) else t["to"] for t in targets],
                    )
                )
    for mapping in plan.mappings:
        label = str(mapping.doc.path)
        for side in ("from", "to"):
            if mapping.header[side] not in plan.known_nodes:
                problems.append(
                    Problem(
                        label,
                        mapping.doc.line(("mapping", side)),
                        f"mapping.{side}",
                        _("framework %(framework)r is not loaded")
                        % {"framework": mapping.header[side]},
                    )
                )
        for index, relation in enumerate(mapping.relations):
            for side in ("from", "to"):
                framework_id = mapping.header[side]
                if (
                    framework_id in plan.known_nodes
                    and relation[side] not in plan.known_nodes[framework_id]
                ):
                    where = ("relations", index, side)
                    problems.append(
                        Problem(
                            label,
                            mapping.doc.line(where),
                            f"relations[{index}].{side}",
                            _("%(node)r is not a node of %(framework)r")
                            % {"node": relation[side], "framework": framework_id},
                        )
                    )
    return problems


def _dangling(
    plan: LibraryPlan,
    label: str,
    line: int | None,
    where: tuple[Any, ...],
    target_fw: str,
    targets: list[str],
) -> list[Problem]:
    key = ".".join(str(p) for p in where if not isinstance(p, int))
    if target_fw not in plan.known_nodes:
        return [
            Problem(
                label,
                line,
                key,
                _("framework %(framework)r is not loaded") % {"framework": target_fw},
            )
        ]
    missing = [t for t in targets if t not in plan.known_nodes[target_fw]]
    if missing:
        return [
            Problem(
                label,
                line,
                key,
                _("no such node in %(framework)r: %(nodes)s")
                % {"framework": target_fw, "nodes": ", ".join(missing)},
            )
        ]
    return []


def plan_library(paths: list[Path]) -> LibraryPlan:
    """Read and check every file; raise LibraryError listing every problem found."""
    problems: list[Problem] = []
    framework_dirs, mapping_files = collect_paths(paths)
    if not framework_dirs and not mapping_files:
        raise LibraryError(
            [Problem(", ".join(map(str, paths)), None, "", _("no framework files found"))]
        )
    frameworks = [fw for d in framework_dirs if (fw := parse_framework_dir(d, problems))]
    mappings = [m for f in mapping_files if (m := parse_mapping_file(f, problems))]
    return plan_parsed(frameworks, mappings, problems)


def plan_parsed(
    frameworks: list[ParsedFramework], mappings: list[ParsedMapping], problems: list[Problem]
) -> LibraryPlan:
    """Check frameworks read from any source (files, a workbook); raise LibraryError on problems."""
    seen: dict[str, ParsedFramework] = {}
    for fw in frameworks:
        if fw.key in seen:
            problems.append(
                Problem(
                    str(fw.header_doc.path),
                    fw.header_doc.line(("framework", "id")),
                    "framework.id",
                    _("framework id %(framework)r is used twice") % {"framework": fw.key},
                )
            )
        seen[fw.key] = fw
        problems.extend(check_framework(fw))
    plan = LibraryPlan(frameworks, mappings, {})
    if not problems:
        problems.extend(_check_versions(frameworks))
        plan.known_nodes = _known_nodes(frameworks)
        problems.extend(_check_references(plan))
    if problems:
        raise LibraryError(problems)
    return plan


def _create_version(fw: ParsedFramework) -> tuple[FrameworkVersion, dict[str, Node]]:
    header = fw.header
    framework, _created = Framework.objects.get_or_create(
        key=fw.key, defaults={"publisher": header["publisher"], "title": header["title"]}
    )
    Framework.objects.filter(pk=framework.pk).update(
        publisher=header["publisher"], title=header["title"]
    )
    version = FrameworkVersion.objects.create(
        framework=framework,
        version=header["version"],
        checksum=fw.checksum(),
        licence=header["licence"],
        source=header["source"],
        languages=header["languages"],
        title=header["title"],
        description=header.get("description", {}),
        scale=header.get("scale", {}),
    )
    created: dict[str, Node] = {}
    ordered = order_by_depth(fw)
    for level in sorted({depth for _node, depth in ordered}):
        batch = [
            Node(
                version=version,
                key=node.key,
                position=node.position,
                depth=depth,
                parent=created.get(node.parent_key) if node.parent_key else None,
                **node_fields(node.data),
            )
            for node, depth in ordered
            if depth == level
        ]
        for node in Node.objects.bulk_create(batch, batch_size=500):
            created[node.key] = node
    return version, created


def _node_ids(version: FrameworkVersion) -> dict[str, int]:
    return dict(version.nodes.values_list("key", "id"))


def _create_inline_mappings(
    fw: ParsedFramework,
    version: FrameworkVersion,
    nodes: dict[str, Node],
    versions: dict[str, FrameworkVersion],
) -> int:
    relations: dict[str, list[tuple[str, str, str]]] = {}
    for node in fw.nodes:
        for target_fw, targets in (node.data.get("mappings") or {}).items():
            for target in targets:
                to, relation = (
                    (target, "intersects")
                    if isinstance(target, str)
                    else (target["to"], target.get("relation", "intersects"))
                )
                relations.setdefault(target_fw, []).append((node.key, to, relation))
    count = 0
    for target_fw, rows in relations.items():
        target_version = versions[target_fw]
        mapping_set = MappingSet.objects.create(
            from_version=version,
            to_version=target_version,
            licence=version.licence,
            source=f"{fw.key} {version.version}",
            checksum=f"inline:{version.checksum}",
        )
        targets = _node_ids(target_version)
        count += _bulk_mappings(mapping_set, rows, {k: n.pk for k, n in nodes.items()}, targets)
    return count


def _bulk_mappings(
    mapping_set: MappingSet,
    rows: list[tuple[str, str, str]],
    sources: dict[str, int],
    targets: dict[str, int],
) -> int:
    unique = {(sources[a], targets[b]): rel for a, b, rel in rows}
    Mapping.objects.bulk_create(
        [
            Mapping(mapping_set=mapping_set, source_node_id=s, target_node_id=t, relation=rel)
            for (s, t), rel in unique.items()
        ],
        batch_size=1000,
    )
    return len(unique)


def _create_mapping_file(mapping: ParsedMapping, versions: dict[str, FrameworkVersion]) -> int:
    from_version, to_version = versions[mapping.header["from"]], versions[mapping.header["to"]]
    if MappingSet.objects.filter(
        from_version=from_version, to_version=to_version, checksum=mapping.checksum()
    ).exists():
        return -1
    mapping_set = MappingSet.objects.create(
        from_version=from_version,
        to_version=to_version,
        source=mapping.header["source"],
        licence=mapping.header["licence"],
        checksum=mapping.checksum(),
    )
    rows = [(r["from"], r["to"], r.get("relation", "intersects")) for r in mapping.relations]
    return _bulk_mappings(mapping_set, rows, _node_ids(from_version), _node_ids(to_version))


@transaction.atomic
def frameworks_load(
    *, paths: list[Path], check: bool = False, progress: Progress | None = None
) -> LoadReport:
    """Load framework files: every file is checked first, then all of it is written or nothing."""
    return frameworks_apply(plan=plan_library(paths), check=check, progress=progress)


@transaction.atomic
def frameworks_apply(
    *,
    plan: LibraryPlan,
    check: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
    organisation: Organisation | None = None,
) -> LoadReport:
    """Write a checked plan: the new versions, their inline mappings and the mapping files."""
    report = LoadReport()
    versions: dict[str, FrameworkVersion] = {
        f.key: v for f in Framework.objects.all() if (v := f.latest) is not None
    }
    new: list[tuple[ParsedFramework, FrameworkVersion, dict[str, Node]]] = []
    for fw in plan.frameworks:
        label = f"{fw.key} {fw.header['version']}"
        existing = _existing_version(fw)
        if existing is not None:
            report.unchanged.append(label)
            versions[fw.key] = existing
        else:
            report.created.append(label)
            if not check:
                version, nodes = _create_version(fw)
                versions[fw.key] = version
                new.append((fw, version, nodes))
                report.nodes += len(nodes)
                audit_log(
                    actor=actor,
                    organisation=organisation,
                    action="frameworks.version.loaded",
                    obj=version,
                    changes={"nodes": [None, len(nodes)]},
                )
        if progress:
            progress(label)
    if check:
        return report
    for fw, version, nodes in new:
        report.mappings += _create_inline_mappings(fw, version, nodes, versions)
    for mapping in plan.mappings:
        created = _create_mapping_file(mapping, versions)
        if created >= 0:
            report.mappings += created
            report.mapping_sets.append(f"{mapping.header['from']} → {mapping.header['to']}")
        if progress:
            progress(str(mapping.doc.path))
    return report
