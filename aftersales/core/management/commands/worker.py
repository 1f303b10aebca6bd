"""The background worker alone (huey consumer with the periodic tasks)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (huey consumer, periodic tasks included) until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers", type=int, default=None, help="worker threads (default from settings)"
        )

    def handle(self, *args, workers=None, **options):
        kwargs = {}
        if workers:
            kwargs["workers"] = workers
        call_command("run_huey", **kwargs)
