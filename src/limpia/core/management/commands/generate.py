"""`limpia generate --scale N [--seed S]` and `limpia generate --remove`: synthetic data."""

import contextlib
import time
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from limpia.core.errors import DomainError
from limpia.core.sql import refresh_statistics
from limpia.core.synthetic import synthetic_generate, synthetic_remove
from limpia.exchange.meter import TerminalMeter, metering


def _scale(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"--scale: {text!r} is not a number (e.g. 1, 0.1, 10).") from None
    if not value.is_finite() or value <= 0 or value > 100:
        raise CommandError(f"--scale: {text} is not between 0 (excluded) and 100.")
    return value


class Command(BaseCommand):
    help = (
        "Write synthetic data at N times Chile's APL programme of 2023 (208 agreements, 9,263 "
        "companies, 15,758 facilities, ~470,000 audit items; 50 plans, 5,000 indicators, "
        "100,000 measurements), marked as sample data; --remove deletes them. For benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=_scale, help="N: 1 is Chile 2023, 0.1 a tenth")
        parser.add_argument("--seed", type=int, default=2023, help="same seed, same rows")
        parser.add_argument("--remove", action="store_true", help="delete the synthetic data")
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar on the terminal"
        )

    def handle(self, *args, scale, seed, remove, no_progress, **options):
        started = time.monotonic()
        if remove:
            deleted = synthetic_remove()
            refresh_statistics()
            self.stdout.write(f"Removed {sum(deleted.values()):,} synthetic rows:")
            for label, count in deleted.items():
                if count:
                    self.stdout.write(f"  {label}: {count:,}")
            return
        if scale is None:
            raise CommandError("Give --scale N (or --remove).")
        bar = TerminalMeter(self.stderr) if not no_progress and self.stderr.isatty() else None
        try:
            with metering(bar) if bar else contextlib.nullcontext():
                generated = synthetic_generate(scale, seed)
            refresh_statistics()  # the planner must know the tables' new sizes
        except DomainError as exc:
            raise CommandError(exc.message) from None
        elapsed = time.monotonic() - started
        total = sum(generated.counts.values())
        self.stdout.write(
            f"Generated {total:,} rows at scale {scale} (seed {seed}) in {elapsed:.1f} s:"
        )
        for label, count in generated.counts.items():
            self.stdout.write(f"  {label}: {count:,}")
