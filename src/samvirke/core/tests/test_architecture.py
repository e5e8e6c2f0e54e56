"""The architecture lint (scripts/check_architecture.py): the project passes, and it catches breaks.

The failing cases are written into a temporary directory laid out like the repository, never
into src.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = ROOT / "scripts" / "check_architecture.py"


def _lint() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_architecture", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lint = _lint()


def problems_in(tmp_path: Path, relative: str, text: str) -> list[str]:
    """Write one file into an otherwise empty repository layout and check it."""
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return list(lint.check(tmp_path))


def test_the_project_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_scope_escape_in_a_copy_of_the_project_fails(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "src",
        tmp_path / "src",
        ignore=shutil.ignore_patterns("static", "__pycache__", "*.sqlite3", "library", "data"),
    )
    before = set(lint.check(tmp_path))
    leak = tmp_path / "src/samvirke/tenancy/leak.py"
    leak.write_text("from django_scopes import scopes_disabled\n", encoding="utf-8")
    new = set(lint.check(tmp_path)) - before
    assert len(new) == 1 and new.pop().startswith("src/samvirke/tenancy/leak.py:1: ")
    assert lint.main(["check_architecture.py", str(tmp_path)]) == 1


@pytest.mark.parametrize(
    "relative, text, line",
    [
        ("src/samvirke/x/views.py", "from django_scopes import scopes_disabled\n", 1),
        ("src/samvirke/x/views.py", "rows = Thing.objects.with_scopes_disabled().all()\n", 1),
        ("src/samvirke/x/queries.py", "rows = Thing._base_manager.all()\n", 1),
        ("src/samvirke/x/views.py", "html = mark_safe(user_text)\n", 1),  # arch: safe-ok
        ("src/samvirke/x/templates/x/page.html", "<p>{{ note|safe }}</p>\n", 1),
        ("src/samvirke/x/templates/x/page.html", "{% autoescape off %}{{ note }}\n", 1),
        ("src/samvirke/x/queries.py", 'cursor.execute(f"SELECT * FROM t WHERE id = {pk}")\n', 1),
        ("src/samvirke/x/queries.py", 'cursor.execute("SELECT * FROM t WHERE id = %s" % pk)\n', 1),
        ("src/samvirke/x/queries.py", 'Thing.objects.raw("SELECT {}".format(column))\n', 1),
        ("src/samvirke/x/queries.py", 'sql = "SELECT " + column\ncursor.execute(sql)\n', 2),
        ("src/samvirke/x/queries.py", 'Thing.objects.extra(where=["id = 1"])\n', 1),
        ("src/samvirke/x/tasks.py", "with scope(organisation=None):\n    pass\n", 1),
        ("src/samvirke/x/tasks.py", "with organisation_scope(None):\n    pass\n", 1),
        ("src/samvirke/x/tests/test_x.py", "with organisation_scope(None):\n    pass\n", 1),
    ],
)
def test_a_broken_rule_fails_with_file_and_line(
    tmp_path: Path, relative: str, text: str, line: int
) -> None:
    problems = problems_in(tmp_path, relative, text)
    assert len(problems) == 1
    assert problems[0].startswith(f"{relative}:{line}:")


@pytest.mark.parametrize(
    "relative, text",
    [
        ("src/samvirke/benchmarking/service.py", "from django_scopes import scopes_disabled\n"),
        ("src/samvirke/x/migrations/0002_data.py", "rows = Thing._base_manager.all()\n"),
        ("src/samvirke/x/tests/test_x.py", "from django_scopes import scopes_disabled\n"),
        ("src/conftest.py", "from django_scopes import scopes_disabled\n"),
        ("src/samvirke/x/views.py", "html = mark_safe(CONSTANT)  # arch: safe-ok\n"),
        ("src/samvirke/x/templates/x/page.html", "{{ svg|safe }}{# arch: safe-ok #}\n"),
        ("src/samvirke/x/templates/x/mail.txt", "{% autoescape off %}{{ name }}\n"),
        ("src/samvirke/x/queries.py", 'cursor.execute("SELECT * FROM t WHERE id = %s", [pk])\n'),
        ("src/samvirke/x/tests/test_x.py", 'cursor.execute(f"DELETE FROM t WHERE id = {pk}")\n'),
        ("src/samvirke/core/scoping.py", "with scope(organisation=None):\n    pass\n"),
        ("src/samvirke/x/tasks.py", "with organisation_scope(organisation.pk):\n    pass\n"),
    ],
)
def test_allowed_places_and_reviewed_lines_pass(tmp_path: Path, relative: str, text: str) -> None:
    assert problems_in(tmp_path, relative, text) == []
