from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "custodywatch.accountability"
    verbose_name = _("Accountability and compensation")

    def ready(self) -> None:
        from custodywatch.accountability import cat
        from custodywatch.accountability.services import heads_link_officers
        from custodywatch.registry.signals import heads_imported

        def link(sender: object, *, actor: object, origin: object, **kwargs: object) -> None:
            heads_link_officers(actor=actor, origin=origin)  # type: ignore[arg-type]  # a signal's kwargs

        heads_imported.connect(link, weak=False, dispatch_uid="accountability.heads_link")
        cat.register()  # its tables and rows of the UN CAT statistics (reports)
