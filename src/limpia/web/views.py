"""Public pages and the data-entry workspace: thin views over querysets, progress and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from limpia.access.rules import measurements_visible_to
from limpia.core import recovery
from limpia.core.dates import parse_as_of
from limpia.core.errors import Conflict, DomainError
from limpia.core.history import history_entries
from limpia.plans import services
from limpia.plans.models import Indicator, Measurement, Node, Plan
from limpia.plans.progress import (
    evaluate_indicator,
    indicator_observations,
    plan_tree,
    subtree,
    summary_tree,
)
from limpia.plans.snapshots import rollups_of, summary_rollups
from limpia.reports.charts import indicator_chart
from limpia.web.forms import MeasurementForm, ReturnForm, TreeFilterForm
from limpia.web.paging import page_of
from limpia.web.status import STATUS_LABELS, status_badges


def _as_of(request):
    try:
        return parse_as_of(request.GET.get("as_of")), None
    except DomainError as exc:
        return parse_as_of(None), exc.message


def _visible_plan(request, slug) -> Plan:
    return get_object_or_404(Plan.objects.visible_to(request.user).for_listing(), slug=slug)


HOME_PLANS_PER_PAGE = 50  # top-level plans per page of the home page, each with its subplans


def home(request):
    as_of, error = _as_of(request)
    plans = list(Plan.objects.visible_to(request.user).for_listing())
    children: dict[int, list] = {}
    for plan in plans:
        children.setdefault(plan.parent_id, []).append(plan)
    visible_ids = {p.pk for p in plans}
    roots = [p for p in plans if p.parent_id is None or p.parent_id not in visible_ids]
    listing = page_of(request, roots, HOME_PLANS_PER_PAGE)
    shown = []

    def gather(plan, depth):
        shown.append((plan, depth))
        for child in children.get(plan.pk, []):
            gather(child, depth + 1)

    for plan in listing.rows:
        gather(plan, 0)
    # only the page's plans are read: their stored rollups, or computed (plans.snapshots)
    summary = summary_rollups([plan for plan, _depth in shown], as_of=as_of)
    rows = [
        {
            "plan": plan,
            "depth": depth,
            "tree": summary.rollups[plan.pk],
            "badges": status_badges(summary.rollups[plan.pk].rollup.status_counts),
        }
        for plan, depth in shown
    ]
    return render(
        request,
        "web/home.html",
        {
            "rows": rows,
            "as_of": as_of,
            "as_of_error": error,
            "summary": summary,
            "listing": listing,
        },
    )


def _matching_nodes(tree, *, status: str, responsible: str, horizon: str) -> set[int] | None:
    """Ids of nodes to show under the filters: matches, their ancestors and their subtrees."""
    if not (status or responsible or horizon):
        return None
    shown: set[int] = set()

    def matches(item) -> bool:
        node = item.node
        if horizon and node.horizon != horizon:
            return False
        if responsible and responsible not in {r.organization.key for r in node.responsibilities}:
            return False
        return not status or any(i.result.status == status for i in item.indicators)

    def visit(item) -> bool:
        if matches(item):
            shown.update(n.node.pk for n in item.walk())
            return True
        found = False
        for child in item.children:
            found = visit(child) or found
        if found:
            shown.add(item.node.pk)
        return found

    for top in tree.children:
        visit(top)
    return shown


# A plan with more indicators than this opens on its first levels (LARGE_PLAN_LEVELS), with the
# rollups stored for today; each element's page shows its own subtree, "?expand=all" everything.
LARGE_PLAN = 500
LARGE_PLAN_LEVELS = 2


def plan_detail(request, slug):
    plan = _visible_plan(request, slug)
    as_of, error = _as_of(request)
    filtering = any(request.GET.get(name) for name in ("status", "responsible", "horizon"))
    opens_on_levels = (
        not filtering
        and request.GET.get("expand") != "all"
        and Indicator.objects.filter(plan=plan).count() > LARGE_PLAN
    )
    figures = None
    if opens_on_levels:  # its stored rollups (of earlier today while the worker counts)
        figures = summary_rollups([plan], as_of=as_of)
        tree = summary_tree(plan, figures.rollups[plan.pk], as_of=as_of, levels=LARGE_PLAN_LEVELS)
    else:
        tree = plan_tree(plan, as_of=as_of)
    organizations = sorted(
        {
            (r.organization.key, r.organization.label)
            for n in tree.walk()
            for r in n.node.responsibilities
        },
        key=lambda pair: pair[1],
    )
    form = TreeFilterForm(
        request.GET or None,
        initial={"as_of": as_of},
        statuses=list(STATUS_LABELS.items()),
        organizations=organizations,
    )
    filters = form.cleaned_data if form.is_valid() else {}
    shown = _matching_nodes(
        tree,
        status=filters.get("status", ""),
        responsible=filters.get("responsible", ""),
        horizon=filters.get("horizon", ""),
    )
    subplans = list(Plan.objects.visible_to(request.user).filter(parent=plan).for_listing())
    subtrees = rollups_of(subplans, as_of=as_of) if subplans else {}
    return render(
        request,
        "web/plan.html",
        {
            "plan": plan,
            "tree": tree,
            "as_of": as_of,
            "as_of_error": error,
            "form": form,
            "shown": shown,
            "badges": status_badges(tree.rollup.status_counts),
            "subplans": [(p, subtrees[p.pk]) for p in subplans],
            "history": _history_for(request.user, "plans.change_plan", plan),
            "summary": figures,
        },
    )


def node_detail(request, slug, code):
    plan = _visible_plan(request, slug)
    as_of, error = _as_of(request)
    node = get_object_or_404(
        Node.objects.prefetch_related("responsibilities__organization"),
        plan=plan,
        normalized_code=code,
    )
    node.plan = plan
    item, ancestors = subtree(plan, node.pk, as_of=as_of)
    return render(
        request,
        "web/node.html",
        {
            "plan": plan,
            "item": item,
            "node": node,
            "ancestors": ancestors,
            "as_of": as_of,
            "as_of_error": error,
            "badges": status_badges(item.rollup.status_counts),
            "history": _history_for(request.user, "plans.change_node", node),
        },
    )


def _history_for(user, perm: str, instance) -> list:
    """The object's history, for the people who may change it (it names who did what)."""
    return history_entries(instance) if user.has_perm(perm, instance) else []


