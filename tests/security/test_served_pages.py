"""Every page as served: a Content-Security-Policy without 'unsafe-inline' (or 'unsafe-eval')
for scripts, and no inline script or event handler in the HTML.

Pages come from the authorization matrix's table (tests/test_authorization_matrix.py), so a
new page is checked here as soon as it is in the table.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import sign_in
from tests.security.test_static_checks import template_findings
from tests.test_authorization_matrix import ROUTES

pytestmark = pytest.mark.django_db

# Who opens each page: the system administrator, and a prosecutor for complaint pages.
VIEWERS = ("admin", "gpo")


def script_sources(policy: str) -> list[str]:
    directives = {part.split()[0]: part.split()[1:]
                  for part in (p.strip() for p in policy.split(";")) if part}
    return directives.get("script-src", directives.get("default-src", []))


@pytest.mark.parametrize("policy, safe", [
    ("default-src 'self'; script-src 'self'", True),
    ("default-src 'self'", True),
    ("default-src 'self'; script-src 'self' 'unsafe-inline'", False),
    ("default-src 'self' 'unsafe-inline'", False),
    ("script-src 'self' 'unsafe-eval'", False),
])
def test_the_policy_reader(policy, safe):
    sources = script_sources(policy)
    assert ("'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources) is safe


def test_every_served_page_has_a_strict_script_policy(client, people, worlds):
    world = worlds["a"]
    checked = 0
    failures = []
    for username in (None, *VIEWERS):
        client.logout()
        if username:
            sign_in(client, people[username])
        for name, route in sorted(ROUTES.items()):
            if route.get_checks_sign_in_only:
                continue
            response = client.get(reverse(name, kwargs=route.kwargs(world)
                                          if route.kwargs else None))
            if response.status_code != 200 or "text/html" not in response.get(
                    "Content-Type", ""):
                continue
            checked += 1
            policy = response.get("Content-Security-Policy", "")
            sources = script_sources(policy)
            if not sources or "'unsafe-inline'" in sources or "'unsafe-eval'" in sources:
                failures.append(f"{name}: script policy {sources}")
            body = response.content.decode()
            findings = template_findings(body)
            if findings:
                failures.append(f"{name} as {username}: {findings[:3]}")
    assert checked >= 30
    assert failures == []
