from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "aftersales.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Roles are groups whose permissions are kept in code (core.roles); they
        # are synced after every migrate, the one moment permission rows exist,
        # and policy version 1 is installed on a new database. post_migrate also
        # follows the flush of a transactional test, so both survive it. This is
        # set-up wiring, not a domain side effect, so the no-signals rule does
        # not apply.
        # Registers the <id:...> URL converter before any URLconf is read.
        import aftersales.core.fields  # noqa: F401
        from aftersales.core.roles import install_defaults_after_migrate

        post_migrate.connect(
            install_defaults_after_migrate, dispatch_uid="aftersales.install_defaults"
        )
