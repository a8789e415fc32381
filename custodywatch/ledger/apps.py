from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "custodywatch.ledger"
    verbose_name = _("Evidence ledger")

    def ready(self) -> None:
        from custodywatch.accounts.audit import register_audit_appender
        from custodywatch.ledger.appends import ledger_append_audit_event

        # accounts.audit, below the ledger, appends each audit event's leaf through this.
        register_audit_appender(ledger_append_audit_event)
