"""The capability table (accounts.capabilities) is the one place that names roles: the code
asks it, docs/security.md shows it, and a scan of custodywatch/ keeps it so (issue 26)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from custodywatch.accounts.capabilities import (
    ROLE_BOUND_SCOPE,
    ROLE_CAPABILITIES,
    Capability,
    CapabilitySet,
    UnknownCapability,
    bound_scope,
    has_capability,
    matrix_markdown,
    roles_with,
    user_can,
)
from custodywatch.accounts.models import Role, Scope
from custodywatch.accounts.policies import FACILITY_POLICY
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "custodywatch"
# The table itself, the Role enum's own module, and the demo data (which creates one person
# of each role: data, not a permission).
ALLOWED = {"accounts/capabilities.py", "accounts/models.py", "demo"}
ROLE_VALUES = frozenset(Role.values)


def _allowed(relative: str) -> bool:
    return relative.endswith("/demo.py") or any(
        relative == entry or relative.startswith(entry + "/") for entry in ALLOWED)


def _imports_role(tree: ast.Module) -> set[str]:
    """The local names of accounts.models.Role in a module."""
    return {alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "custodywatch.accounts.models"
            for alias in node.names if alias.name == "Role"}


def _is_role_read(node: ast.AST) -> bool:
    """``x.role`` or ``getattr(x, "role", ...)``."""
    if isinstance(node, ast.Attribute) and node.attr == "role":
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "getattr" and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant) and node.args[1].value == "role")


def python_offences(source: str) -> list[tuple[int, str]]:
    """Where a Python module decides by role instead of asking the table."""
    tree = ast.parse(source)
    role_names = _imports_role(tree)
    # Another enum's member may share a role's value (HandlingBody.OMBUDSPERSON).
    members = {id(value) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef)
               for stmt in cls.body if isinstance(stmt, ast.Assign)
               for value in ([stmt.value.elts[0]] if isinstance(stmt.value, ast.Tuple)
                             and stmt.value.elts else [stmt.value])}
    found = []
    for node in ast.walk(tree):
        # A member of the Role enum, in a set, a comparison, a query or a constant.
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in role_names and node.attr.isupper()):
            found.append((node.lineno, f"Role.{node.attr}"))
        # A role read and compared (a case party's role, CaseParty.Role, is another thing).
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_role_read(op) for op in operands) and "CaseParty" not in ast.unparse(node):
                found.append((node.lineno, ast.unparse(node)))
        # A raw role value: "system_admin" and its kind, anywhere but a model's own choices.
        if isinstance(node, ast.Constant) and node.value in ROLE_VALUES \
                and id(node) not in members:
            found.append((node.lineno, repr(node.value)))
    return found


TEMPLATE_OFFENCE = re.compile(r"\.role\b|[\"'](" + "|".join(sorted(ROLE_VALUES)) + r")[\"']")


def template_offences(source: str) -> list[tuple[int, str]]:
    """A template that reads a person's role (``user.role == ...``) or a raw role value;
    ``get_role_display`` (showing the role) is fine, and ``caps`` is the way to decide."""
    return [(number, line.strip()) for number, line in enumerate(source.splitlines(), 1)
            if TEMPLATE_OFFENCE.search(line)]


def _scan(root: Path) -> list[str]:
    offences = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if "migrations" in path.parts or "locale" in path.parts or _allowed(relative):
            continue
        if path.suffix == ".py":
            found = python_offences(path.read_text(encoding="utf-8"))
        elif path.suffix in (".html", ".txt") and "templates" in path.parts:
            found = template_offences(path.read_text(encoding="utf-8"))
        else:
            continue
        offences += [f"{relative}:{line}: {what}" for line, what in found]
    return offences


def test_no_role_is_named_outside_the_table():
    """Permissions are decided by capabilities (has_capability, user_can, roles_with, the
    policies, ``caps`` in templates), never by comparing roles: add a capability to
    accounts/capabilities.py instead."""
    assert _scan(SOURCE) == []


@pytest.mark.parametrize(("source", "offence"), [
    ("from custodywatch.accounts.models import Role\nX = {Role.ANALYST}\n", "Role.ANALYST"),
    ("from custodywatch.accounts.models import Role as R\nok = u.role == R.ANALYST\n",
     "Role.ANALYST"),
    ("ok = request.user.role in READERS\n", "request.user.role in READERS"),
    ("ok = user.role != 'state_system'\n", "'state_system'"),
    ("ok = getattr(user, 'role', None) in MACHINES\n", "getattr(user, 'role', None) in MACHINES"),
    ("q = User.objects.filter(role__in=['npm_monitor'])\n", "'npm_monitor'"),
])
def test_the_scan_finds_each_kind_of_role_check(source, offence):
    assert offence in [what for _line, what in python_offences(source)]


def test_the_scan_leaves_case_parties_and_templates_that_show_a_role_alone():
    assert python_offences("if party.role != CaseParty.Role.VICTIM:\n    pass\n") == []
    assert python_offences("from custodywatch.cases.models import CaseParty\n"
                           "Role = CaseParty.Role\nX = Role.VICTIM\n") == []
    assert python_offences("class Body(TextChoices):\n"
                           "    OMBUDSPERSON = 'ombudsperson', _('Ombudsperson')\n") == []
    assert template_offences("{{ user.get_role_display }}{% if caps.run_cases %}{% endif %}") \
        == []
    assert template_offences('{% if user.role == "system_admin" %}') != []


def test_every_role_has_its_entry_and_bound_scopes_are_real_roles():
    assert set(ROLE_CAPABILITIES) == set(Role)
    assert set(ROLE_BOUND_SCOPE) <= set(Role)
    assert {bound_scope(role) for role in ROLE_BOUND_SCOPE} <= {Scope.FACILITY, Scope.REGION}
    # Every capability is held by someone (a capability nobody holds is dead code).
    assert [cap for cap in Capability if not roles_with(cap)] == []


def test_docs_show_the_table_as_it_is():
    """docs/security.md holds the matrix between its markers: regenerate it with
    ``python -c "from custodywatch.accounts.capabilities import matrix_markdown as m;
    print(m())"`` after changing the table."""
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    start = text.index("<!-- capabilities:start -->\n") + len("<!-- capabilities:start -->\n")
    end = text.index("<!-- capabilities:end -->")
    assert text[start:end] == matrix_markdown()


