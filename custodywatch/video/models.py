"""Data and invariants of the video app."""
