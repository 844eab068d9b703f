"""`limpia export KIND ...`: each kind is implemented by a function in limpia.exchange."""

import sys
from importlib import import_module

from django.core.management.base import BaseCommand, CommandError

from limpia.core.errors import DomainError

# kind → "module:function"; the function takes (slug_or_none, output_path_or_none, stdout)
EXPORTERS = {
    "iati": "limpia.exchange.iati:export_command",
    "opensdg": "limpia.exchange.opensdg:export_command",
    "plan": "limpia.exchange.workbooks:export_plan_command",
    "agreement": "limpia.exchange.agreement_workbooks:export_agreement_command",
    "certificates": "limpia.exchange.lists:export_certificates_command",
    "registry": "limpia.exchange.lists:export_registry_command",
}
OPTIONAL_SLUG = {"certificates", "registry"}


class Command(BaseCommand):
    help = (
        "Export data: iati PLAN_SLUG, opensdg PLAN_SLUG, plan PLAN_SLUG, agreement SLUG, "
        "certificates [AGREEMENT_SLUG], registry."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(EXPORTERS))
        parser.add_argument("slug", nargs="?")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument("--format", default=None, help="csv, xlsx or json where it applies")

    def handle(self, *args, kind, slug, output, format, **options):
        if not slug and kind not in OPTIONAL_SLUG:
            raise CommandError(f"`limpia export {kind}` needs the slug of what to export.")
        module, function = EXPORTERS[kind].split(":")
        try:
            exporter = getattr(import_module(module), function)
        except (ImportError, AttributeError) as exc:
            raise CommandError(f"The {kind} export is not available: {exc}") from None
        try:
            exporter(slug=slug, output=output, fmt=format, stdout=self.stdout or sys.stdout)
        except DomainError as exc:
            raise CommandError(exc.message) from None
