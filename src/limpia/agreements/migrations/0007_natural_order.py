"""The natural-order key of companies (tax id) and facilities (code), written for the rows that
exist (`compliance.sort_key`): the compliance report's pages are ordered by the database."""

from django.db import migrations, models

from limpia.compliance import sort_key

BATCH = 2000


def fill(apps, schema_editor):
    for name, field in (("Company", "tax_id"), ("Facility", "code")):
        model = apps.get_model("agreements", name)
        rows = model.objects.using(schema_editor.connection.alias).order_by("pk")
        last = 0
        while batch := list(rows.filter(pk__gt=last).only("pk", field)[:BATCH]):
            for row in batch:
                row.sort_key = sort_key(getattr(row, field))
            model.objects.using(schema_editor.connection.alias).bulk_update(batch, ["sort_key"])
            last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0006_compliance_tallies"),
    ]

    operations = [
        migrations.AddField(
            model_name="company",
            name="sort_key",
            field=models.CharField(
                default="", editable=False, max_length=400, verbose_name="natural order"
            ),
        ),
        migrations.AddField(
            model_name="facility",
            name="sort_key",
            field=models.CharField(
                default="", editable=False, max_length=400, verbose_name="natural order"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
