"""Suggested matches between cooperation needs and offers: a pure module (no Django), the
score documented in docs/cooperation.md."""
