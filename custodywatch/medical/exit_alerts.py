"""Issue 21: the exit-examination alert. A custody that ended in a release or a transfer
without an independent medical examination before it is a custody alert (clock
``exit_examination``), raised by medical's periodic job (medical/tasks.py) and e-mailed,
acknowledged and escalated as every custody alert is (custody/alerts.py: its sweep mails
the alerts not yet e-mailed). Custody, below medical, does not import this module.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef

from custodywatch.custody.models import CustodyAlert, CustodyRecord
from custodywatch.medical.models import Examination, Occasion

# A release or a transfer must follow an independent medical examination (medical/). Ends
# that move the person out of the facility's hands; looked back over a bounded window.
EXIT_ENDS = ("released", "transferred", "arrest_ordered")
# An examination recorded up to this long after the end still counts (batch systems send the
# end first), and the alert waits for it.
EXIT_EXAMINATION_GRACE = dt.timedelta(hours=2)
# An examination this long before the end is the exit examination.
EXIT_EXAMINATION_BEFORE = dt.timedelta(hours=24)
EXIT_LOOKBACK = dt.timedelta(days=30)


def exit_examination_alerts_raise(*, now: dt.datetime) -> int:
    """One alert per custody that ended in a release or transfer without an independent
    examination (occasion release or transfer) in the 24 h before the end; idempotent."""
    ended = CustodyRecord.objects.filter(
        end_reason__in=EXIT_ENDS, ended_at__lte=now - EXIT_EXAMINATION_GRACE,
        ended_at__gte=now - EXIT_LOOKBACK,
    ).exclude(alerts__clock=CustodyAlert.Clock.EXIT_EXAMINATION)
    examined = Examination.objects.filter(
        custody_record=OuterRef("pk"), occasion__in=[Occasion.RELEASE, Occasion.TRANSFER],
        examined_at__gte=F("custody_record__ended_at") - EXIT_EXAMINATION_BEFORE)
    missing = list(ended.filter(~Exists(examined)).values_list("pk", "ended_at"))
    CustodyAlert.objects.bulk_create(
        [CustodyAlert(custody_record_id=pk, clock=CustodyAlert.Clock.EXIT_EXAMINATION,
                      level=CustodyAlert.Level.NOT_EXAMINED, warning_seconds=0, due_at=ended_at,
                      raised_at=now) for pk, ended_at in missing], ignore_conflicts=True)
    return len(missing)
