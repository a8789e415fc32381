"""Issue 26, item 6: model writes live in the services, never in a view, a form, an API
module or a management command (those call a service, which is atomic and audited).

A scan of the product's source: any ``save``/``delete``/``bulk_*``/``*_or_create`` call, or
``create``/``update`` on a manager or queryset (``X.objects.…``, ``….filter(…).update(…)``),
in one of those modules fails the test with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "custodywatch"
ALWAYS_WRITES = {"save", "delete", "bulk_create", "bulk_update", "get_or_create",
                 "update_or_create"}
QUERYSET_WRITES = {"create", "update"}
QUERYSET_CALLS = {"objects", "filter", "exclude", "all", "select_for_update"}


def _entry_modules() -> list[Path]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if "/migrations/" in rel:
            continue
        if (path.name in ("views.py", "forms.py", "api.py") or path.name.endswith("_api.py")
                or "/management/commands/" in rel):
            found.append(path)
    return sorted(found)


def _on_queryset(node: ast.expr) -> bool:
    """``X.objects…`` or a chain of ``filter``/``exclude``/``all`` calls."""
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr in QUERYSET_CALLS:
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return False


def writes_in(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name in ALWAYS_WRITES or (name in QUERYSET_WRITES
                                     and _on_queryset(node.func.value)):
            found.append((node.lineno, ast.unparse(node)[:80]))
    return found


def test_the_scan_finds_what_it_looks_for():
    source = """
def view(request):
    TOTPDevice.objects.create(user=request.user)
    Case.objects.filter(pk=1).update(status="x")
    obj.save(update_fields=["a"])
    digest.update(chunk)
    bar.update(3)
"""
    assert [line for line, _call in writes_in(source)] == [3, 4, 5]


def test_no_model_writes_in_views_forms_api_or_commands():
    modules = _entry_modules()
    assert any(path.name == "views.py" for path in modules)
    assert any("/management/commands/" in path.as_posix() for path in modules)
    offending = [f"{path.relative_to(PACKAGE.parent)}:{line}: {call}"
                 for path in modules for line, call in writes_in(path.read_text())]
    assert offending == [], "write through a service instead:\n" + "\n".join(offending)
