from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "custodywatch.accounts"
    verbose_name = _("Accounts and audit")

    def ready(self) -> None:
        from django.contrib import admin

        from custodywatch.accounts import checks, signals  # noqa: F401  (connects the receivers)
        from custodywatch.accounts.admin_audit import audit_every_admin

        # The admin registered every app's models before this runs (it comes first).
        audit_every_admin(admin.site)
