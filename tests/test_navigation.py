"""The menu shows each person exactly the modules he may open: every item shown answers 200,
every item hidden would have refused him. Every human role, so a new role is checked too."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from custodywatch.accounts.models import Role
from custodywatch.navigation import NAVIGATION
from tests.conftest import make_user, sign_in

HUMAN_ROLES = [role for role in Role if role not in (Role.EDGE_AGENT, Role.STATE_SYSTEM)]


def _user_of(role: Role, facility):
    if role in (Role.FACILITY_HEAD, Role.DUTY_OFFICER):
        return make_user(f"nav_{role}", role, facility=facility)
    if role == Role.REGIONAL_PROSECUTOR:
        return make_user(f"nav_{role}", role, region=facility.region)
    return make_user(f"nav_{role}", role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", HUMAN_ROLES, ids=str)
def test_menu_items_shown_open_and_hidden_ones_refuse(role, facility_a):
    client = sign_in(Client(), _user_of(role, facility_a))
    home = client.get("/")
    assert home.status_code == 200
    menu = re.search(r'<nav class="mainnav".*?</nav>', home.content.decode(), re.S).group(0)
    shown = set(re.findall(r'href="([^"]+)"', menu))
    assert shown, "every person has at least the dashboard"
    for item in NAVIGATION:
        status = client.get(item.url, follow=True).status_code
        if item.url in shown:
            assert status == 200, (role, item.key, status)
        else:
            assert status in (403, 404), (role, item.key, status)


@pytest.mark.django_db
def test_a_tile_links_only_to_a_page_its_reader_may_open(facility_a):
    analyst = sign_in(Client(), make_user("nav_analyst", Role.ANALYST))
    page = analyst.get("/").content.decode()
    assert 'data-testid="tile-complaints"' in page
    tile_links = re.findall(r'<a class="tile[^"]*" href="([^"]+)"', page)
    assert tile_links
    assert not [link for link in tile_links if link.startswith(("/cases/", "/complaints/"))]
    for link in tile_links:
        assert analyst.get(link, follow=True).status_code == 200, link


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "own_page"), [
    (Role.LAWYER, "whereabouts"), (Role.HOTLINE_OPERATOR, "whereabouts_operator")], ids=str)
def test_a_person_who_reads_no_scope_is_shown_no_empty_module(role, own_page):
    """A lawyer and a hotline operator read no facility: the registry, custody, video, visits
    and live-view pages would only show them empty lists, so they are neither shown nor
    opened; their own question and the public pages are."""
    client = sign_in(Client(), make_user(f"noscope_{role}", role))
    assert {item.key for item in NAVIGATION if item.url in _menu_links(client)} == {
        "home", own_page, "public_recommendations"}
    for scoped in ("registry", "custody", "video", "visits", "liveview"):
        item = next(item for item in NAVIGATION if item.key == scoped)
        assert client.get(item.url).status_code == 403, scoped


def _menu_links(client) -> set[str]:
    page = client.get("/").content.decode()
    menu = re.search(r'<nav class="mainnav".*?</nav>', page, re.S).group(0)
    return set(re.findall(r'href="([^"]+)"', menu))
