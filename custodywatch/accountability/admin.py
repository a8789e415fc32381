from django.contrib import admin

from custodywatch.accountability.models import FundTariff, MciRate
from custodywatch.accounts.admin_audit import AuditedAdmin


@admin.register(MciRate)
class MciRateAdmin(AuditedAdmin):
    list_display = ["year", "amount"]


@admin.register(FundTariff)
class FundTariffAdmin(AuditedAdmin):
    list_display = ["category", "units", "basis"]
