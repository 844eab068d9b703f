"""The regional committees that agreements.RegionalCommittee held become network bodies
(kind regional_committee, scope first-level subdivision), with the same dates and sample flag;
going back copies them again."""

from django.db import migrations
from django.utils.text import slugify


def forward(apps, schema_editor):
    Old = apps.get_model("agreements", "RegionalCommittee")
    Body = apps.get_model("network", "Body")
    Subdivision = apps.get_model("core", "Subdivision")
    countries = dict(Subdivision.objects.values_list("code", "country_id"))
    bodies = []
    for old in Old.objects.order_by("id"):
        bodies.append(
            Body(
                key=slugify(f"comite-regional-{old.subdivision_id}-{old.pk}")[:80],
                name=old.name,
                kind="regional_committee",
                scope="subdivision",
                country_id=countries.get(old.subdivision_id),
                subdivision_id=old.subdivision_id,
                status="dissolved" if old.active_until else "active",
                founded_on=old.active_from,
                active_from=old.active_from,
                active_until=old.active_until,
                is_sample=old.is_sample,
                note="Migrado de los comités regionales de los APL.",
            )
        )
    Body.objects.bulk_create(bodies)


def backward(apps, schema_editor):
    Old = apps.get_model("agreements", "RegionalCommittee")
    Body = apps.get_model("network", "Body")
    committees = Body.objects.filter(
        kind="regional_committee", scope="subdivision", active_from__isnull=False
    )
    Old.objects.bulk_create(
        Old(
            subdivision_id=body.subdivision_id,
            name=body.name,
            active_from=body.active_from,
            active_until=body.active_until,
            is_sample=body.is_sample,
        )
        for body in committees
    )


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0001_initial"),
        ("agreements", "0008_dashboard_figures"),
    ]

    operations = [migrations.RunPython(forward, backward)]
