"""Import a plan workbook from the browser: upload → preview → confirm.

The upload is checked in full (limpia.exchange.plan_import) and its preview shown: per sheet what
would be created, updated or left unchanged, the warnings and every error with its sheet, row and
column. A valid file is kept in DATA_DIR/imports/<uuid4>.<ext> (the data directory is shared by
the app servers) until the user confirms; the uuid is also remembered in the user's session, so
only the user who uploaded a file can confirm it. Confirming checks the file again (the plan may
have changed since the preview), writes it in one transaction, deletes the kept file and goes to
the plan. Kept files older than a day are removed whenever someone uploads or confirms.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from limpia.core.errors import NotAllowed
from limpia.exchange.import_api import may_import, template_response
from limpia.exchange.plan_import import (
    SHEETS,
    ImportRefused,
    ParsedPlan,
    PlanState,
    Preview,
    apply,
    check_permission,
    load_state,
    parse_plan_workbook,
    preview,
)
from limpia.exchange.tabular import MAX_FILE_BYTES
from limpia.web.forms import BootstrapForm

MAX_AGE_SECONDS = 24 * 60 * 60
SESSION_KEY = "limpia_plan_imports"
SESSION_KEEP = 10  # uploads remembered per session
ROWS_SHOWN = 200  # changed rows listed per sheet on the preview page
EXTENSIONS = ("xlsx", "zip")
ACTION_LABELS = {
    "create": gettext_lazy("create"),
    "update": gettext_lazy("update"),
    "unchanged": gettext_lazy("unchanged"),
}
ACTION_CLASSES = {"create": "success", "update": "warning", "unchanged": "secondary"}


class PlanUploadForm(BootstrapForm):
    file = forms.FileField(
        label=gettext_lazy("Workbook"),
        help_text=gettext_lazy(
            "An .xlsx file, or a .zip of CSV files named like the sheets (at most 20 MB)."
        ),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.zip"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)s); the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_FILE_BYTES)}
            )
        return upload


# ---------------------------------------------------------------- kept files


def imports_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def remove_old_files(now: float | None = None) -> None:
    """Delete kept uploads older than a day (another server may be deleting them too)."""
    directory = imports_dir()
    if not directory.is_dir():
        return
    limit = (now if now is not None else time.time()) - MAX_AGE_SECONDS
    for path in directory.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _extension(name: str, data: bytes) -> str:
    suffix = Path(name or "").suffix.lower().lstrip(".")
    if suffix in EXTENSIONS:
        return suffix
    return "xlsx" if b"xl/workbook.xml" in data[:4096] else "zip"


def _keep(request, data: bytes, name: str) -> str:
    token = str(uuid.uuid4())
    ext = _extension(name, data)
    directory = imports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{token}.{ext}", "xb") as handle:
        handle.write(data)
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept[token] = {"name": Path(name or "").name[:200], "ext": ext}
    request.session[SESSION_KEY] = dict(list(kept.items())[-SESSION_KEEP:])
    return token


def _kept_file(request, value: str) -> tuple[str, Path] | None:
    """The kept file for the uuid posted, when this session uploaded it and it still exists."""
    try:
        token = str(uuid.UUID(str(value)))
    except ValueError:
        return None
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry.get("ext") not in EXTENSIONS:
        return None
    path = imports_dir() / f"{token}.{entry['ext']}"
    return (token, path) if path.is_file() else None


def _forget(request, token: str, path: Path) -> None:
    path.unlink(missing_ok=True)
    kept = dict(request.session.get(SESSION_KEY, {}))
    if kept.pop(token, None) is not None:
        request.session[SESSION_KEY] = kept


# ---------------------------------------------------------------- pages


def _require_importer(user) -> None:
    if not may_import(user):
        raise PermissionDenied(_("You are not allowed to import plans."))


def _checked(parsed: ParsedPlan, user) -> tuple[PlanState, Preview]:
    """The database's state and the preview for `user`; NotAllowed when not theirs to import."""
    state = load_state(parsed.slug)
    if parsed.slug:
        check_permission(parsed, state, user)
    return state, preview(parsed, state, acting_user=user)


def _preview_page(request, parsed, state, result, *, token=None, filename="", status=200):
    counts = result.counts()
    sheets = []
    for sheet in SHEETS:
        changed = [r for r in result.rows if r.sheet == sheet and r.action != "unchanged"]
        sheets.append(
            {
                "name": sheet,
                "counts": counts[sheet],
                "rows": [
                    {
                        "row": r.row,
                        "key": r.key,
                        "action": r.action,
                        "label": ACTION_LABELS.get(r.action, r.action),
                        "css": ACTION_CLASSES.get(r.action, "secondary"),
                        "changes": r.changes,
                    }
                    for r in changed[:ROWS_SHOWN]
                ],
                "more": max(len(changed) - ROWS_SHOWN, 0),
            }
        )
    organizations = [
        {"name": name, "action": action, "key": key} for name, action, key in result.organizations
    ]
    context = {
        "filename": filename,
        "slug": parsed.slug,
        "title": parsed.plan.get("title") or "",
        "existing": state.plan,
        "sheets": sheets,
        "organizations": organizations,
        "warnings": result.warnings,
        "errors": result.errors,
        "token": token if result.ok else None,
    }
    return render(request, "web/imports/plan_preview.html", context, status=status)


@login_required
def plan_upload(request):
    _require_importer(request.user)
    remove_old_files()
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(MAX_FILE_BYTES + 1)
        parsed = parse_plan_workbook(data)
        try:
            state, result = _checked(parsed, request.user)
        except NotAllowed as refused:
            form.add_error("file", refused.message)
            return render(request, "web/imports/plan_upload.html", {"form": form}, status=403)
        token = _keep(request, data, upload.name) if result.ok and parsed.slug else None
        return _preview_page(request, parsed, state, result, token=token, filename=upload.name)
    return render(request, "web/imports/plan_upload.html", {"form": form})


@login_required
@require_POST
def plan_confirm(request):
    _require_importer(request.user)
    remove_old_files()
    kept = _kept_file(request, request.POST.get("upload", ""))
    if kept is None:
        messages.error(
            request,
            _(
                "This upload is no longer available: it was already imported, or it was kept "
                "for more than a day. Please upload the file again."
            ),
        )
        return redirect("imports:plan")
    token, path = kept
    filename = request.session[SESSION_KEY][token].get("name", "")
    parsed = parse_plan_workbook(path)
    try:
        written = apply(parsed, acting_user=request.user)
    except NotAllowed as refused:
        _forget(request, token, path)
        raise PermissionDenied(refused.message) from None
    except ImportRefused:
        _forget(request, token, path)
        messages.error(
            request,
            _(
                "The plan changed since the preview and the file no longer fits it; nothing "
                "was written. Correct the file and upload it again."
            ),
        )
        state, result = _checked(parsed, request.user)
        return _preview_page(request, parsed, state, result, filename=filename)
    _forget(request, token, path)
    messages.success(
        request,
        _("The plan %(slug)s was imported: %(count)d row(s) created or updated.")
        % {"slug": parsed.slug, "count": len(written.changed())},
    )
    return redirect("web:plan", slug=parsed.slug)


def plan_template(request):
    """The empty plan workbook, with its instructions."""
    return template_response()
