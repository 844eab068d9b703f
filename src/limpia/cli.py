"""The `limpia` command: Django's management commands with Limpia's settings.

`limpia demo`, `limpia serve`, `limpia setup`, `limpia loadplans` and every Django command
(`limpia migrate`, `limpia createsuperuser`, `limpia check --deploy`, ...).
"""

import os
import sys


def _apply_data_dir(argv: list[str]) -> list[str]:
    """--data-dir must be known before the settings are read, so it is taken from argv here."""
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            os.environ["LIMPIA_DATA_DIR"] = argv[i + 1]
            return argv[:i] + argv[i + 2 :]
        if arg.startswith("--data-dir="):
            os.environ["LIMPIA_DATA_DIR"] = arg.split("=", 1)[1]
            return argv[:i] + argv[i + 1 :]
    return argv


def main(argv: list[str] | None = None) -> None:
    argv = _apply_data_dir(list(sys.argv if argv is None else argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "limpia.settings")
    from limpia.conf import ConfigurationError

    try:
        from django.core.management import execute_from_command_line

        from limpia.core.audit import Source, set_source

        set_source(Source.CLI)  # what a command changes is recorded as coming from the terminal
        execute_from_command_line(argv)
    except ConfigurationError as exc:
        sys.stderr.write(f"limpia: configuration error: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
