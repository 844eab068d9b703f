"""The audit trail: who changed what, when, and from where.

Every tracked model declares `history = tracked_history()` (django-simple-history): each change
leaves a historical row with the user (`history_user`), the time, the reason and, added here,
the channel it came through (`history_source`): the web pages, the API, the back office (admin),
the terminal (cli), a workbook import or a background job. The channel is a context variable
set once per entry point — SourceMiddleware for requests, `limpia.cli` for commands, the import
and job code for theirs — and read by the historical row's default, so bulk writes get it too
(limpia.core.tracking). This module loads no model, so that the `limpia` command can set the
channel before Django starts.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("web page")
    API = "api", _("API")
    ADMIN = "admin", _("back office")
    CLI = "cli", _("terminal")
    IMPORT = "import", _("workbook import")
    JOB = "job", _("background job")


_source: contextvars.ContextVar[str] = contextvars.ContextVar("limpia_change_source", default="")


def current_source() -> str:
    """The channel of the change being made now ("" when none was set, e.g. in a shell)."""
    return _source.get()


@contextlib.contextmanager
def change_source(source: str) -> Iterator[None]:
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def set_source(source: str) -> None:
    """For a process's entry point (the terminal): the channel of everything it changes."""
    _source.set(source)


class SourceMiddleware:
    """Marks the changes a request makes as coming from the API, the back office or the web."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/"):
            source = Source.API
        elif path.startswith("/admin/"):
            source = Source.ADMIN
        else:
            source = Source.WEB
        with change_source(source):
            return self.get_response(request)
