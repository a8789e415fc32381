"""The reports' hand-computed dataset (tests/reports/conftest.py), reused."""

from tests.reports.conftest import NOW, Dataset, at, dataset  # noqa: F401
