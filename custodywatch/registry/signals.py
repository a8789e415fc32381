"""What the registry tells the apps above it, which it does not import."""

from django.dispatch import Signal

# Sent inside the import's transaction after a heads CSV is applied, with ``actor`` and
# ``origin``: accountability links the new appointments to their officers (issue 24).
heads_imported = Signal()
