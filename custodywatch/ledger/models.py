"""Data and invariants of the ledger app."""
