from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "custodywatch.accounts"
    verbose_name = _("Accounts and audit")

    def ready(self) -> None:
        from custodywatch.accounts import signals  # noqa: F401  (connects the receivers)
