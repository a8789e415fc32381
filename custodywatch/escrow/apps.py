from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscrowConfig(AppConfig):
    name = "custodywatch.escrow"
    verbose_name = _("Footage escrow")
