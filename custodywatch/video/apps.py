from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "custodywatch.video"
    verbose_name = _("Video oversight")
