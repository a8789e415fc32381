"""Reference data every installation needs: Kazakhstan's regions and the custodial agencies.

Regions as since the 2022 reform (Abai, Jetisu and Ulytau created): 17 regions and 3 cities
of republican significance, with ISO 3166-2:KZ codes. grid_row/grid_col place each region in
a tile-grid map that keeps the country's rough shape (west left, north top).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custodywatch.registry.models import Agency, Region

# code, kind, English, Russian, Kazakh, grid row, grid column
REGIONS: list[tuple[str, str, str, str, str, int, int]] = [
    ("KZ-27", "region", "West Kazakhstan Region", "Западно-Казахстанская область",
     "Батыс Қазақстан облысы", 1, 0),
    ("KZ-15", "region", "Aktobe Region", "Актюбинская область", "Ақтөбе облысы", 1, 1),
    ("KZ-39", "region", "Kostanay Region", "Костанайская область", "Қостанай облысы", 0, 2),
    ("KZ-59", "region", "North Kazakhstan Region", "Северо-Казахстанская область",
     "Солтүстік Қазақстан облысы", 0, 3),
    ("KZ-11", "region", "Akmola Region", "Акмолинская область", "Ақмола облысы", 1, 3),
    ("KZ-71", "city", "Astana", "Астана", "Астана", 1, 4),
    ("KZ-55", "region", "Pavlodar Region", "Павлодарская область", "Павлодар облысы", 0, 4),
    ("KZ-23", "region", "Atyrau Region", "Атырауская область", "Атырау облысы", 2, 0),
    ("KZ-62", "region", "Ulytau Region", "Улытауская область", "Ұлытау облысы", 2, 2),
    ("KZ-35", "region", "Karaganda Region", "Карагандинская область", "Қарағанды облысы", 2, 3),
    ("KZ-10", "region", "Abai Region", "Абайская область", "Абай облысы", 2, 4),
    ("KZ-63", "region", "East Kazakhstan Region", "Восточно-Казахстанская область",
     "Шығыс Қазақстан облысы", 1, 5),
    ("KZ-47", "region", "Mangystau Region", "Мангистауская область", "Маңғыстау облысы", 3, 0),
    ("KZ-43", "region", "Kyzylorda Region", "Кызылординская область", "Қызылорда облысы", 3, 1),
    ("KZ-61", "region", "Turkistan Region", "Туркестанская область", "Түркістан облысы", 3, 2),
    ("KZ-79", "city", "Shymkent", "Шымкент", "Шымкент", 4, 2),
    ("KZ-31", "region", "Jambyl Region", "Жамбылская область", "Жамбыл облысы", 3, 3),
    ("KZ-19", "region", "Almaty Region", "Алматинская область", "Алматы облысы", 3, 4),
    ("KZ-75", "city", "Almaty", "Алматы", "Алматы", 4, 4),
    ("KZ-33", "region", "Jetisu Region", "Область Жетісу", "Жетісу облысы", 3, 5),
]

# code, kind, English, Russian, Kazakh
AGENCIES: list[tuple[str, str, str, str, str]] = [
    ("MVD", "police", "Ministry of Internal Affairs (police)",
     "Министерство внутренних дел (полиция)", "Ішкі істер министрлігі (полиция)"),
    ("KUIS", "penitentiary", "Criminal Executive System Committee",
     "Комитет уголовно-исполнительной системы", "Қылмыстық-атқару жүйесі комитеті"),
    ("KNB", "national_security", "National Security Committee",
     "Комитет национальной безопасности", "Ұлттық қауіпсіздік комитеті"),
    ("AFM", "financial_monitoring", "Financial Monitoring Agency",
     "Агентство по финансовому мониторингу", "Қаржылық мониторинг агенттігі"),
    ("APK", "anti_corruption", "Anti-Corruption Agency",
     "Агентство по противодействию коррупции", "Сыбайлас жемқорлыққа қарсы іс-қимыл агенттігі"),
    ("MO-VP", "military_police", "Military Police (Ministry of Defence)",
     "Военная полиция (Министерство обороны)", "Әскери полиция (Қорғаныс министрлігі)"),
    ("MZ", "health", "Ministry of Health", "Министерство здравоохранения",
     "Денсаулық сақтау министрлігі"),
]


def load_reference_data(region_model: type[Region], agency_model: type[Agency]) -> None:
    """Create or update the regions and agencies; the models are passed in so the data
    migration can use its historical models and everyone else the current ones."""
    for code, kind, en, ru, kk, row, col in REGIONS:
        region_model.objects.update_or_create(
            code=code,
            defaults={"kind": kind, "name_en": en, "name_ru": ru, "name_kk": kk,
                      "grid_row": row, "grid_col": col},
        )
    for code, kind, en, ru, kk in AGENCIES:
        agency_model.objects.update_or_create(
            code=code, defaults={"kind": kind, "name_en": en, "name_ru": ru, "name_kk": kk}
        )
