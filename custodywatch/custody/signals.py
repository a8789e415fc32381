"""What custody tells the apps above it, which it does not import. Each is sent inside the
transaction of the write that causes it, so a receiver's work commits with that write or not
at all (a receiver that raises rolls the write back).

- ``room_time_changed``: a room stay's or an investigative action's period was written, with
  ``room_id``, ``started_at`` and ``ended_at`` (None: still open). Its stored blind time is
  void: video queues the coverage work that recomputes it (video/coverage_jobs.py).
- ``custody_death``: custody ended in a death, with ``record`` and ``now``: medical opens the
  investigation, the holds, the autopsy request and the death's own record
  (medical/referrals.py).
- ``medical_check_recorded``: the facility's own examination was written, with ``record``,
  ``check`` and ``injuries`` (how many were listed): medical refers an injury or a declared
  allegation by itself (medical/referrals.py).
"""

from django.dispatch import Signal

room_time_changed = Signal()
custody_death = Signal()
medical_check_recorded = Signal()
