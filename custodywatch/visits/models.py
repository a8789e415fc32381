"""Data and invariants of the visits app."""
