from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "custodywatch.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from custodywatch.cases import ledger_rows

        ledger_rows.register()  # the ledger checks and opens this app's leaves
