"""Pages of the framework library: frameworks, a version's tree and search, nodes, comparison.

Frameworks are shared reference data: any logged-in user may read them. The content language
(`?lang=`) is chosen apart from the interface language; a text missing in it falls back, and
the page marks every text with the language it is actually in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from samvirke.core.permissions import permission_required
from samvirke.frameworks.models import FrameworkVersion, Node
from samvirke.frameworks.queries import (
    CONTENT_LANGUAGES,
    Text,
    TreeNode,
    ancestors,
    build_tree,
    content_language,
    framework_get,
    frameworks_with_versions,
    latest_version,
    linked_versions,
    node_coverage,
    node_get,
    node_links,
    text_in,
    version_coverage,
    version_get,
    version_nodes,
    version_search,
    versions_compare,
)
from samvirke.tenancy.http import OrgRequest

#: Each content language named in itself, as the interface's language switcher names them.
LANGUAGE_NAMES = {"da": "Dansk", "nb": "Norsk bokmål", "en": "English"}
MAX_TERM_LENGTH = 200


@dataclass(frozen=True)
class Content:
    """The content language of a request and the query string that keeps it on links."""

    lang: str
    query: str

    @classmethod
    def of(cls, request: OrgRequest) -> Content:
        requested = request.GET.get("lang")
        lang = content_language(requested)
        return cls(lang, f"?{urlencode({'lang': lang})}" if requested == lang else "")

    def choices(self, version: FrameworkVersion) -> list[dict[str, Any]]:
        """The languages the version is written in, for the content language switch."""
        codes = [code for code in CONTENT_LANGUAGES if code in (version.languages or [])]
        return [
            {"code": code, "name": LANGUAGE_NAMES[code], "current": code == self.lang}
            for code in codes
        ]


@dataclass
class Shown:
    """A node as a page shows it: title in the content language and the address of its page."""

    node: Node
    title: Text
    url: str
    children: list[Shown] = field(default_factory=list)


def node_url(node: Node, content: Content) -> str:
    """The address of a node's page, keeping the content language."""
    version = node.version
    args = [version.framework.key, version.version, node.key]
    return reverse("frameworks:node_detail", args=args) + content.query


def shown(node: Node, content: Content) -> Shown:
    return Shown(node, text_in(node.title, content.lang), node_url(node, content))


def shown_tree(items: list[TreeNode], content: Content) -> list[Shown]:
    result = []
    for item in items:
        entry = shown(item.node, content)
        entry.children = shown_tree(item.children, content)
        result.append(entry)
    return result


def version_label(version: FrameworkVersion, lang: str) -> Text:
    """A version's title with its version, unless the title names it already ("CSF 2.0")."""
    title = text_in(version.title, lang)
    if version.version in title.text:
        return title
    return Text(f"{title.text} {version.version}", title.lang)


def _version_context(version: FrameworkVersion, content: Content) -> dict[str, Any]:
    """What every page about a version shows in its heading."""
    return {
        "framework": version.framework,
        "version": version,
        "content": content,
        "languages": content.choices(version),
        "version_title": version_label(version, content.lang),
        "version_description": text_in(version.description, content.lang),
        "version_url": reverse(
            "frameworks:version_detail", args=[version.framework.key, version.version]
        ),
    }


# --- pages -----------------------------------------------------------------------------------


@require_GET
@permission_required(None)
def framework_list(request: OrgRequest) -> HttpResponse:
    """Every framework with its versions, licence and source."""
    content = Content.of(request)
    rows = [
        {"framework": framework, "title": text_in(framework.title, content.lang)}
        for framework in frameworks_with_versions()
    ]
    return render(request, "frameworks/framework_list.html", {"rows": rows, "content": content})


@require_GET
@permission_required(None)
def framework_detail(request: OrgRequest, framework_key: str) -> HttpResponse:
    """A framework's address leads to its latest version."""
    version = latest_version(framework_key)
    url = reverse("frameworks:version_detail", args=[framework_key, version.version])
    return redirect(url + Content.of(request).query)


def _search_term(request: OrgRequest) -> str:
    return request.GET.get("q", "").strip()[:MAX_TERM_LENGTH]


