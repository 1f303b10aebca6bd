"""Compile every .po catalogue under the package into its .mo.

Django's compilemessages needs gettext's msgfmt on the machine; polib does the
same in Python, so `make run` works where only Python, make and npm exist.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo) without gettext tools."

    def handle(self, *args, **options):
        compiled = 0
        for po_path in sorted(Path(settings.PACKAGE_DIR).glob("**/locale/*/LC_MESSAGES/*.po")):
            try:
                catalog = polib.pofile(str(po_path))
            except (OSError, ValueError) as exc:
                raise CommandError(f"{po_path}: {exc}") from exc
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            catalog.save_as_mofile(str(mo_path))
            compiled += 1
        if options["verbosity"] > 1:
            self.stdout.write(f"compiled {compiled} catalogue(s)")
