from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "custodywatch.complaints"
    verbose_name = _("Complaints and appeals")

    def ready(self) -> None:
        from custodywatch.complaints import ledger_rows

        ledger_rows.register()  # the ledger checks and opens this app's leaves
