"""Shared fixtures: two facilities in two regions and one person per role, so every test
can check a denial as easily as a grant (the pattern of healthchecks' BaseTestCase)."""

from __future__ import annotations

import os
import shutil

import pytest
from django.test import Client
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodywatch.accountability.models import FundTariff, MciRate
from custodywatch.accountability.reference import MCI, load_fund_tables
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role, User
from custodywatch.accounts.services import user_create
from custodywatch.registry.models import Agency, Camera, Facility, Recorder, Region, Room
from custodywatch.registry.reference import REGIONS, load_reference_data

IN_CI = os.environ.get("CI", "").lower() == "true"

# pytest-xdist (`python3 dev.py test` passes `-n auto --dist loadfile`): each file runs on one
# worker, so module-scoped fixtures are built once; every test under these folders runs on one
# worker too, since they share a costly session fixture (tests/escrow: a SeaweedFS store).
# (pytest-xdist 3.8's `loadgroup` cannot rename pytest 9's node ids: its groups are ignored.)
SHARED_FOLDERS = ("tests/escrow/",)


@pytest.hookimpl(optionalhook=True)  # known only while pytest-xdist is loaded
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFolderScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for folder in SHARED_FOLDERS:
                if nodeid.startswith(folder):
                    return folder
            return super()._split_scope(nodeid)

    return SharedFolderScheduling(config, log)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On PostgreSQL no statement of a test runs past two minutes: a runaway query (a plan gone
    wrong, or one whose test already failed) would otherwise keep its locks and stall every
    test after it on that worker (pytest-timeout stops the test, not the server's query)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        options = database.setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c statement_timeout=120000").strip()


def require_or_skip(condition: bool, reason: str) -> None:
    """Skip locally when a real part is missing; in CI a missing part is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (mandatory when CI=true)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = True
    settings.CUSTODYWATCH_REQUIRE_2FA = True
    # Tests read English messages; the Kazakh and Russian pages have tests of their own.
    settings.LANGUAGE_CODE = "en"
    # Each test sees its own data at once; tests/video/test_overview_cache.py turns it on.
    settings.CUSTODYWATCH_OVERVIEW_CACHE_SECONDS = 0
    # Tasks (e-mail) run where they are queued; tests/core/test_worker.py and
    # tests/core/test_mail.py use the database backend and the worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with translation.override("en"):
        yield

@pytest.fixture
def task_queue(settings):
    """Tasks kept in the database as in production; ``task_queue()`` runs every ready one
    (core/worker.py) and returns how many ran."""
    from custodywatch.core.worker import run_one_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def run_ready() -> int:
        ran = 0
        while run_one_task(worker="test"):
            ran += 1
        return ran

    return run_ready


@pytest.fixture
def sealing_key(tmp_path, monkeypatch):
    """A private sealing key for one test (core/sealing.py reads the file named by the env)."""
    from custodywatch.core import sealing

    path = tmp_path / "sealing.key"
    path.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(path))
    return path


@pytest.fixture
def media_root(tmp_path, settings):
    """A private media folder for one test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def ensure_reference_data() -> None:
    """Regions and agencies come from a data migration; a transactional test's flush removes
    them for the tests after it, so fixtures put them back (cheap when they are there)."""
    if Region.objects.count() < len(REGIONS):
        load_reference_data(Region, Agency)
    if MciRate.objects.count() < len(MCI):
        load_fund_tables(MciRate, FundTariff)


def make_facility(code: str, region_code: str, *, rooms: int = 3, cameras: int = 2) -> Facility:
    ensure_reference_data()
    facility = Facility.objects.create(
        code=code,
        name=f"Facility {code}",
        kind=Facility.Kind.TEMPORARY_DETENTION,
        region=Region.objects.get(code=region_code),
        agency=Agency.objects.get(code="MVD"),
    )
    recorder = Recorder.objects.create(facility=facility, code="NVR1")
    room_objects = [
        Room.objects.create(facility=facility, code=f"R{n}", name=f"Cell {n}",
                            kind=Room.Kind.CELL, custody_use=True)
        for n in range(1, rooms + 1)
    ]
    Room.objects.create(facility=facility, code="X1", name="Corridor", kind=Room.Kind.CORRIDOR,
                        custody_use=False)
    for n in range(1, cameras + 1):
        camera = Camera.objects.create(facility=facility, recorder=recorder, code=f"CAM{n}")
        camera.rooms.add(room_objects[n - 1])
    return facility


@pytest.fixture
def facility_a(db) -> Facility:
    """In Almaty city: three custody rooms, two of them with a camera."""
    return make_facility("FA-1", "KZ-75")


@pytest.fixture
def facility_b(db) -> Facility:
    """In Karaganda region."""
    return make_facility("FB-1", "KZ-35")


def make_user(username: str, role: Role, *, region=None, facility=None) -> User:
    return user_create(acting_user=None, origin=SYSTEM_ORIGIN, username=username,
                       password="correct horse battery", role=role, region=region,
                       facility=facility,
                       organisation=f"NGO {username}" if role == Role.NGO else "")


@pytest.fixture
def people(facility_a, facility_b) -> dict[str, User]:
    almaty = facility_a.region
    return {
        "admin": make_user("admin", Role.SYSTEM_ADMIN),
        "gpo": make_user("gpo", Role.GENERAL_PROSECUTOR),
        "prosecutor_a": make_user("prosecutor_a", Role.REGIONAL_PROSECUTOR, region=almaty),
        "head_a": make_user("head_a", Role.FACILITY_HEAD, facility=facility_a),
        "head_b": make_user("head_b", Role.FACILITY_HEAD, facility=facility_b),
        "duty_a": make_user("duty_a", Role.DUTY_OFFICER, facility=facility_a),
        "analyst": make_user("analyst", Role.ANALYST),
        "agent_a": make_user("agent_a", Role.EDGE_AGENT, facility=facility_a),
    }


def sign_in(client: Client, user: User) -> Client:
    """A session that has passed both factors, as after a real sign-in."""
    device, _created = TOTPDevice.objects.get_or_create(user=user, name="test",
                                                        defaults={"confirmed": True})
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in(client):
    def _sign_in(user: User) -> Client:
        return sign_in(client, user)

    return _sign_in


@pytest.fixture(scope="session")
def chromium_path() -> str | None:
    """Debian's Chromium first (the one CI installs), then any other on PATH."""
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL server for oracle tests, from CUSTODYWATCH_TEST_POSTGRES_URL."""
    url = os.environ.get("CUSTODYWATCH_TEST_POSTGRES_URL", "")
    require_or_skip(bool(url), "no PostgreSQL: set CUSTODYWATCH_TEST_POSTGRES_URL")
    return url
