"""Recommendations of every mechanism (issue 24, item 6): the SPT, the UPR and the special
procedures beside the UN CAT, each with its official reference, the groups concerned and SDG
targets; a public read-only page of them and their status that never shows a visit's."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.visits import services
from custodywatch.visits.models import AffectedGroup, Category, Source
from tests.visits.conftest import TODAY, issue

pytestmark = pytest.mark.django_db


def international(monitor, police, source=Source.UPR, reference="A/HRC/43/10, para. 140.63",
                  text="Investigate every allegation of torture.", **extra):
    return services.recommendation_issue(
        acting_user=monitor, origin=SYSTEM_ORIGIN, source=source, text=text,
        category=Category.SAFEGUARDS, addressee_body=police, responsible_official="Minister",
        issued_on=TODAY, deadline=TODAY, cat_reference=reference, **extra)


def test_groups_and_sdg_targets_are_kept_checked_and_ordered(monitor, police):
    made = international(monitor, police, affected_groups=["victims", "children", "victims"],
                         sdg_targets=[" 16.A", "5.2", "16.3"])
    assert made.affected_groups == ["children", "victims"]
    assert made.sdg_targets == ["5.2", "16.3", "16.a"]
    assert made.affected_group_labels == ["Children", "Victims of torture and their families"]


@pytest.mark.parametrize(("field", "extra"), [
    ("sdg_targets", {"sdg_targets": ["18.1"]}),
    ("sdg_targets", {"sdg_targets": ["16"]}),
    ("affected_groups", {"affected_groups": ["everyone"]}),
    ("cat_reference", {"reference": " "}),
])
def test_bad_tags_and_a_missing_reference_name_their_field(monitor, police, field, extra):
    with pytest.raises(ValidationError) as refused:
        international(monitor, police, **extra)
    assert field in refused.value.message_dict


def test_the_public_page_shows_international_recommendations_never_a_visits(
        client, monitor, police, visit):
    upr = international(monitor, police, affected_groups=[AffectedGroup.VICTIMS],
                        sdg_targets=["16.3"])
    spt = international(monitor, police, source=Source.SPT, reference="CAT/OP/KAZ/2, para. 35",
                        text="Examine every detainee on arrival.")
    from_visit = issue(monitor, visit, police, text="Cell R1 of FA-1: detainee Ivanov hurt.")
    page = client.get(reverse("visits:public_recommendations"))  # nobody signed in
    assert page.status_code == 200
    shown = page.content.decode()
    assert upr.text in shown and spt.text in shown and "A/HRC/43/10" in shown
    assert from_visit.text not in shown and "Ivanov" not in shown
    assert "16.3" in shown and "Victims of torture" in shown
    only_spt = client.get(reverse("visits:public_recommendations"), {"source": "spt"})
    assert spt.text in only_spt.content.decode() and upr.text not in only_spt.content.decode()
    by_group = client.get(reverse("visits:public_recommendations"), {"group": "victims"})
    assert upr.text in by_group.content.decode() and spt.text not in by_group.content.decode()
    none = client.get(reverse("visits:public_recommendations"), {"group": "children"})
    assert b'data-testid="no-recommendations"' in none.content
    # A visit's recommendation cannot be asked for as a source either.
    refused = client.get(reverse("visits:public_recommendations"), {"source": "visit"})
    assert from_visit.text not in refused.content.decode()
