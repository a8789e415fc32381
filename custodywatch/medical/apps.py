from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    name = "custodywatch.medical"
    verbose_name = _("Independent medical examinations")

    def ready(self) -> None:
        from custodywatch.custody.signals import custody_death, medical_check_recorded
        from custodywatch.medical.referrals import on_custody_death, on_medical_check

        # Custody (below medical) tells it of a death and of its own examinations; the
        # referral opens in custody's transaction (medical/referrals.py).
        custody_death.connect(on_custody_death, dispatch_uid="medical.on_custody_death")
        medical_check_recorded.connect(on_medical_check,
                                       dispatch_uid="medical.on_medical_check")
