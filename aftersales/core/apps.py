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


class DomainConfig(AppConfig):
    """A domain app's config: what it adds to the shared registries, named
    rather than wired by hand in each app. ``work`` names the "My work"
    providers in ``<app>.work``; ``deadline_sources`` the dotted paths of
    functions the engine's one deadline task runs (core.workflow)."""

    # Django picks an app's config among the AppConfig classes its apps.py
    # holds, imported ones included: this base is never picked, each
    # subclass is.
    default = False
    work: tuple[str, ...] = ()
    deadline_sources: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.default = True

    def ready(self):
        from django.utils.module_loading import import_string

        from aftersales.core.work import register_work
        from aftersales.core.workflow import deadline_source

        for name in self.work:
            register_work(import_string(f"{self.name}.work.{name}"))
        for path in self.deadline_sources:
            deadline_source(import_string(path))
