"""The cases app's constants: clock terms (from settings), upload limits. Who opens and runs
cases is RUN_CASES in accounts.capabilities (prosecutors: the prosecutor's office has
exclusive jurisdiction over torture since 2023; a regional prosecutor, within his region)."""

from __future__ import annotations

from django.conf import settings

from custodywatch.complaints.rules import MAX_ATTACHMENT_BYTES
from custodywatch.kernels.case_clocks import CaseTerms, terms_from_settings

MAX_PHOTO_BYTES = MAX_ATTACHMENT_BYTES
MAX_EVIDENCE_BYTES = 2 * 1024 * 1024 * 1024  # footage copies may be large; hashed streaming
MAX_IMPORT_ROWS = 5000
# A term of imprisonment longer than a life is a typing error (the longest term is 25 years).
MAX_IMPRISONMENT_MONTHS = 1200


def case_terms() -> CaseTerms:
    """The art. 12 clock terms: defaults in the kernel, overridden by settings.CASES_TERMS."""
    return terms_from_settings(getattr(settings, "CASES_TERMS", None))
