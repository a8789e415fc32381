"""The Victim Compensation Fund's reference tables: the monthly calculation index (MCI) by
year and the one-time compensation per category in MCI units. Loaded by the migration, and
again by the demo (cheap when present); an administrator adds each new year's MCI."""

from __future__ import annotations

# The MCI by year (republican budget laws; for 2020 and 2022 the rate from 1 January).
MCI = {2019: "2525", 2020: "2651", 2021: "2917", 2022: "3063", 2023: "3450", 2024: "3692",
       2025: "3932", 2026: "4325"}
BASIS = ("Law of the Republic of Kazakhstan «On the Victims Compensation Fund» "
         "(10 January 2018 No. 131-VI), amounts of one-time compensation")
TARIFFS = {"torture": "30", "torture_grave": "40"}


def load_fund_tables(mci_model: type, tariff_model: type) -> None:
    for year, amount in MCI.items():
        mci_model.objects.get_or_create(year=year, defaults={"amount": amount})  # type: ignore[attr-defined]  # a migration's model
    for category, units in TARIFFS.items():
        tariff_model.objects.get_or_create(  # type: ignore[attr-defined]  # a migration's model
            category=category, defaults={"units": units, "basis": BASIS})