@require_GET
@permission_required(None)
def version_detail(request: OrgRequest, framework_key: str, version: str) -> HttpResponse:
    """A version's tree, a search in it, and its coverage of the frameworks it is mapped to."""
    found = version_get(framework_key, version)
    content = Content.of(request)
    term = _search_term(request)
    results = [shown(n, content) for n in version_search(found, term)] if term else []
    context = {
        **_version_context(found, content),
        "term": term,
        "results": results,
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    if htmx and not htmx.history_restore_request:
        return render(request, "frameworks/partials/search_results.html", context)
    context["tree"] = shown_tree(build_tree(version_nodes(found)), content)
    context["coverage"] = [
        {"row": row, "title": version_label(row.version, content.lang)}
        for row in version_coverage(found)
    ]
    context["other_versions"] = found.framework.versions.exclude(pk=found.pk).order_by(
        "-loaded_at", "-id"
    )
    return render(request, "frameworks/version_detail.html", context)


def _numbered_texts(texts: dict[str, Any], lang: str) -> list[tuple[str, Text]]:
    """Levels or recommendations keyed by level number, in order."""
    ordered = sorted(texts.items(), key=lambda item: (len(item[0]), item[0]))
    return [(level, text_in(value, lang)) for level, value in ordered if isinstance(value, dict)]


@require_GET
@permission_required(None)
def node_detail(
    request: OrgRequest, framework_key: str, version: str, node_key: str
) -> HttpResponse:
    """One node: its texts, levels, recommendations, mappings and coverage in other frameworks."""
    found = version_get(framework_key, version)
    node = node_get(found, node_key)
    content = Content.of(request)
    nodes = version_nodes(found)
    children = [shown(n, content) for n in nodes if n.parent_id == node.pk]
    groups = [
        {
            "version": g.version,
            "title": text_in(g.version.title, content.lang),
            "links": [(link, shown(link.node, content)) for link in g.links],
        }
        for g in node_links(node)
    ]
    coverage = []
    if children:
        coverage = [
            {
                "coverage": c,
                "title": text_in(c.version.title, content.lang),
                "nodes": [shown(n, content) for n in c.covered],
            }
            for c in node_coverage(node, list(linked_versions(found).values()), nodes)
        ]
    context = {
        **_version_context(found, content),
        "node": node,
        "title": text_in(node.title, content.lang),
        "description": text_in(node.description, content.lang),
        "help": text_in(node.help, content.lang),
        "levels": _numbered_texts(node.level_texts() if node.is_question else {}, content.lang),
        "recommendations": _numbered_texts(node.recommendations or {}, content.lang),
        "ancestors": [shown(n, content) for n in ancestors(nodes, node)],
        "children": children,
        "groups": groups,
        "coverage": coverage,
    }
    return render(request, "frameworks/node_detail.html", context)


@require_GET
@permission_required(None)
def version_compare(request: OrgRequest, framework_key: str) -> HttpResponse:
    """What changed between two versions: added, removed and changed nodes by id."""
    framework = framework_get(framework_key)
    versions = list(framework.versions.order_by("-loaded_at", "-id"))
    content = Content.of(request)
    wanted_old, wanted_new = request.GET.get("from"), request.GET.get("to")
    by_name = {v.version: v for v in versions}
    if (wanted_old and wanted_old not in by_name) or (wanted_new and wanted_new not in by_name):
        raise Http404
    new = by_name.get(wanted_new or "") or (versions[0] if versions else None)
    old = by_name.get(wanted_old or "") or next((v for v in versions if v != new), None)
    context: dict[str, Any] = {
        "framework": framework,
        "framework_title": text_in(framework.title, content.lang),
        "versions": versions,
        "content": content,
        "old": old,
        "new": new,
    }
    if old is not None and new is not None and old != new:
        for version in (old, new):
            version.framework = framework
        comparison = versions_compare(old, new)
        context["comparison"] = comparison
        context["added"] = [shown(n, content) for n in comparison.added]
        context["removed"] = [shown(n, content) for n in comparison.removed]
        context["changed"] = [
            {"change": c, "old": text_in(c.old.title, content.lang), "new": shown(c.new, content)}
            for c in comparison.changed
        ]
    return render(request, "frameworks/version_compare.html", context)
