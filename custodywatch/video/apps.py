from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "custodywatch.video"
    verbose_name = _("Video oversight")

    def ready(self) -> None:
        from custodywatch.custody.hooks import register_record_section
        from custodywatch.custody.signals import room_time_changed
        from custodywatch.video import camera_map, ledger_rows
        from custodywatch.video.coverage_jobs import coverage_work_on_room_time
        from custodywatch.video.record_page import record_coverage_section

        ledger_rows.register()  # the ledger checks and opens this app's leaves
        camera_map.register()  # the registry's blind-room count, coverage work, cameras page
        # Custody (below video) tells it a stay's or an action's period changed: the coverage
        # work is queued in custody's transaction.
        room_time_changed.connect(coverage_work_on_room_time,
                                  dispatch_uid="video.coverage_work_on_room_time")
        # The custody record page shows the custody's blind time (custody/hooks.py).
        register_record_section("video.coverage", record_coverage_section)
