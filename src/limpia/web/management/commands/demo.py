import os

from django.conf import settings
from django.core.management.base import BaseCommand

from limpia.web.installation import (
    check_password,
    ensure_admin,
    ensure_demo_users,
    prepare_installation,
)
from limpia.web.management.commands.serve import serve


class Command(BaseCommand):
    help = (
        "Set up a demonstration installation (database, source plans, sample data, an `admin` "
        "account) and serve it on 127.0.0.1. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="set up only")
        parser.add_argument("--port", type=int, default=8000)
        # Read by the `limpia` entry point before the settings load; listed here for --help.
        parser.add_argument("--data-dir", help="data directory (default ./var or LIMPIA_DATA_DIR)")

    def handle(self, *args, no_serve, port, **options):
        if os.environ.get("LIMPIA_ADMIN_PASSWORD"):  # refused before anything is set up
            check_password(os.environ["LIMPIA_ADMIN_PASSWORD"], username="admin")
        prepare_installation(stdout=self.stdout, with_sample_data=True)
        account = ensure_admin(password=os.environ.get("LIMPIA_ADMIN_PASSWORD") or None)
        if account.password:
            self.stdout.write(
                self.style.WARNING(
                    f"Administrator created: username {account.username}, password "
                    f"{account.password}  (shown only this once)"
                )
            )
        elif account.created:
            self.stdout.write(
                f"Administrator created: username {account.username}, password from "
                "LIMPIA_ADMIN_PASSWORD."
            )
        else:
            self.stdout.write(f"Administrator: username {account.username} (already set up).")
        people = ensure_demo_users(password=os.environ.get("LIMPIA_ADMIN_PASSWORD") or None)
        for username, password in people.items():
            shown = (
                f"password {password}  (shown only this once)"
                if password
                else ("password from LIMPIA_ADMIN_PASSWORD")
            )
            self.stdout.write(f"Demo account created: username {username}, {shown}")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        if not no_serve:
            serve(host="127.0.0.1", port=port, threads=8, stdout=self.stdout, stderr=self.stderr)
