"""A read replica for public reads (LIMPIA_REPLICA_DATABASE_URL; docs/operations.md).

PublicReadMiddleware marks a request as a public read when it is a GET or HEAD by an anonymous
visitor: no signed-in session and no Authorization header (the API checks tokens in the view,
after the middleware, and a token just made may not have replicated yet). ReplicaRouter sends
that request's reads to the "replica" database. Everything else reads and writes "default":
other requests, the terminal, the worker, a read inside a transaction on "default" (it may need
to see what that transaction wrote), and every read after the request's first write (a replica
lags behind). Writes always go to "default".
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

REPLICA = "replica"
_public_read: ContextVar[bool] = ContextVar("limpia_public_read", default=False)


@contextmanager
def public_read():
    """Reads inside go to the replica (what the middleware does for a public request)."""
    token = _public_read.set(True)
    try:
        yield
    finally:
        _public_read.reset(token)


def is_public_read() -> bool:
    return _public_read.get()


def in_transaction() -> bool:
    """Whether code runs inside transaction.atomic() on "default" (the test case's own
    transaction, which wraps every test, does not count, as for Django's durable blocks)."""
    blocks = connections["default"].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _public_read.get() or REPLICA not in connections.databases:
            return None
        if in_transaction():
            return None
        return REPLICA

    def db_for_write(self, model, **hints):
        _public_read.set(False)  # from now on this request reads what it wrote
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica is migrated by replication


class PublicReadMiddleware:
    """After AuthenticationMiddleware: anonymous GET and HEAD requests read from the replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or "HTTP_AUTHORIZATION" in request.META
            or request.user.is_authenticated
        ):
            return self.get_response(request)
        with public_read():
            return self.get_response(request)
