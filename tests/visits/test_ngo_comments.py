"""Issue 24 item 6 (the rest): registered NGOs comment on the public recommendations; a
comment that may identify a person is held for a moderator; the organisation's name is shown;
an NGO reads nothing that is not public."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.accounts.services import user_create
from custodywatch.custody.models import CustodyRecord
from custodywatch.kernels.personal_data import findings
from custodywatch.visits import services
from custodywatch.visits.models import CommentStatus, RecommendationComment, Source
from tests.conftest import make_user
from tests.visits.conftest import issue
from tests.visits.test_public_recommendations import international

pytestmark = pytest.mark.django_db


@pytest.fixture
def ngo(db):
    return user_create(acting_user=None, origin=SYSTEM_ORIGIN, username="kibhr",
                       password="correct horse battery", role=Role.NGO,
                       organisation="Kazakhstan International Bureau for Human Rights")


@pytest.fixture
def upr(monitor, police):
    return international(monitor, police)


@pytest.mark.parametrize(("text", "why"), [
    ("Задержанный Иванов Пётр избит в ИВС.", ["name"]),
    ("Сейтқали Әсет Ұлықбекұлы подвергся пыткам.", ["name"]),
    ("His IIN is 900101300123.", ["iin"]),
    ("Call +7 (701) 123-45-67 or write to mother@mail.kz", ["email", "phone"]),
    ("The Ministry of Internal Affairs has not installed cameras in Almaty.", []),
    ("Камеры в ИВС Алматы до сих пор не установлены.", []),
])
def test_what_may_identify_a_person(text, why):
    assert findings(text) == why


def test_a_detainees_name_from_the_register_is_found_in_either_order():
    assert findings("We met Marat Seitkali at the centre.", known=["seitkali marat"]) == [
        "name"]
    assert findings("We met Marat Seitkali at the centre.") == []


def test_registration_needs_the_organisations_name(db, people):
    with pytest.raises(ValidationError) as error:
        user_create(acting_user=None, origin=SYSTEM_ORIGIN, username="x", password=None,
                    role=Role.NGO)
    assert "organisation" in error.value.message_dict
    # Only an administrator registers anyone.
    with pytest.raises(PermissionDenied):
        user_create(acting_user=people["gpo"], origin=SYSTEM_ORIGIN, username="y",
                    password=None, role=Role.NGO, organisation="Y")
    made = user_create(acting_user=people["admin"], origin=SYSTEM_ORIGIN, username="z",
                       password=None, role=Role.NGO, organisation=" Adilet ")
    assert made.organisation == "Adilet" and made.scope == "country"
    assert AuditEvent.objects.filter(object_type="accounts.user", object_id=str(made.pk),
                                     detail__organisation="Adilet").exists()


def test_a_clean_comment_is_published_with_the_organisation(ngo, upr, client, signed_in):
    client = signed_in(ngo)
    response = client.post(reverse("visits:recommendation_comment", args=[upr.pk]),
                           {"text": "Cameras are still missing in most isolators."})
    assert response.status_code == 302
    comment = RecommendationComment.objects.get()
    assert comment.status == CommentStatus.PUBLISHED and comment.organisation == (
        "Kazakhstan International Bureau for Human Rights")
    assert AuditEvent.objects.filter(object_type="visits.recommendationcomment",
                                     action=AuditEvent.Action.CREATE).count() == 1
    client.logout()
    page = client.get(reverse("visits:public_recommendations")).content.decode()
    assert "Cameras are still missing in most isolators." in page
    assert "Kazakhstan International Bureau for Human Rights" in page
    assert "kibhr" not in page  # the account's name is never shown


def test_a_comment_naming_a_detainee_is_held_until_a_moderator_publishes(
        ngo, upr, facility_a, people, client, signed_in):
    CustodyRecord.objects.create(
        facility=facility_a, full_name="Marat Seitkali", detained_at=timezone.now(),
        detained_place="street", detaining_officer="officer", grounds="art. 128",
        arrived_at=timezone.now(), detention_due_at=timezone.now())
    comment = services.comment_add(acting_user=ngo, origin=SYSTEM_ORIGIN, recommendation=upr,
                                   text="Seitkali Marat was beaten again last week.")
    assert comment.status == CommentStatus.HELD and comment.held_for == ["name"]
    public = client.get(reverse("visits:public_recommendations")).content.decode()
    assert "beaten again" not in public
    moderator = make_user("moderator", Role.NPM_MONITOR)
    with pytest.raises(ValidationError) as error:
        services.comment_moderate(acting_user=moderator, origin=SYSTEM_ORIGIN, comment=comment,
                                  publish=False)
    assert "note" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.comment_moderate(acting_user=people["gpo"], origin=SYSTEM_ORIGIN,
                                  comment=comment, publish=True)
    signed_in(moderator)
    queue = client.get(reverse("visits:comment_moderation"))
    assert queue.status_code == 200 and "beaten again" in queue.content.decode()
    assert client.post(reverse("visits:comment_moderate", args=[comment.pk]),
                       {"decision": "reject", "note": "Names a detainee."}).status_code == 302
    comment.refresh_from_db()
    assert comment.status == CommentStatus.REJECTED and comment.moderated_by == moderator
    assert AuditEvent.objects.filter(object_type="visits.recommendationcomment",
                                     object_id=str(comment.pk),
                                     action=AuditEvent.Action.UPDATE).count() == 1
    client.logout()
    assert "beaten again" not in client.get(
        reverse("visits:public_recommendations")).content.decode()


def test_only_ngos_comment_and_only_on_public_recommendations(
        ngo, upr, monitor, police, visit, people, client, signed_in):
    from_visit = issue(monitor, visit, police)
    assert from_visit.source == Source.VISIT
    with pytest.raises(PermissionDenied):
        services.comment_add(acting_user=ngo, origin=SYSTEM_ORIGIN, recommendation=from_visit,
                             text="x")
    with pytest.raises(PermissionDenied):
        services.comment_add(acting_user=people["gpo"], origin=SYSTEM_ORIGIN,
                             recommendation=upr, text="x")
    with pytest.raises(ValidationError) as error:
        services.comment_add(acting_user=ngo, origin=SYSTEM_ORIGIN, recommendation=upr,
                             text="   ")
    assert "text" in error.value.message_dict
    signed_in(ngo)
    assert client.post(reverse("visits:recommendation_comment", args=[from_visit.pk]),
                       {"text": "x"}).status_code == 404
    client.logout()
    signed_in(people["head_a"])
    assert client.post(reverse("visits:recommendation_comment", args=[upr.pk]),
                       {"text": "x"}).status_code == 403
    assert RecommendationComment.objects.count() == 0
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     object_type="visits.recommendation").count() == 2


def test_an_ngo_sees_nothing_that_is_not_public(ngo, upr, monitor, police, visit,
                                               client, signed_in):
    issue(monitor, visit, police)
    signed_in(ngo)
    home = client.get("/")
    assert home.status_code == 200
    assert "Kazakhstan International Bureau for Human Rights" in home.content.decode()
    for name, kwargs in (("registry:facility_list", None), ("custody:index", None),
                         ("visits:calendar", None), ("visits:tracker", None),
                         ("visits:visit_detail", {"pk": visit.pk}),
                         ("visits:recommendation_detail", {"pk": upr.pk}),
                         ("visits:comment_moderation", None), ("reports:cat", None),
                         ("cases:crisis_centres", None), ("cases:index", None),
                         ("liveview:index", None), ("video:overview", None)):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 403, name
    assert client.get("/admin/").status_code in (302, 403)
    assert client.get("/api/v1/facilities").status_code in (401, 403, 404)
    # The public pages answer.
    assert client.get(reverse("visits:public_recommendations")).status_code == 200
    assert client.get(reverse("reports:open_data")).status_code == 200
    assert client.get(reverse("accounts:preferences")).status_code == 200
