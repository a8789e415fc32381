"""The guard of the rule "nothing a facility, its staff or its agent can read depends on a
complaint, investigation or referral against it" (docs/security.md).

A black-box diff. :class:`FacilityView` collects every read a facility's credentials can make:

- every GET operation of the ninja API, enumerated from its OpenAPI schema (so an operation
  added tomorrow is read the day it lands; a path parameter the guard has no value for fails
  with its name), with each of the facility's bearer tokens (its edge agent, its head's and
  duty officer's personal tokens) and with each of their web sessions;
- every page their sessions reach: each route of the URL configuration without parameters, and
  every same-site link found on those pages, followed breadth-first.

Use it around the action under test::

    view = facility_view_for(facility)   # every account bound to the facility
    view.snapshot()                    # warm-up: fills the readers' own audit trails
    before = view.snapshot()
    routine = view.snapshot()          # what changes by itself (own audit trail, clocks)
    ...file complaints, open a case...
    after = view.snapshot()
    assert_indistinguishable(before, routine, after)

A read that changed between ``routine`` and ``after`` fails unless it also changed between
``before`` and ``routine`` *in the same way* (the same lines added, times and numbers aside:
the facility's own audit trail lists the guard's own reads) or is a public answer, the same for
anyone at that moment (the signed ledger checkpoint): the routine changes that happen for every
facility whatever is done.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from custodywatch.accounts.models import User
from custodywatch.api import api
from custodywatch.registry.models import Facility
from tests.conftest import sign_in

# Links a crawl never follows: they act (sign-out, language, a fresh second-factor secret on
# every read) or are not pages.
SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/accounts/logout/", "/i18n/",
                 "/jsi18n/", "/accounts/two-factor/setup/")
MAX_PAGES = 400
PUBLIC = "(anyone)"

# Values for the API's path parameters, as the facility could guess or know them. A new
# parameter name fails the guard until it is taught here.
PathValues = Callable[[Facility], list[str]]


def _guessed_references(facility: Facility) -> list[str]:
    # Complaint references are sequential (C-<year>-<n>): a facility can guess them.
    from django.utils import timezone

    year = timezone.localtime().year
    return [f"C-{year}-{n:06d}" for n in range(1, 9)]


def _custody_record_ids(facility: Facility) -> list[str]:
    return [str(pk) for pk in facility.custody_records.order_by("pk").values_list("pk",
                                                                                    flat=True)]


def _camera_codes(facility: Facility) -> list[str]:
    return list(facility.cameras.order_by("code").values_list("code", flat=True))


PATH_VALUES: dict[str, PathValues] = {
    "code": lambda facility: [facility.code],
    "record_id": _custody_record_ids,
    "reference": _guessed_references,
    "register_number": lambda facility: ["1"],
    "camera": _camera_codes,
    "viewer_id": lambda facility: ["1"],
}


def api_reads(facility: Facility) -> list[str]:
    """Every GET operation of the API, its path parameters filled with the facility's values."""
    urls = []
    for path, operations in sorted(api.get_openapi_schema()["paths"].items()):
        if "get" not in operations:
            continue
        names = re.findall(r"{(\w+)}", path)
        combos: list[str] = [path]
        for name in names:
            assert name in PATH_VALUES, (
                f"GET {path}: teach tests/security/facility_view.py a value for {name!r}")
            combos = [url.replace("{" + name + "}", value) for url in combos
                      for value in PATH_VALUES[name](facility)]
        urls.extend(combos)
    return urls


def page_roots() -> list[str]:
    """Every route of the URL configuration without parameters (outside the admin and API)."""
    roots: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if "<" in route or "(" in route or route.startswith(("admin/", "api/")):
                    continue
                roots.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver(), "")
    return sorted(set(roots))


_LINK = re.compile(r'(?:href|src|action)="(/[^"#]*)"')
# What differs between two reads of the same page by construction, not by content.
_VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'nonce="[^"]+"'), 'nonce=""'),
    (re.compile(r'("X-CSRFToken": "|data-csrf-token=")[A-Za-z0-9]+'), r"\1"),
    # The clock: "as of 19:39" a minute later is not news.
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
     "<time>"),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b"), "<clock>"),
]


def _normalise(body: bytes, content_type: str) -> str:
    if "json" in content_type:
        try:
            return json.dumps(json.loads(body), sort_keys=True, indent=1, ensure_ascii=False)
        except ValueError:
            pass
    if content_type.startswith("text/") or "json" in content_type:
        text = body.decode(errors="replace")
        for pattern, replacement in _VOLATILE:
            text = pattern.sub(replacement, text)
        return text
    import hashlib

    if "pdf" in content_type:  # the moment it was made and its random file id are not news
        body = _PDF_VOLATILE.sub(b"", body)
    return f"<{content_type}: {len(body)} bytes sha256 {hashlib.sha256(body).hexdigest()}>"