def _indicator(request, slug, code) -> Indicator:
    plan = _visible_plan(request, slug)
    indicator = get_object_or_404(Indicator.objects.with_progress_data(), plan=plan, code=code)
    indicator.plan = plan
    return indicator


def indicator_detail(request, slug, code):
    indicator = _indicator(request, slug, code)
    as_of, error = _as_of(request)
    result = evaluate_indicator(indicator, as_of=as_of)
    measurements = measurements_visible_to(
        request.user, indicator.measurements.for_listing().order_by("-date", "-id")
    )
    return render(
        request,
        "web/indicator.html",
        {
            "plan": indicator.plan,
            "indicator": indicator,
            "result": result,
            "measurements": measurements,
            "as_of": as_of,
            "as_of_error": error,
            "can_report": request.user.has_perm("plans.add_measurement", indicator),
            "history": _history_for(request.user, "plans.change_indicator", indicator),
        },
    )


def indicator_chart_svg(request, slug, code):
    indicator = _indicator(request, slug, code)
    as_of, _error = _as_of(request)
    result = evaluate_indicator(indicator, as_of=as_of)
    if indicator.kind == "qualitative":
        raise Http404(_("Qualitative indicators have no chart."))
    shown = [o for o in indicator_observations(indicator) if o.date <= as_of]
    if indicator.measure == "increment":
        running, points = result.baseline_value, []
        for o in shown:
            if o.date > result.baseline_date:
                running += o.value
                points.append((o.date, running))
    else:
        points = [(o.date, o.value) for o in shown]
    forecast = None
    if result.forecast_value is not None and result.target is not None:
        forecast = (result.target.due_date, result.forecast_value)
    svg = indicator_chart(
        title=indicator.name,
        unit=indicator.unit,
        baseline=(result.baseline_date, result.baseline_value),
        targets=[
            (t.due_date, t.value)
            for t in indicator.targets.all()
            if t.value is not None and t.due_date
        ],
        measurements=points,
        forecast=forecast,
        labels={
            "baseline": _("Baseline"),
            "measurements": _("Approved measurements"),
            "targets": _("Targets"),
            "forecast": _("Forecast"),
        },
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@login_required
def workspace(request):
    visible = measurements_visible_to(request.user, Measurement.objects.for_listing())
    to_review = [
        m
        for m in visible.filter(status="submitted").order_by("submitted_at")
        if request.user.has_perm("plans.review_measurement", m)
    ]
    mine = visible.filter(created_by=request.user).exclude(status="approved").order_by("-date")
    return render(
        request,
        "web/workspace.html",
        {
            "to_review": to_review,
            "mine": mine,
            "return_form": ReturnForm(),
        },
    )


def _measurement_fields(data) -> dict:
    return {
        "date": data["date"],
        "value": data["value"],
        "text": data["text"],
        "comment": data["comment"],
        "evidence_url": data["evidence_url"],
        "disaggregation": data["disaggregation"],
    }


@login_required
def measurement_new(request, slug, code):
    indicator = _indicator(request, slug, code)
    if not request.user.has_perm("plans.add_measurement", indicator):
        raise PermissionDenied
    form = MeasurementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_create(
                acting_user=request.user,
                indicator=indicator,
                submit=form.cleaned_data["submit_now"],
                **_measurement_fields(form.cleaned_data),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The measurement was recorded."))
            return redirect("web:indicator", slug=slug, code=code)
    return render(
        request,
        "web/measurement_form.html",
        {"form": form, "indicator": indicator, "plan": indicator.plan},
    )


def _visible_measurement(request, pk) -> Measurement:
    return get_object_or_404(
        measurements_visible_to(request.user, Measurement.objects.for_listing()), pk=pk
    )


@login_required
def measurement_edit(request, pk):
    """Correct a draft or a returned measurement, and (re)submit it."""
    measurement = _visible_measurement(request, pk)
    if not request.user.has_perm("plans.change_measurement", measurement):
        raise PermissionDenied
    form = MeasurementForm(request.POST or None, initial=MeasurementForm.initial_for(measurement))
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.measurement_update(
                acting_user=request.user,
                measurement=measurement,
                submit=form.cleaned_data["submit_now"],
                version=form.cleaned_data.get("version"),
                **_measurement_fields(form.cleaned_data),
            )
        except Conflict as exc:
            # Keep what the person typed, show the other change; a second Save knowingly
            # replaces the version they have now seen.
            conflict = _visible_measurement(request, pk)
            posted = request.POST.copy()
            posted["version"] = str(conflict.version)
            form = MeasurementForm(posted)
            form.is_valid()
            form.add_error(None, exc.message)
        except DomainError as exc:
            field = exc.field if exc.field in form.fields and exc.field != "version" else None
            form.add_error(field, exc.message)
        else:
            messages.success(request, _("The measurement was saved."))
            return redirect("web:measurement", pk=measurement.pk)
    return render(
        request,
        "web/measurement_form.html",
        {
            "form": form,
            "indicator": measurement.indicator,
            "plan": measurement.indicator.plan,
            "measurement": measurement,
            "conflict": conflict,
        },
    )


def measurement_detail(request, pk):
    """One measurement with its review state and its history (who did what, and when)."""
    measurement = _visible_measurement(request, pk)
    history = measurement.history.select_related("history_user").order_by("history_date")
    user = request.user
    return render(
        request,
        "web/measurement.html",
        {
            "measurement": measurement,
            "indicator": measurement.indicator,
            "plan": measurement.indicator.plan,
            "history": history,
            "can_edit": measurement.status in ("draft", "returned")
            and user.has_perm("plans.change_measurement", measurement),
            "can_review": measurement.status == "submitted"
            and user.has_perm("plans.review_measurement", measurement),
            "return_form": ReturnForm(),
        },
    )


@login_required
@require_POST
def measurement_action(request, pk, verb):
    measurement = _visible_measurement(request, pk)
    try:
        if verb == "submit":
            measurement = services.measurement_submit(
                acting_user=request.user, measurement=measurement
            )
        elif verb == "approve":
            measurement = services.measurement_approve(
                acting_user=request.user, measurement=measurement
            )
        elif verb == "return":
            form = ReturnForm(request.POST)
            note = form.cleaned_data["note"] if form.is_valid() else ""
            measurement = services.measurement_return(
                acting_user=request.user, measurement=measurement, note=note
            )
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Done: the measurement is now %(status)s.")
            % {"status": measurement.get_status_display()},
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "web:workspace"
    return redirect(target)


# ---------------------------------------------------------------- deleted records


@login_required
def deleted_list(request):
    """Administrators: the latest deletions, each with a button to bring it back."""
    if not request.user.has_perm("core.restore_deleted"):
        raise PermissionDenied
    return render(request, "web/deleted.html", {"deleted": recovery.deleted_records()})


@login_required
@require_POST
def deleted_restore(request):
    if not request.user.has_perm("core.restore_deleted"):
        raise PermissionDenied
    try:
        history_id = int(request.POST.get("history_id", ""))
        restored = recovery.record_restore(
            acting_user=request.user,
            model_label=request.POST.get("model", ""),
            history_id=history_id,
        )
    except ValueError:
        messages.error(request, _("There is no such deleted record."))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Restored: %(records)s.") % {"records": "; ".join(str(r) for r in restored)},
        )
    return redirect("web:deleted")
