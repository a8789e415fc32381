from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscrowConfig(AppConfig):
    name = "custodywatch.escrow"
    verbose_name = _("Footage escrow")

    def ready(self) -> None:
        from custodywatch.escrow.blackouts import blackout_lock, blackout_unlock_future
        from custodywatch.video.signals import blackout_closed, blackout_opened

        blackout_opened.connect(blackout_lock, dispatch_uid="escrow.blackout_lock")
        blackout_closed.connect(blackout_unlock_future, dispatch_uid="escrow.blackout_unlock")
