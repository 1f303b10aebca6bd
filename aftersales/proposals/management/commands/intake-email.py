"""``aftersales intake-email``, the name the issue and mail-server docs use;
the command itself is intake_email.py."""

from .intake_email import Command  # noqa: F401
