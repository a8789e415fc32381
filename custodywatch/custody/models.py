"""Data and invariants of the custody app."""
