"""What video tells the apps above it, which it does not import."""

from django.dispatch import Signal

# Sent in the sweep's transaction with ``incident`` (a blackout CoverageIncident) and ``now``:
# escrow locks what the centre holds of the site (escrow/blackouts.py) / ends that lock's
# reach into the future once the site proves coverage again.
blackout_opened = Signal()
blackout_closed = Signal()
