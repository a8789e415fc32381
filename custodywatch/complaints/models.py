"""Data and invariants of the complaints app."""
