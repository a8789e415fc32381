"""One row schema for charges (cases.charge_rows), read by the CSV import and the API batch
alike: the same bad row gets the same error, naming its line (a file's, after the header) or
its row number (a batch's) and the field; nothing is written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from custodywatch.cases import batch
from custodywatch.cases.models import Charge
from tests.cases.conftest import ERDR_A, ORIGIN

pytestmark = pytest.mark.django_db


def _refusals(cw, rows, source: str) -> list[str]:
    with pytest.raises(ValidationError) as error:
        batch.charges_import(acting_user=cw.people["prosecutor_a"], origin=ORIGIN, rows=rows,
                             source=source)
    return error.value.message_dict["rows"]


def test_the_same_bad_row_is_refused_alike_through_the_file_and_the_batch(cw):
    row = {"register_number": ERDR_A, "accused": "A", "victim": "V", "article": "146",
           "victim_iin": "12345", "imprisonment_months": "1e30", "amnesty": "perhaps"}
    from_batch = _refusals(cw, [row], "api")
    header = ",".join(row)
    from_file = _refusals(cw, batch.parse_csv(f"{header}\n{','.join(row.values())}\n"), "csv")
    assert sorted(from_batch) == [
        "line 1: amnesty: yes or no",
        "line 1: imprisonment_months: not a whole number of months",
        "line 1: victim_iin: an IIN has 12 digits"]
    assert sorted(from_file) == [m.replace("line 1:", "line 2:") for m in sorted(from_batch)]
    assert not Charge.objects.exists()

