"""`limpia jobs [list]`, `limpia jobs show ID [--follow]`, `limpia jobs retry ID`,
`limpia jobs discard ID`: the background imports, from the terminal (the operator's view)."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from limpia.core.errors import DomainError
from limpia.exchange import jobs
from limpia.exchange.meter import bar_text
from limpia.exchange.models import ImportJob


class Command(BaseCommand):
    help = "List background import jobs, follow one, retry or discard it."

    def add_arguments(self, parser):
        parser.add_argument(
            "action", nargs="?", default="list", choices=["list", "show", "retry", "discard"]
        )
        parser.add_argument("job", nargs="?", help="the job's id (as `limpia jobs` lists it)")
        parser.add_argument("--follow", action="store_true", help="show: wait until it finishes")
        parser.add_argument("--limit", type=int, default=20, help="list: how many (newest first)")

    def handle(self, *args, action, job, follow, limit, **options):
        if action == "list":
            return self._list(limit)
        if not job:
            raise CommandError(f"`limpia jobs {action}` needs the job's id.")
        found = self._job(job)
        try:
            if action == "retry":
                found = jobs.retry(found, acting_user=None)
            elif action == "discard":
                found = jobs.discard(found, acting_user=None)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self._show(found, follow)

    def _job(self, value: str) -> ImportJob:
        try:
            found = ImportJob.objects.filter(pk=value).first()
        except ValidationError:
            found = None
        if found is None:
            raise CommandError(f"No import job {value!r}.")
        return found

    def _list(self, limit: int) -> None:
        rows = ImportJob.objects.for_listing()[: max(limit, 1)]
        if not rows:
            self.stdout.write("No import jobs.")
            return
        for job in rows:
            state = "stalled" if jobs.is_stalled(job) else job.status
            who = job.created_by.username if job.created_by else "(terminal)"
            self.stdout.write(
                f"{job.pk}  {job.created_at:%Y-%m-%d %H:%M}  {job.kind:<9} {state:<9} "
                f"{who:<12} {job.filename}"
            )

    def _show(self, job: ImportJob, follow: bool) -> None:
        while True:
            job.refresh_from_db()
            state = jobs.progress(job)
            line = bar_text(state) if job.status in ImportJob.RUNNING else ""
            label = "stalled" if state["stalled"] else job.status
            if follow and job.status in ImportJob.ACTIVE and not state["stalled"]:
                self.stdout.write(f"\r{label:<9} {line}", ending="")
                self.stdout.flush()
                time.sleep(0.5)
                continue
            if follow:
                self.stdout.write("")
            break
        self.stdout.write(f"Job {job.pk}: {job.kind} {job.filename!r}, {label}")
        if job.slug:
            self.stdout.write(f"Slug: {job.slug}")
        if job.error:
            self.stdout.write(f"Error: {job.error}")
        result = job.result or {}
        for sheet, counts in (result.get("counts") or {}).items():
            self.stdout.write(
                f"{sheet}: {counts['create']} create, {counts['update']} update, "
                f"{counts['unchanged']} unchanged"
            )
        for error in result.get("errors", []):
            where = ", ".join(
                f"{k} {error[k]}" for k in ("sheet", "row", "column") if error.get(k) is not None
            )
            self.stdout.write(
                f"error: {where}: {error['message']}" if where else f"error: {error['message']}"
            )
        if result.get("error_count", 0) > len(result.get("errors", [])):
            self.stdout.write(f"... {result['error_count']} errors in all")
        if job.status == ImportJob.Status.READY:
            self.stdout.write(
                "Checked, nothing written: confirm it from its web page, or import the file "
                "without --dry-run."
            )
        if label == "stalled" or job.status == ImportJob.Status.FAILED:
            self.stdout.write(f"Retry it with: limpia jobs retry {job.pk}")
