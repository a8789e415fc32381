from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "custodywatch.video"
    verbose_name = _("Video oversight")

    def ready(self) -> None:
        from custodywatch.video import camera_map, ledger_rows

        ledger_rows.register()  # the ledger checks and opens this app's leaves
        camera_map.register()  # the registry's blind-room count, coverage work, cameras page
