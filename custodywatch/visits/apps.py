from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "custodywatch.visits"
    verbose_name = _("Monitoring visits and recommendations")
