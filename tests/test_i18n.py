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


# ---------------------------------------------------------------- languages of the people held
# The kiosk, the status page and the rights leaflet are also in ky, uz, tg and ug
# (complaints/languages.py); their catalogues are machine drafts marked for review. The
# strings they must translate are DERIVED from those pages: the views decorated with
# ``detainee_pages``, the complaints-app functions they call (helpers, selectors, services),
# the forms they use, the templates they render with their includes and bases, and the model
# choices the templates display. A new string on these pages fails here until translated.

GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext",
                 "ngettext_lazy"}


def _literal(node):
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _code_strings(function, seen, templates, forms):
    """gettext strings, template names and form classes of a function and of the
    complaints-app functions it calls (recursively)."""
    import ast
    import inspect
    import textwrap

    from django.forms import BaseForm

    from custodywatch.complaints import forms as complaint_forms

    function = inspect.unwrap(function)
    if function in seen:
        return set()
    seen.add(function)
    module = inspect.getmodule(function)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    found = set()
    for node in ast.walk(tree):
        text = _literal(node)
        if text is not None and text.endswith(".html"):
            templates.add(text)
        candidate = getattr(complaint_forms, node.id, None) if isinstance(node, ast.Name) \
            else None
        if isinstance(candidate, type) and issubclass(candidate, BaseForm):
            forms.add(candidate)
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES and node.args:
            msgid = _literal(node.args[-1] if node.func.id.startswith("p") else node.args[0])
            if msgid:
                found.add(msgid)
            continue
        target = None
        if isinstance(node.func, ast.Name):
            target = getattr(module, node.func.id, None)
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner = getattr(module, node.func.value.id, None)
            if inspect.ismodule(owner) and owner.__name__.startswith("custodywatch.complaints"):
                target = getattr(owner, node.func.attr, None)
        if inspect.isfunction(target) and target.__module__.startswith(
                "custodywatch.complaints"):
            found |= _code_strings(target, seen, templates, forms)
    return found


def _form_strings(form_class):
    import ast
    import inspect

    found = set()
    for klass in form_class.__mro__:
        if not klass.__module__.startswith("custodywatch.complaints"):
            continue
        for node in ast.walk(ast.parse(inspect.getsource(klass))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in GETTEXT_NAMES and node.args):
                msgid = _literal(node.args[0])
                if msgid:
                    found.add(msgid)
    return found


def _template_strings(name, seen):
    """The strings of a template, of the templates it includes and of those it extends."""
    import re

    from django.template import loader
    from django.template.loader_tags import ExtendsNode, IncludeNode
    from django.templatetags.i18n import BlockTranslateNode, TranslateNode

    from custodywatch.complaints.models import Complaint

    if name in seen:
        return set()
    seen.add(name)
    template = loader.get_template(name).template
    found = set()
    for node in template.nodelist.get_nodes_by_type(TranslateNode):
        literal = getattr(node.filter_expression.var, "literal", None)
        if isinstance(literal, str):
            found.add(str(literal))
    for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
        found.add(node.render_token_list(node.singular)[0])
        if node.plural:
            found.add(node.render_token_list(node.plural)[0])
    for node in template.nodelist.get_nodes_by_type(IncludeNode):
        if isinstance(node.template.var, str):
            found |= _template_strings(str(node.template.var), seen)
    for node in template.nodelist.get_nodes_by_type(ExtendsNode):
        if isinstance(node.parent_name.var, str):
            found |= _template_strings(str(node.parent_name.var), seen)
    source = template.source
    for field in set(re.findall(r"complaint\.get_(\w+)_display", source)):
        found |= {str(label) for _value, label in Complaint._meta.get_field(field).choices}
    return found


def detainee_page_strings():
    from custodywatch.complaints import (
        languages,
        views,  # noqa: F401  (registers the pages)
    )

    seen, templates, forms = set(), set(), set()
    strings = set()
    for view in languages.PAGES:
        strings |= _code_strings(view, seen, templates, forms)
    for form in forms:
        strings |= _form_strings(form)
    seen_templates = set()
    for name in templates:
        strings |= _template_strings(name, seen_templates)
    return strings, templates


def test_the_detainee_pages_strings_are_found():
    """The derivation reaches the pages: a kiosk, status and leaflet string each, a form
    label and a service's refusal."""
    strings, templates = detainee_page_strings()
    assert {"complaints/kiosk_form.html", "complaints/status.html",
            "complaints/rights.html"} <= templates
    assert {"Your complaint", "Complaint status", "Your rights in custody", "What happened?",
            "Read the answer to my complaint"} <= strings


@pytest.mark.parametrize("language", ["ky", "uz", "tg", "ug"])
def test_the_detainee_pages_are_translated(language):
    strings, _templates = detainee_page_strings()
    project = {entry.msgid for entry in
               polib.pofile(str(LOCALE / "kk" / "LC_MESSAGES" / "django.po"))}
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert "machine draft, to be reviewed" in catalogue.header
    translated = {entry.msgid for entry in catalogue.translated_entries()
                  if "fuzzy" not in entry.flags}
    missing = sorted((strings & project) - translated)
    assert missing == [], f"{language}: {missing}"
    for entry in catalogue.translated_entries():
        for placeholder in ("%(", "{{"):
            if placeholder in entry.msgid:
                assert placeholder in entry.msgstr, entry.msgid
