"""Sample measurements for demonstrations, kept apart from the transcribed sources.

Every row is stored with `is_sample=True` and a stable `sample_key`, so reloading changes
nothing and the rows can be told apart (and removed) at any time.
"""

from decimal import Decimal
from importlib import resources

import yaml
from django.db import transaction
from django.utils import timezone

from limpia.core.errors import DomainError
from limpia.core.services import save_attributed
from limpia.plans.models import Indicator, Measurement, MeasurementStatus

SAMPLE_FILE = resources.files("limpia") / "data" / "sample" / "measurements.yaml"


@transaction.atomic
def sample_measurements_load(*, acting_user=None) -> int:
    data = yaml.safe_load(SAMPLE_FILE.read_text(encoding="utf-8"))
    created = 0
    for row in data["measurements"]:
        key = f"{row['plan']}:{row['indicator']}:{row['date']}"
        if Measurement.objects.filter(sample_key=key).exists():
            continue
        indicator = Indicator.objects.filter(plan__slug=row["plan"], code=row["indicator"]).first()
        if indicator is None:
            raise DomainError(f"sample data: no indicator {row['indicator']} in {row['plan']}")
        now = timezone.now()
        measurement = Measurement(
            indicator=indicator,
            date=row["date"],
            value=Decimal(str(row["value"])),
            comment=data["comment"],
            status=MeasurementStatus.APPROVED,
            is_sample=True,
            sample_key=key,
            submitted_at=now,
            reviewed_at=now,
        )
        save_attributed(measurement, acting_user=acting_user, reason="sample data")
        created += 1
    return created


@transaction.atomic
def sample_measurements_remove() -> int:
    deleted, _ = Measurement.objects.filter(is_sample=True).delete()
    return deleted
