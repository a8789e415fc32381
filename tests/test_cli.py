from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from custodywatch.accounts.services import token_authenticate
from custodywatch.registry.models import Facility

pytestmark = pytest.mark.django_db


def test_token_create_prints_a_working_facility_token(people, facility_a):
    out = StringIO()
    call_command("token", "create", "--username", "agent_a", "--facility", "FA-1", stdout=out)
    token = token_authenticate(out.getvalue().strip())
    assert token is not None and token.facility == facility_a


@pytest.mark.parametrize(("args", "field"), [
    (["--username", "nobody"], "--username"),
    (["--username", "agent_a", "--facility", "NOPE"], "--facility"),
])
def test_token_create_bad_input_exits_2(people, args, field):
    with pytest.raises(CommandError) as error:
        call_command("token", "create", *args)
    assert error.value.returncode == 2
    assert field in str(error.value)


@pytest.mark.parametrize(("username", "message"), [
    ("agent_a", "bound to that facility only"), ("head_a", "bound to that facility only"),
    ("prosecutor_a", "outside the scope of prosecutor_a")])
def test_token_create_refuses_a_facility_other_than_the_accounts_own(people, facility_b,
                                                                     username, message):
    """A binding never widens an account (issue 17, item 4): the agent and the head of FA-1,
    and Almaty's prosecutor, get no token bound to FB-1 (Karaganda), and nothing is stored."""
    from custodywatch.accounts.models import MachineToken

    with pytest.raises(CommandError) as error:
        call_command("token", "create", "--username", username, "--facility", "FB-1")
    assert error.value.returncode == 2
    assert "--facility" in str(error.value) and message in str(error.value)
    assert not MachineToken.objects.exists()


def test_a_country_wide_token_may_be_narrowed_to_one_facility(people, facility_a):
    """Narrowing stays possible (custody's register of one facility, tests/custody/test_api.py);
    it gives no write the account lacks (tests/security/test_token_write_matrix.py)."""
    out = StringIO()
    call_command("token", "create", "--username", "admin", "--facility", "FA-1", stdout=out)
    assert token_authenticate(out.getvalue().strip()).facility == facility_a


def test_registry_import_command_reports_lines_and_exits_2(people, tmp_path):
    csv_file = tmp_path / "facilities.csv"
    csv_file.write_text("code,name,kind,region,agency\nC-1,A,police_station,KZ-75,MVD\n"
                        "C-2,B,prison,KZ-75,MVD\n")
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("registry_import", "facilities", str(csv_file), stderr=err)
    assert error.value.returncode == 2
    assert "facilities.csv line 3: kind: " in err.getvalue()
    assert not Facility.objects.filter(code="C-1").exists()
    out = StringIO()
    good = tmp_path / "good.csv"
    good.write_text("code,name,kind,region,agency\nC-1,A,police_station,KZ-75,MVD\n")
    call_command("registry_import", "facilities", str(good), stdout=out)
    assert "1 created" in out.getvalue()

