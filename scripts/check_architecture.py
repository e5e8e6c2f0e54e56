#!/usr/bin/env python3
"""Architecture rules as lint: the rules that must never break, checked on every CI run.

1. No way out of the organisation scope (`scopes_disabled`, `with_scopes_disabled`,
   `_base_manager`, `base_manager`, a plain `QuerySet(model)`) outside the few modules allowed to
   read across organisations (plain querysets: only the two named lookup managers).
2. No `mark_safe(` in Python and no `|safe` or `{% autoescape off %}` in templates, unless the
   line carries `# arch: safe-ok` / `{# arch: safe-ok #}` after a review. Plain-text templates
   (.txt, e-mail bodies) may turn autoescaping off: they are never read as HTML.
3. No `.extra(`, and no `.raw(` / `.execute(` with SQL built by an f-string, `%`, `.format` or
   `+` outside tests (mark a reviewed line `# arch: sql-ok`).
4. No scope entered with None (`scope(organisation=None)`, `organisation_scope(None)`):
   django-scopes reads None as "every organisation". Only core/scoping.py handles that case.

Usage: scripts/check_architecture.py [REPOSITORY_ROOT]; prints file:line messages, exits 1 on any.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

#: Where reading across organisations is allowed (paths relative to the repository root).
SCOPE_ESCAPE_ALLOWED = (
    "src/samvirke/benchmarking/*",  # the disclosure-controlled aggregation service
    # Add the operator's organisation management module here when it exists.
    "*/migrations/*",
    "*/tests/*",
    "src/conftest.py",
)
NONE_SCOPE_ALLOWED = ("src/samvirke/core/scoping.py",)
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml"}

SCOPE_ESCAPE = re.compile(
    r"\b(with_scopes_disabled|scopes_disabled|_?base_manager)\b|\b(\w*QuerySet)\(\s*(self\.)?model\b"
)
#: The named managers that must read outside one scope build a plain QuerySet: finding a user's
#: memberships or a secret's object before a scope exists, and a campaign's participation.
RAW_QUERYSET_ALLOWED = (
    "src/samvirke/core/models.py",
    "src/samvirke/tenancy/models.py",
    "src/samvirke/baseline/models.py",
)
MARK_SAFE = re.compile(r"\b(mark_safe|SafeString)\s*\(")
TEMPLATE_SAFE = re.compile(r"\|\s*safe(seq)?\b")
AUTOESCAPE_OFF = re.compile(r"{%\s*autoescape\s+off\s*%}")
SAFE_OK = "arch: safe-ok"
SQL_OK = "arch: sql-ok"
SQL_CALLS = {"raw", "execute", "executemany"}


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _allowed(relative: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch(relative, pattern) for pattern in patterns)


def _python_files(root: Path) -> Iterator[Path]:
    yield from sorted((root / "src").rglob("*.py"))


def _template_files(root: Path) -> Iterator[Path]:
    for path in sorted((root / "src").rglob("*")):
        if path.suffix in TEMPLATE_SUFFIXES and "templates" in path.parts:
            yield path


def check_scope_escapes(relative: str, lines: list[str]) -> Iterator[str]:
    """Rule 1: scopes_disabled, with_scopes_disabled and _base_manager outside the allow-list."""
    if _allowed(relative, SCOPE_ESCAPE_ALLOWED):
        return
    for number, line in enumerate(lines, 1):
        match = SCOPE_ESCAPE.search(line)
        if match and match.group(2) and _allowed(relative, RAW_QUERYSET_ALLOWED):
            continue
        if match:
            yield (
                f"{relative}:{number}: `{match.group(1) or match.group(2)}` reads across "
                "organisations; only the "
                "aggregation service, the audit chain check, migrations and tests may"
            )


def check_mark_safe(relative: str, lines: list[str]) -> Iterator[str]:
    """Rule 2 for Python: mark_safe( without the reviewed marker."""
    if fnmatch(relative, "*/migrations/*"):
        return
    for number, line in enumerate(lines, 1):
        if MARK_SAFE.search(line) and SAFE_OK not in line:
            yield f"{relative}:{number}: mark_safe() without `# {SAFE_OK}`; use format_html"


def check_template(relative: str, lines: list[str]) -> Iterator[str]:
    """Rule 2 for templates: |safe and autoescape off without the reviewed marker."""
    plain_text = relative.endswith(".txt")
    for number, line in enumerate(lines, 1):
        unsafe = TEMPLATE_SAFE.search(line) or (not plain_text and AUTOESCAPE_OFF.search(line))
        if unsafe and SAFE_OK not in line:
            yield f"{relative}:{number}: |safe or autoescape off without `{{# {SAFE_OK} #}}`"


def _is_built_string(node: ast.AST) -> bool:
    """An f-string with placeholders, `%` or `+` on strings, or a `.format(...)` call."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(value, ast.FormattedValue) for value in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return any(
            isinstance(side, ast.Constant | ast.JoinedStr) and _stringish(side)
            for side in (node.left, node.right)
        ) or (_is_built_string(node.left) or _is_built_string(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format"
    return False


def _stringish(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _built_names(tree: ast.AST) -> set[str]:
    """Names assigned a built string anywhere in the module (scopes ignored: err towards safe)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_built_string(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif (
            isinstance(node, ast.AugAssign | ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
            and (isinstance(node, ast.AugAssign) or _is_built_string(node.value))
        ):
            names.add(node.target.id)
    return names


def _call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return ""


def _sql_problem(node: ast.Call, built: set[str]) -> str | None:
    name = _call_name(node)
    if name == "extra" and isinstance(node.func, ast.Attribute):
        return ".extra() takes raw SQL; use the ORM or a reviewed .raw() with parameters"
    if name not in SQL_CALLS or not isinstance(node.func, ast.Attribute) or not node.args:
        return None
    sql = node.args[0]
    if _is_built_string(sql) or (isinstance(sql, ast.Name) and sql.id in built):
        return f".{name}() with SQL built from strings; pass values as parameters"
    return None


def _is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _none_scope_problem(node: ast.Call) -> str | None:
    name = _call_name(node)
    keywords = {k.arg: k.value for k in node.keywords}
    if name == "organisation_scope" and (
        (node.args and _is_none(node.args[0])) or _is_none(keywords.get("organisation_id"))
    ):
        return "organisation_scope(None)"
    if name == "scope" and (_is_none(keywords.get("organisation")) or _none_in_spread(node)):
        return "scope(organisation=None)"
    return None


def _none_in_spread(node: ast.Call) -> bool:
    """scope(**{SCOPE: None}) is scope(organisation=None) in disguise."""
    return any(
        k.arg is None and isinstance(k.value, ast.Dict) and any(map(_is_none, k.value.values))
        for k in node.keywords
    )


def check_python_calls(relative: str, lines: list[str], tree: ast.AST) -> Iterator[str]:
    """Rules 3 and 4: SQL built from strings, and scopes entered with None."""
    in_tests = fnmatch(relative, "*/tests/*") or fnmatch(relative, "*/migrations/*")
    none_allowed = _allowed(relative, NONE_SCOPE_ALLOWED)
    built = _built_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
        sql = None if in_tests or SQL_OK in line else _sql_problem(node, built)
        if sql:
            yield f"{relative}:{node.lineno}: {sql}"
        scope = None if none_allowed else _none_scope_problem(node)
        if scope:
            yield f"{relative}:{node.lineno}: {scope} enters every organisation's scope"


def check_python_file(path: Path, root: Path) -> list[str]:
    """Every rule for one Python file."""
    relative = _relative(path, root)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    try:
        tree = ast.parse(text, filename=relative)
    except SyntaxError as error:
        return [f"{relative}:{error.lineno}: cannot parse: {error.msg}"]
    return [
        *check_scope_escapes(relative, lines),
        *check_mark_safe(relative, lines),
        *check_python_calls(relative, lines, tree),
    ]


def check(root: Path) -> list[str]:
    """Every rule over a repository (or a copy of one); returns the problems as file:line text."""
    root = root.resolve()
    problems: list[str] = []
    for path in _python_files(root):
        problems += check_python_file(path, root)
    for path in _template_files(root):
        lines = path.read_text(encoding="utf-8").splitlines()
        problems += check_template(_relative(path, root), lines)
    return problems


def main(argv: list[str]) -> int:
    """Check the repository (or the directory given); exit 1 when any rule breaks."""
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"architecture rules: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("architecture rules: all pass")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
