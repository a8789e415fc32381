"""What the registry tells the apps above it, which it does not import."""

from django.dispatch import Signal

# Sent inside the import's transaction after a heads CSV is applied, with ``actor`` and
# ``origin``: accountability links the new appointments to their officers (issue 24).
heads_imported = Signal()

# Sent inside the approval's transaction when an approved camera change takes effect, with
# ``facility``, ``room_ids`` (the rooms the camera covered before or covers now) and ``now``:
# video queues the coverage work that gives the stays of the last day the new map's figures
# (video/camera_map.py). registry/camera_changes.py refuses to approve without a receiver.
camera_map_changed = Signal()
