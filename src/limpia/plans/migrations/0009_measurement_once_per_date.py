"""One measurement of an indicator (or of one disaggregated group) per date (issue 10, item 4).

Disaggregations are rewritten with their keys sorted, the spelling the services now store, so
that SQLite (which compares the JSON text) and PostgreSQL (which compares values) agree. Where
an installation already holds two measurements of the same indicator, date and group, the
upgrade stops and lists them: which one is right is a reviewer's decision, not the migration's.
"""

import json

from django.db import migrations, models


def sort_disaggregations(apps, schema_editor):
    Measurement = apps.get_model("plans", "Measurement")
    changed = []
    for measurement in Measurement.objects.exclude(disaggregation={}).only("disaggregation"):
        ordered = dict(sorted(measurement.disaggregation.items()))
        if list(ordered) != list(measurement.disaggregation):
            measurement.disaggregation = ordered
            changed.append(measurement)
    Measurement.objects.bulk_update(changed, ["disaggregation"], batch_size=1000)


def refuse_duplicates(apps, schema_editor):
    Measurement = apps.get_model("plans", "Measurement")
    seen, duplicates = {}, []
    rows = Measurement.objects.values_list(
        "pk", "indicator__plan__slug", "indicator__code", "date", "disaggregation"
    ).order_by("pk")
    for pk, plan, code, date, disaggregation in rows.iterator(chunk_size=5000):
        key = (plan, code, date, json.dumps(disaggregation, sort_keys=True))
        if key in seen:
            duplicates.append(f"{plan} {code} {date} {key[3]}: measurements {seen[key]} and {pk}")
        else:
            seen[key] = pk
    if duplicates:
        raise RuntimeError(
            "Some indicators have two measurements on the same date (and disaggregation); "
            "keep one of each pair in the back office (/admin/plans/measurement/) with the "
            "previous version of Limpia, then upgrade again:\n  " + "\n  ".join(duplicates[:50])
        )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0008_versions"),
    ]

    operations = [
        migrations.RunPython(sort_disaggregations, migrations.RunPython.noop),
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="measurement",
            constraint=models.UniqueConstraint(
                fields=("indicator", "date", "disaggregation"), name="measurement_once_per_date"
            ),
        ),
    ]
