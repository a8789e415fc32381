from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveviewConfig(AppConfig):
    name = "custodywatch.liveview"
    verbose_name = _("Live view")

    def ready(self) -> None:
        from custodywatch.custody.hooks import register_record_section
        from custodywatch.liveview.selectors import feed_gaps_section

        # The custody record page's timeline shows the live feed's gaps (custody/hooks.py).
        register_record_section("liveview.feed_gaps", feed_gaps_section)
