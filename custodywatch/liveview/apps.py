from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveviewConfig(AppConfig):
    name = "custodywatch.liveview"
    verbose_name = _("Live view")
