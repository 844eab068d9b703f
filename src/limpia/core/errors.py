class DomainError(Exception):
    """A refused change, with a message for the user and the field it concerns."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotAllowed(DomainError):
    def __init__(self, message: str):
        super().__init__(message, code="permission_denied")


class IllegalTransition(DomainError):
    def __init__(self, message: str):
        super().__init__(message, field="status", code="illegal_transition")


class Conflict(DomainError):
    """Someone else changed the object since the writer read it (a lost update was prevented)."""

    def __init__(self, message: str, *, field: str = "version"):
        super().__init__(message, field=field, code="conflict")