_PDF_VOLATILE = re.compile(rb"/(?:CreationDate|ModDate)\s*\([^)]*\)|/ID\s*\[[^\]]*\]")


@dataclass
class FacilityView:
    facility: Facility
    tokens: dict[str, str]
    people: list[User]
    extra_pages: list[str] = field(default_factory=list)

    def snapshot(self) -> dict[str, str]:
        answers: dict[str, str] = {}
        # The same reads without credentials: a public answer (the signed ledger checkpoint,
        # open data) is everybody's, not the facility's (see ``differences``).
        anonymous = Client()
        for url in api_reads(self.facility):
            answers[f"{PUBLIC} GET {url}"] = self._answer(anonymous.get(url))
        for label, raw in sorted(self.tokens.items()):
            client = Client()
            for url in api_reads(self.facility):
                response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
                answers[f"{label} GET {url}"] = self._answer(response)
        for person in self.people:
            client = sign_in(Client(), person)
            for url in api_reads(self.facility):
                answers[f"{person.username} session GET {url}"] = self._answer(
                    client.get(url))
            for url, answer in self._crawl(client):
                answers[f"{person.username} page {url}"] = answer
        return answers

    @staticmethod
    def _answer(response) -> str:  # type: ignore[no-untyped-def]
        content_type = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        location = response.get("Location", "")
        return f"{response.status_code} {location}\n{_normalise(body, content_type)}"

    def _crawl(self, client: Client) -> Iterable[tuple[str, str]]:
        queue = deque([*page_roots(), *self.extra_pages])
        seen = set(queue)
        visited = 0
        while queue and visited < MAX_PAGES:
            url = queue.popleft()
            if url.startswith(SKIP_PREFIXES):
                continue
            response = client.get(url)
            visited += 1
            answer = self._answer(response)
            yield url, answer
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                for link in _LINK.findall(response.content.decode(errors="replace")):
                    link = link.replace("&amp;", "&")
                    if link not in seen and not link.startswith(SKIP_PREFIXES):
                        seen.add(link)
                        queue.append(link)


def facility_view_for(facility: Facility) -> FacilityView:
    """The view of every active account bound to the facility: a fresh bearer token for each
    (its edge agents, its head, its duty officers, whoever is added later) and a web session
    for each person among them."""
    from custodywatch.accounts.audit import SYSTEM_ORIGIN
    from custodywatch.accounts.models import Role
    from custodywatch.accounts.services import token_create

    users = list(User.objects.filter(facility=facility, is_active=True).order_by("username"))
    tokens = {user.username: token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=user)[0]
              for user in users}
    machines = {Role.EDGE_AGENT, Role.STATE_SYSTEM}
    return FacilityView(facility, tokens=tokens,
                        people=[user for user in users if user.role not in machines])


# Times, dates and row numbers: what a routine change (a read audited a minute later) moves.
_MOVING = re.compile(r"\d{4}-\d{2}-\d{2}[T ]?[\d:.]*(?:Z|[+-]\d{2}:?\d{2})?|\b\d{1,2}:\d{2}"
                     r"(?::\d{2})?\b|\b\d+\b")


def _added(old: str, new: str) -> Counter[str]:
    """The lines a read gained, times and numbers masked (a list that shows the latest rows
    also loses its oldest ones: those are not news)."""
    lines: Counter[str] = Counter()
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            lines[_MOVING.sub("#", line[1:]).strip()] += 1
    return lines


def differences(before: dict[str, str], routine: dict[str, str],
                after: dict[str, str]) -> list[str]:
    """Reads whose change after the action is not the routine change (see module docstring)."""
    found = []
    for label in sorted(set(routine) | set(after)):
        if label.startswith(PUBLIC):
            continue
        if label not in routine or label not in after:
            found.append(f"{label}: {'appeared' if label in after else 'disappeared'}")
            continue
        if routine[label] == after[label]:
            continue
        if " GET " in label:
            public = f"{PUBLIC} GET {label.split(' GET ', 1)[1]}"
            if after.get(public) == after[label] and routine.get(public) == routine[label]:
                continue  # a public answer, the same for anyone: not the facility's
        if label in before and before[label] != routine[label] and _added(
                before[label], routine[label]) == _added(routine[label], after[label]):
            continue  # it changes by itself, and changed the same way
        diff = "\n".join(list(difflib.unified_diff(routine[label].splitlines(),
                                                   after[label].splitlines(), lineterm="",
                                                   n=0))[2:12])
        found.append(f"{label}:\n{diff}")
    return found


def assert_indistinguishable(before: dict[str, str], routine: dict[str, str],
                             after: dict[str, str]) -> None:
    found = differences(before, routine, after)
    assert not found, "the facility can tell:\n" + "\n\n".join(found)
