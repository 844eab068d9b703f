"""The two workbook imports (plan, agreement) behind one interface.

The terminal, the web pages, the API and the background jobs all go through `IMPORTERS[kind]`:
`parse` reads and checks the file, `check` adds what the database reveals (and the permission),
`write` writes it in one transaction. The modules behind them (limpia.exchange.plan_import and
limpia.exchange.agreement_import) hold the rules of each format.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from limpia.core.errors import DomainError
from limpia.exchange import agreement_import, plan_import
from limpia.exchange.meter import TerminalMeter, metering


@dataclass(frozen=True)
class Importer:
    kind: str
    label: Any  # lazy, translated
    module: ModuleType
    add_perm: str
    change_perm: str
    url_name: str  # the page of what was imported, reversed with its slug

    @property
    def sheets(self) -> tuple[str, ...]:
        return self.module.SHEETS

    def parse(self, source):
        return getattr(self.module, f"parse_{self.kind}_workbook")(source)

    def state(self, parsed):
        if self.kind == "plan":
            return self.module.load_state(parsed.slug)
        return self.module.load_state(parsed)

    def check(self, parsed, *, acting_user=None, system: bool = False):
        """The preview; NotAllowed when `acting_user` may not import this plan or agreement."""
        state = self.state(parsed)
        if not system and parsed.slug:
            self.module.check_permission(parsed, state, acting_user)
        return self.module.preview(parsed, state, acting_user=acting_user, system=system)

    def write(self, parsed, *, acting_user=None, system: bool = False):
        """Write in one transaction; ImportRefused (nothing written) when the file does not fit."""
        return self.module.apply(parsed, acting_user=acting_user, system=system)

    def may_import(self, user) -> bool:
        """Whether `user` may import some workbook of this kind (the object is checked later)."""
        return bool(
            user is not None
            and user.is_authenticated
            and (user.has_perm(self.add_perm) or user.has_perm(self.change_perm))
        )

    def url(self, slug: str) -> str:
        return reverse(self.url_name, kwargs={"slug": slug})


IMPORTERS: dict[str, Importer] = {
    "plan": Importer(
        kind="plan",
        label=_("plan"),
        module=plan_import,
        add_perm="plans.add_plan",
        change_perm="plans.change_plan",
        url_name="web:plan",
    ),
    "agreement": Importer(
        kind="agreement",
        label=_("agreement"),
        module=agreement_import,
        add_perm="agreements.add_agreement",
        change_perm="agreements.change_agreement",
        url_name="agreements_web:detail",
    ),
}


def importer(kind: str) -> Importer:
    try:
        return IMPORTERS[kind]
    except KeyError:
        raise DomainError(
            f"No import of kind {kind!r}; there are: {', '.join(IMPORTERS)}.", field="kind"
        ) from None


def acting_user_named(username: str | None):
    """The user named on the command line, or None (the operator's own import)."""
    if not username:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise DomainError(f"No user {username!r}.", field="user")
    return user


def import_in_terminal(
    kind: str, *, path, dry_run=False, stdout=None, stderr=None, user=None, progress=False
) -> bool:
    """`limpia import KIND FILE [--dry-run]`: print the preview, then write unless dry-run.

    Without `user` (a username) the import is the operator's, trusted like `limpia loadplans`;
    with one, that user's permissions apply and the history names them. With `progress`, a bar
    on stderr follows the reading, checking and writing.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    chosen = importer(kind)
    acting_user = acting_user_named(user)
    system = acting_user is None
    bar = TerminalMeter(stderr) if progress else None
    with metering(bar) if bar else contextlib.nullcontext():
        parsed = chosen.parse(path)
        result = chosen.check(parsed, acting_user=acting_user, system=system)
        if bar:
            bar.close()
        _print(stdout, result.render())
        if result.errors:
            _print(stderr, f"{len(result.errors)} error(s); nothing was written.")
            return False
        if dry_run:
            _print(stdout, "Dry run: nothing was written.")
            return True
        try:
            written = chosen.write(parsed, acting_user=acting_user, system=system)
        except plan_import.ImportRefused as refused:
            for error in refused.errors:
                _print(stderr, f"error: {error}")
            return False
        finally:
            if bar:
                bar.close()
    changed = len(written.changed())
    _print(stdout, f"Imported {parsed.slug}: {changed} row(s) created or updated.")
    return True


def _print(stream, text: str) -> None:
    stream.write(text if text.endswith("\n") else text + "\n")