@pytest.mark.django_db
def test_capabilities_follow_the_account(people):
    admin, analyst = people["admin"], people["analyst"]
    assert has_capability(admin, Capability.EDIT_REGISTRY)
    assert not has_capability(analyst, Capability.EDIT_REGISTRY)
    assert not has_capability(AnonymousUser(), Capability.READ_REPORTS)
    assert not has_capability(None, Capability.READ_REPORTS)
    # The machine accounts: an agent writes video and signs in nowhere; e-appeals reads nothing.
    assert has_capability(people["agent_a"], Capability.WRITE_VIDEO)
    assert not has_capability(people["agent_a"], Capability.SIGN_IN_ON_WEB)
    analyst.is_active = False
    assert has_capability(analyst, Capability.READ_REPORTS)
    assert not user_can(analyst, Capability.READ_REPORTS)


@pytest.mark.django_db
def test_templates_read_caps_and_a_misspelt_one_fails(people):
    template = Template("{% if caps.edit_registry %}import{% endif %}")
    assert template.render(Context({"caps": CapabilitySet(people["admin"])})) == "import"
    assert template.render(Context({"caps": CapabilitySet(people["analyst"])})) == ""
    assert template.render(Context({"caps": CapabilitySet(AnonymousUser())})) == ""
    with pytest.raises(UnknownCapability):
        Template("{% if caps.edit_registri %}x{% endif %}").render(
            Context({"caps": CapabilitySet(people["admin"])}))


@pytest.mark.django_db
def test_the_facility_policy_puts_the_scope_on_top_of_the_capability(people, facility_a,
                                                                      facility_b):
    head_a, duty_a, admin = people["head_a"], people["duty_a"], people["admin"]
    prosecutor_a, gpo = people["prosecutor_a"], people["gpo"]
    # Facility staff write their own facility only; an administrator any.
    assert FACILITY_POLICY.can(duty_a, "write_custody", facility_a)
    assert not FACILITY_POLICY.can(duty_a, "write_custody", facility_b)
    assert FACILITY_POLICY.can(admin, "write_custody", facility_b)
    assert not FACILITY_POLICY.can(prosecutor_a, "write_custody", facility_a)
    # Scoped by facility_q: a regional prosecutor in his region, the GPO everywhere.
    assert FACILITY_POLICY.can(prosecutor_a, "open_escrowed_footage", facility_a)
    assert not FACILITY_POLICY.can(prosecutor_a, "open_escrowed_footage", facility_b.pk)
    assert FACILITY_POLICY.can(gpo, "open_escrowed_footage", facility_b)
    assert not FACILITY_POLICY.can(head_a, "open_escrowed_footage", facility_a)
    assert set(FACILITY_POLICY.instances(prosecutor_a, "approve_camera_change")) == {facility_a}
    assert set(FACILITY_POLICY.instances(head_a, "propose_camera_change")) == {facility_a}
    assert not FACILITY_POLICY.instances(head_a, "approve_camera_change").exists()
    monitor = make_user("cap_monitor", Role.NPM_MONITOR)
    assert set(FACILITY_POLICY.instances(monitor, "approve_camera_change")) == {
        facility_a, facility_b}
