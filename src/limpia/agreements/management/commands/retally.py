"""`limpia retally [--agreement CODE ...] [--check]`: recount the compliance tallies."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from limpia.agreements import tallies
from limpia.agreements.models import Agreement


class Command(BaseCommand):
    help = (
        "Recount the compliance tallies (each facility's latest audit counts, per goal and per "
        "action) from the audit items, in one transaction. The services keep them current; "
        "run it after writing audits outside Limpia (SQL, a restore from another version). "
        "--check compares without writing and fails if an agreement differs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--agreement", action="append", default=[], metavar="CODE", help="only this one"
        )
        parser.add_argument("--check", action="store_true", help="compare, write nothing")

    def handle(self, *args, agreement, check, **options):
        agreements = Agreement.objects.order_by("code")
        if agreement:
            agreements = agreements.filter(code__in=agreement)
            missing = sorted(set(agreement) - set(agreements.values_list("code", flat=True)))
            if missing:
                raise CommandError(f"--agreement: no agreement with code {', '.join(missing)}.")
        started = time.monotonic()
        if check:
            differ = [
                code
                for pk, code in agreements.values_list("pk", "code")
                if tallies.stored([pk]) != tallies.recount([pk])
            ]
            if differ:
                raise CommandError(
                    f"The tallies of {len(differ)} agreement(s) differ from a recount: "
                    f"{', '.join(differ)}. Run `limpia retally` to rebuild them."
                )
            self.stdout.write(f"The tallies equal a recount ({time.monotonic() - started:.1f} s).")
            return
        with transaction.atomic():
            written = tallies.rebuild(None if not agreement else agreements)
        self.stdout.write(
            f"Tallies rebuilt in {time.monotonic() - started:.1f} s: "
            f"{written['facilities']:,} facility, {written['goals']:,} goal and "
            f"{written['actions']:,} action rows."
        )
