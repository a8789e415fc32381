from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

import custodywatch

LOCALE = Path(settings.LOCALE_PATHS[0])


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_interface_string_is_translated(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert missing == [] and fuzzy == []


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_placeholders_survive_translation(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    for entry in catalogue.translated_entries():
        for placeholder in ("%(", "{{"):
            sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
            targets = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
            if placeholder in sources[0]:
                assert all(placeholder in target for target in targets), entry.msgid


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("kk", "Кіру"), ("ru", "Войти"), ("en", "Sign in"),
])
def test_language_switch_changes_the_page(client, language, expected):
    response = client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("accounts:login"))
    assert f'lang="{language}"' in page.content.decode()
    assert expected in page.content.decode()
    translation.activate(settings.LANGUAGE_CODE)


def test_no_string_is_translated_once_at_import():
    """A module-level gettext() is translated in whatever language was active at import, for
    everyone; such constants must use gettext_lazy."""
    import ast

    eager_names = {"gettext", "ngettext", "pgettext"}
    found = []
    for path in sorted(Path(custodywatch.__file__).parent.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        eager = {alias.asname or alias.name for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
                 for alias in node.names if alias.name in eager_names}

        def scan(body, eager=eager, path=path):
            for statement in body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    continue
                if isinstance(statement, ast.ClassDef):
                    scan(statement.body)
                    continue
                found.extend(f"{path.name}:{node.lineno}" for node in ast.walk(statement)
                             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                             and node.func.id in eager)

        scan(tree.body)
    assert found == []


def test_every_string_in_the_code_is_in_the_catalogues(tmp_path):
    """Extract the strings afresh (Django's makemessages, GNU xgettext) from a copy of the
    package and find each in the committed catalogues, translated: a string that was never
    extracted (one inside an f-string, a new one) shows in English to every reader."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import require_or_skip

    require_or_skip(shutil.which("xgettext") is not None, "GNU gettext (xgettext) is missing")
    package = Path(custodywatch.__file__).parent
    copy = tmp_path / "custodywatch"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    environment = dict(os.environ, PYTHONPATH=str(tmp_path),
                       DJANGO_SETTINGS_MODULE="custodywatch.settings")
    command = [sys.executable, "-m", "django", "makemessages", "-l", "kk", "-l", "ru",
               "--no-obsolete", "-v", "0"]
    subprocess.run(command, cwd=copy, env=environment, check=True, timeout=300)
    for language in ("kk", "ru"):
        fresh = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
        committed = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
        known = {entry.msgid for entry in committed.translated_entries()
                 if not entry.obsolete and "fuzzy" not in entry.flags}
        missing = sorted(entry.msgid for entry in fresh if entry.msgid not in known)
        assert missing == [], f"{language}: not in the catalogue, or untranslated: {missing}"
