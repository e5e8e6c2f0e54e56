"""The Danish and Norwegian translations are complete: no missing and no fuzzy entries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

PACKAGE = Path(__file__).resolve().parents[2]
LANGUAGES = ["da", "nb"]
IGNORED = ["static/*", "*/tests/*", "frameworks/library/*", "*/migrations/*"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Extract every string of the current code into a copy of our catalogues."""
    work = tmp_path_factory.mktemp("i18n")
    shutil.copytree(PACKAGE, work / "samvirke", ignore=shutil.ignore_patterns("vendor", "*.mo"))
    cwd = os.getcwd()
    os.chdir(work / "samvirke")
    try:
        with override_settings(LOCALE_PATHS=[str(work / "samvirke" / "locale")]):
            call_command(
                "makemessages",
                locale=LANGUAGES,
                ignore_patterns=IGNORED,
                no_obsolete=True,
                verbosity=0,
            )
    finally:
        os.chdir(cwd)
    return work / "samvirke" / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(extracted: Path, language: str) -> None:
    catalogue = polib.pofile(str(extracted / language / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated strings in {language}: {missing[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy strings in {language}: {fuzzy[:20]}"
