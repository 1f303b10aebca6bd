"""Create a personal API token for a user and print it (for scripts and CI)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from aftersales.accounts.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for --user and print it, alone on one line; it is shown only "
        "once. Revoke it on the user's tokens page or with the API."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username")
        parser.add_argument("--name", default="command line", help="what the token is for")
        parser.add_argument("--days", type=int, default=1, help="days until it expires (default 1)")

    def handle(self, *args, user, name, days, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        found = get_user_model().objects.filter(username=user, is_active=True).first()
        if found is None:
            raise CommandError(f"No active user {user!r}.")
        _token, raw = api_token_create(user=found, name=name, days=days)
        self.stdout.write(raw)
