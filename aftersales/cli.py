"""The ``aftersales`` command: every management command, with --help on each.

aftersales serve [--prod]   web server and background worker
aftersales worker           the background worker alone
aftersales seed --demo      a small demo department
aftersales help             every command
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "aftersales"
    try:
        # Load settings before Django's command runner does: it swallows a
        # settings error for `help` and `--help` and lists only its own commands.
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - reading it loads the settings module
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        # A bad setting: say which, without a stack trace.
        print(f"aftersales: configuration error: {exc}", file=sys.stderr)
        return 78  # EX_CONFIG
    except KeyboardInterrupt:
        # Ctrl-C is how a person stops a command: no stack trace for it.
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
