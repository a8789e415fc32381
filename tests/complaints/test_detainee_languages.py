"""Issue 23, item 5: the kiosk, the status page and the rights leaflet in Kyrgyz, Uzbek, Tajik
and Uyghur (right-to-left), offered on those pages only; complaints in these languages are
triaged."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from custodywatch.complaints import receipts
from custodywatch.complaints.models import Category, Channel, Complaint
from tests.complaints.conftest import enrol

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _choose(client, facility, language):  # type: ignore[no-untyped-def]
    response = client.post(reverse("set_language"), {
        "language": language, "next": reverse("complaints:kiosk_form", args=[facility.code])})
    assert response.status_code == 302
    return client.get(response["Location"])


@pytest.mark.parametrize(("language", "heading", "rtl"), [
    ("ky", "Сиздин арызыңыз", False), ("uz", "Shikoyatingiz", False),
    ("tg", "Шикояти шумо", False), ("ug", "شىكايىتىڭىز", True),
])
def test_the_kiosk_form_in_the_languages_of_people_held(client, facility_a, language,
                                                        heading, rtl):
    enrol(client, facility_a)
    start = client.get(reverse("complaints:kiosk", args=[facility_a.code])).content.decode()
    assert f'name="language" value="{language}"' in start
    page = _choose(client, facility_a, language).content.decode()
    assert f'lang="{language}"' in page
    assert heading in page
    assert ('dir="rtl"' in page) is rtl


def test_a_complaint_typed_in_uyghur_at_the_kiosk_is_triaged(client, facility_a):
    enrol(client, facility_a)
    _choose(client, facility_a, "ug")
    response = client.post(reverse("complaints:kiosk_form", args=[facility_a.code]), {
        "text": "تەكشۈرگۈچى مېنى ئۇردى ۋە توك بىلەن قىينىدى", "facility": facility_a.pk,
        "still_in_custody": "on", "anonymous": "on"})
    assert response.status_code == 200, response.content[:500]
    assert 'dir="rtl"' in response.content.decode()
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.KIOSK
    assert complaint.language == "ug"
    assert complaint.category == Category.TORTURE


def test_the_status_page_switches_to_kyrgyz_with_the_code(client, file_complaint, facility_a):
    filed = file_complaint(facility=facility_a, pin="4821")
    assert receipts.is_short(filed.receipt_code)
    response = client.post(reverse("complaints:status"), {
        "code": filed.receipt_code, "pin": "4821", "language": "ky"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'lang="ky"' in page and "Билдирүүлөр" in page  # "Messages"
    assert 'value="ug" lang="ug"' in page  # the chooser offers the four languages


def test_the_rest_of_the_site_is_not_offered_in_these_languages(client, admin_user):
    """A language cookie set to Uyghur at the kiosk leaves an official's pages in the
    site's languages, and the site's own chooser does not list it."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ug"
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'lang="ug"' not in page and 'dir="rtl"' not in page
    assert 'value="ug"' not in page
    client.force_login(admin_user)
    page = client.get(reverse("complaints:inbox")).content.decode()
    assert 'lang="ug"' not in page


@pytest.mark.parametrize(("language", "title"), [
    ("ky", "Камакта кармалгандагы укуктарыңыз"), ("uz", "Qamoqdagi huquqlaringiz"),
    ("tg", "Ҳуқуқҳои шумо дар ҳабс"), ("ug", "تۇتۇپ تۇرۇلغاندىكى ھوقۇقلىرىڭىز"),
    ("kk", "Қамаудағы сіздің құқықтарыңыз"), ("ru", "Ваши права под стражей"),
])
def test_the_rights_leaflet_in_each_language(client, language, title):
    response = client.get(reverse("complaints:rights"), {"language": language})
    page = response.content.decode()
    assert response.status_code == 200
    assert title in page and 'data-print' in page
    assert ('dir="rtl"' in page) is (language == "ug")


def test_the_kiosk_offers_the_rights_leaflet(client, facility_a):
    enrol(client, facility_a)
    response = client.get(reverse("complaints:kiosk_rights", args=[facility_a.code]),
                          {"language": "tg"})
    assert response.status_code == 200
    assert "Ҳуқуқҳои шумо дар ҳабс" in response.content.decode()


def test_an_unknown_language_is_ignored(client):
    page = client.get(reverse("complaints:rights"), {"language": "xx"}).content.decode()
    assert 'lang="xx"' not in page
