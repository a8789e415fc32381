from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "custodywatch.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from custodywatch.cases import complaint_page, ledger_rows
        from custodywatch.cases.selectors import accused_officer_ids
        from custodywatch.custody.hooks import register_accused_officers

        ledger_rows.register()  # the ledger checks and opens this app's leaves
        # The complaint page (complaints, below cases) shows its cases and accused officers,
        # and links and unlinks them (the accuse and unaccuse actions).
        complaint_page.register()
        # Custody (a lower layer) asks which investigators are accused elsewhere (issue 22).
        register_accused_officers(accused_officer_ids)
