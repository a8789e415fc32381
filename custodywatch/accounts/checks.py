"""System checks of the accounts app (``custodywatch check``, every management command)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from custodywatch.accounts import audit


@checks.register(checks.Tags.security)
def audit_has_ledger(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every audit event needs its ledger leaf: an installation without the appender refuses."""
    if audit._appender is None:
        return [checks.Error(
            "No audit appender is registered: audit events would miss their ledger leaves.",
            hint="Add custodywatch.ledger to INSTALLED_APPS (LedgerConfig.ready registers it).",
            id="custodywatch.accounts.E001",
        )]
    return []
