"""Who may do what: the only place that decides it.

Views, the API, the admin and the services ask these predicates through
`user.has_perm("<app>.<verb>_<model>", obj)`; lists are narrowed with the `*_visible_to` helpers.
A user's role assignments are read once per user object and cached on it, so checking many
objects costs one query.
"""

import rules
from django.db.models import Q

from limpia.access.models import Role, RoleAssignment


def _roles(user) -> list[RoleAssignment]:
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_limpia_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user))
        user._limpia_roles = cached
    return cached


def plan_ids_with_role(user, *roles_: str) -> set[int]:
    return {a.plan_id for a in _roles(user) if a.role in roles_ and a.plan_id}


def organization_ids_reporting(user) -> set[int]:
    return {a.organization_id for a in _roles(user) if a.role == Role.REPORTER}


def _plan_of(obj):
    """The plan an object belongs to (plan, node, indicator, target or measurement)."""
    for path in ("plan", "indicator.plan", "node.plan"):
        current = obj
        for attr in path.split("."):
            current = getattr(current, attr, None)
        if current is not None:
            return current
    return obj if obj.__class__.__name__ == "Plan" else None


@rules.predicate
def is_admin(user) -> bool:
    return user.is_active and user.is_superuser


@rules.predicate
def is_plan_editor(user, obj=None) -> bool:
    if obj is None:
        return bool(plan_ids_with_role(user, Role.PLAN_EDITOR))
    plan = _plan_of(obj)
    return plan is not None and plan.pk in plan_ids_with_role(user, Role.PLAN_EDITOR)


@rules.predicate
def is_plan_reviewer(user, obj=None) -> bool:
    if obj is None:
        return bool(plan_ids_with_role(user, Role.REVIEWER))
    plan = _plan_of(obj)
    return plan is not None and plan.pk in plan_ids_with_role(user, Role.REVIEWER)


@rules.predicate
def is_public_plan(user, obj) -> bool:
    plan = _plan_of(obj)
    return plan is not None and plan.status == "approved"


def _indicator_organization_ids(indicator) -> set[int]:
    """The organizations that report on an indicator.

    Its reporting organization if it names one; else the organizations responsible for its
    node, or, when the node names none (an objective whose actions name them), for the nodes
    under it; a plan-level indicator belongs to the lead organizations of the plan's nodes.
    """
    from limpia.plans.models import NodeResponsibility

    if indicator.organization_id:
        return {indicator.organization_id}
    responsibilities = NodeResponsibility.objects.filter(node__plan_id=indicator.plan_id)
    if indicator.node_id is None:
        return set(responsibilities.filter(role="lead").values_list("organization_id", flat=True))
    rows = list(responsibilities.values_list("node_id", "organization_id"))
    own = {org for node_id, org in rows if node_id == indicator.node_id}
    if own:
        return own
    from limpia.plans.services import _subtree_ids

    subtree = set(_subtree_ids(indicator.node))
    return {org for node_id, org in rows if node_id in subtree}


@rules.predicate
def is_indicator_reporter(user, obj) -> bool:
    """Reporter for an organization responsible for the indicator (or a measurement's indicator)."""
    if obj is None:
        return bool(organization_ids_reporting(user))
    indicator = getattr(obj, "indicator", obj)
    mine = organization_ids_reporting(user)
    return bool(mine) and bool(mine & _indicator_organization_ids(indicator))


@rules.predicate
def is_measurement_author(user, measurement) -> bool:
    return measurement is not None and measurement.created_by_id == user.pk


@rules.predicate
def is_own_submission(user, measurement) -> bool:
    return measurement is not None and user.pk in (
        measurement.created_by_id,
        measurement.submitted_by_id,
    )


can_edit_plan = is_admin | is_plan_editor
can_view_plan = can_edit_plan | is_public_plan | is_plan_reviewer
can_report = is_admin | is_plan_editor | is_indicator_reporter

rules.add_perm("plans.view_plan", can_view_plan)
rules.add_perm("plans.add_plan", is_admin)
rules.add_perm("plans.change_plan", can_edit_plan)
rules.add_perm("plans.delete_plan", is_admin)
rules.add_perm("plans.approve_plan", is_admin)
for model in ("node", "indicator", "target", "noderesponsibility"):
    rules.add_perm(f"plans.view_{model}", can_view_plan)
    rules.add_perm(f"plans.add_{model}", can_edit_plan)
    rules.add_perm(f"plans.change_{model}", can_edit_plan)
    rules.add_perm(f"plans.delete_{model}", can_edit_plan)


# Measurements: reporters write drafts of their organizations' indicators, reviewers of the plan
# approve or return submissions, never their own (segregation of duties).
@rules.predicate
def is_published_measurement(user, measurement) -> bool:
    return (
        measurement is not None
        and measurement.status == "approved"
        and measurement.indicator.plan.status == "approved"
    )


rules.add_perm(
    "plans.view_measurement",
    is_published_measurement
    | can_edit_plan
    | is_plan_reviewer
    | can_report
    | is_measurement_author,
)
rules.add_perm("plans.add_measurement", can_report)
# Who may act on a measurement; whether its current status allows the act is the transition
# table's business (plans/services.py), so that an illegal move is a 409, not a 403.
can_change_measurement = is_admin | is_plan_editor | (is_measurement_author & can_report)
rules.add_perm("plans.change_measurement", can_change_measurement)
rules.add_perm("plans.submit_measurement", can_change_measurement)
rules.add_perm(
    "plans.review_measurement",
    is_admin | (is_plan_reviewer & ~is_own_submission),
)
rules.add_perm("plans.delete_measurement", is_admin)

for model in ("organization", "country", "subdivision", "subregion", "sector"):
    rules.add_perm(f"core.view_{model}", rules.always_allow)
    rules.add_perm(f"core.add_{model}", is_admin)
    rules.add_perm(f"core.change_{model}", is_admin)
    rules.add_perm(f"core.delete_{model}", is_admin)
rules.add_perm("access.view_roleassignment", is_admin)
rules.add_perm("access.add_roleassignment", is_admin)
rules.add_perm("access.change_roleassignment", is_admin)
rules.add_perm("access.delete_roleassignment", is_admin)


def plans_visible_to(user, queryset):
    if is_admin(user):
        return queryset
    mine = plan_ids_with_role(user, Role.PLAN_EDITOR, Role.REVIEWER)
    return queryset.filter(Q(status="approved") | Q(pk__in=mine))


def plans_worked_on_by(user, queryset):
    """The plans a user works on (edits or reviews): what the back office lists for them."""
    if is_admin(user):
        return queryset
    return queryset.filter(pk__in=plan_ids_with_role(user, Role.PLAN_EDITOR, Role.REVIEWER))


def measurements_visible_to(user, queryset):
    """Approved measurements of visible plans for everybody; the rest to those who work on them."""
    if is_admin(user):
        return queryset
    public = Q(status="approved", indicator__plan__status="approved")
    if not user.is_authenticated:
        return queryset.filter(public)
    plans = plan_ids_with_role(user, Role.PLAN_EDITOR, Role.REVIEWER)
    orgs = organization_ids_reporting(user)
    return queryset.filter(
        public
        | Q(indicator__plan_id__in=plans)
        | Q(indicator__organization_id__in=orgs)
        | Q(indicator__organization__isnull=True, indicator__node__organizations__in=orgs)
        | Q(created_by=user)
    ).distinct()


# ---------------------------------------------------------------- agreements (APL)


def agreement_ids_coordinated(user) -> set[int]:
    return {a.agreement_id for a in _roles(user) if a.role == Role.COORDINATOR}


def company_ids_represented(user) -> set[int]:
    return {a.company_id for a in _roles(user) if a.role == Role.COMPANY_REPRESENTATIVE}


def organization_ids_regulating(user) -> set[int]:
    return {a.organization_id for a in _roles(user) if a.role == Role.REGULATOR}


def _agreement_of(obj):
    if obj is None:
        return None
    if obj.__class__.__name__ == "Agreement":
        return obj
    for attr in ("agreement", "adhesion", "audit", "consultation"):
        related = getattr(obj, attr, None)
        if related is not None:
            return _agreement_of(related)
    return None


def _company_of(obj):
    if obj is None:
        return None
    if obj.__class__.__name__ == "Company":
        return obj
    for attr in ("company", "facility", "adhesion", "report"):
        related = getattr(obj, attr, None)
        if related is not None:
            return _company_of(related)
    return None


@rules.predicate
def is_coordinator(user, obj=None) -> bool:
    mine = agreement_ids_coordinated(user)
    if obj is None:
        return bool(mine)
    agreement = _agreement_of(obj)
    return agreement is not None and agreement.pk in mine


@rules.predicate
def is_company_representative(user, obj=None) -> bool:
    mine = company_ids_represented(user)
    if obj is None:
        return bool(mine)
    company = _company_of(obj)
    return company is not None and company.pk in mine


@rules.predicate
def is_assigned_auditor(user, audit) -> bool:
    expert = getattr(user, "expert", None) if user.is_authenticated else None
    return expert is not None and audit is not None and audit.auditor_id == expert.pk


@rules.predicate
def is_registered_auditor(user) -> bool:
    from django.utils import timezone

    expert = getattr(user, "expert", None) if user.is_authenticated else None
    return expert is not None and expert.is_registered_on(timezone.localdate())


@rules.predicate
def is_agreement_regulator(user, obj) -> bool:
    """The user acts for an organization that signed the agreement as regulator."""
    organizations = organization_ids_regulating(user)
    agreement = _agreement_of(obj)
    if not organizations or agreement is None:
        return False
    return agreement.signatories.filter(
        role="regulator", organization_id__in=organizations
    ).exists()


@rules.predicate
def is_published_agreement(user, obj) -> bool:
    agreement = _agreement_of(obj)
    return agreement is not None and agreement.stage not in (
        "interest",
        "admissibility",
        "diagnosis",
        "negotiation",
    )


can_coordinate = is_admin | is_coordinator
rules.add_perm("agreements.view_agreement", can_coordinate | is_published_agreement)
rules.add_perm("agreements.add_agreement", is_admin)
rules.add_perm("agreements.change_agreement", can_coordinate)
rules.add_perm("agreements.delete_agreement", is_admin)
rules.add_perm("agreements.change_stage", can_coordinate)
rules.add_perm("agreements.record_adhesion", can_coordinate | is_company_representative)
rules.add_perm("agreements.record_adhesion_exception", can_coordinate)
rules.add_perm("agreements.register_company", is_admin | is_coordinator)
rules.add_perm("agreements.report_follow_up", is_admin | is_company_representative)
rules.add_perm("agreements.view_facility_reports", can_coordinate | is_company_representative)
rules.add_perm("agreements.open_audit", can_coordinate)
rules.add_perm("agreements.record_audit", is_admin | is_assigned_auditor)
rules.add_perm("agreements.validate_correction", can_coordinate)
rules.add_perm("agreements.consult_regulators", can_coordinate)
rules.add_perm("agreements.answer_consultation", is_admin | is_agreement_regulator)
rules.add_perm("agreements.issue_certificate", can_coordinate)
rules.add_perm("agreements.revoke_certificate", can_coordinate)
rules.add_perm("agreements.record_impact", can_coordinate | is_company_representative)
rules.add_perm("registry.manage_registry", is_admin)
for model in (
    "goal",
    "action",
    "signatory",
    "agreementdocument",
    "company",
    "facility",
    "adhesion",
    "audit",
    "audititem",
    "certificate",
    "impact",
    "stagechange",
    "extension",
    "followupreport",
    "followupitem",
):
    rules.add_perm(f"agreements.view_{model}", can_coordinate | is_published_agreement)
    rules.add_perm(f"agreements.add_{model}", can_coordinate)
    rules.add_perm(f"agreements.change_{model}", can_coordinate)
    rules.add_perm(f"agreements.delete_{model}", is_admin)
# Consultations and answers are the coordinators' and the regulators' business, not public.
for model in ("consultation", "consultationanswer"):
    rules.add_perm(f"agreements.view_{model}", can_coordinate | is_agreement_regulator)
    rules.add_perm(f"agreements.add_{model}", can_coordinate)
    rules.add_perm(f"agreements.change_{model}", can_coordinate)
    rules.add_perm(f"agreements.delete_{model}", is_admin)
for model in ("expert", "application", "training", "relation"):
    rules.add_perm(f"registry.view_{model}", is_admin)
    rules.add_perm(f"registry.add_{model}", is_admin)
    rules.add_perm(f"registry.change_{model}", is_admin)
    rules.add_perm(f"registry.delete_{model}", is_admin)


def audits_visible_to(user, queryset):
    """Auditors see the audits assigned to them; coordinators their agreements'; companies
    their facilities'. Audit details are not public (the public sees compliance figures)."""
    if is_admin(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    expert = getattr(user, "expert", None)
    condition = Q(agreement_id__in=agreement_ids_coordinated(user)) | Q(
        facility__company_id__in=company_ids_represented(user)
    )
    if expert is not None:
        condition |= Q(auditor=expert)
    return queryset.filter(condition)


def agreements_visible_to(user, queryset):
    if is_admin(user):
        return queryset
    return queryset.filter(
        ~Q(stage__in=["interest", "admissibility", "diagnosis", "negotiation"])
        | Q(pk__in=agreement_ids_coordinated(user))
    )


def facilities_worked_on_by(user, queryset):
    """Facilities of the companies a user represents and those adhered to agreements they
    coordinate (everything for administrators)."""
    if is_admin(user):
        return queryset
    from limpia.agreements.models import Facility

    ids = Facility.objects.filter(
        Q(company_id__in=company_ids_represented(user))
        | Q(adhesions__agreement_id__in=agreement_ids_coordinated(user))
    ).values("pk")
    return queryset.filter(pk__in=ids)


def consultations_visible_to(user, queryset):
    """Consultations of the agreements a user coordinates or signed as regulator."""
    if is_admin(user):
        return queryset
    from limpia.agreements.models import Consultation

    ids = Consultation.objects.filter(
        Q(agreement_id__in=agreement_ids_coordinated(user))
        | Q(
            agreement__signatories__role="regulator",
            agreement__signatories__organization_id__in=organization_ids_regulating(user),
        )
    ).values("pk")
    return queryset.filter(pk__in=ids)


# ---------------------------------------------------------------- import jobs


@rules.predicate
def is_job_owner(user, job) -> bool:
    return job is not None and user.is_authenticated and job.created_by_id == user.pk


# An import job is its owner's: only they confirm or retry it, because it writes in their name
# (not even a superuser, whom Django grants every permission: hence a plain function, not a
# permission). Administrators see every job and may discard one.
rules.add_perm("exchange.view_importjob", is_admin | is_job_owner)
rules.add_perm("exchange.delete_importjob", is_admin | is_job_owner)


def may_run_import(user, job) -> bool:
    """Whether `user` may confirm or retry `job` (None: the operator at the terminal)."""
    return user is None or bool(is_job_owner(user, job))


def import_jobs_visible_to(user, queryset):
    if not user.is_authenticated:
        return queryset.none()
    if is_admin(user):
        return queryset
    return queryset.filter(created_by=user)


# ---------------------------------------------------------------- the audit trail

# Deleted records come back from their history only through an administrator.
rules.add_perm("core.restore_deleted", is_admin)


# ---------------------------------------------------------------- accounts


@rules.predicate
def is_same_user(user, other) -> bool:
    return other is not None and user.is_authenticated and other.pk == user.pk


@rules.predicate
def owns_token(user, token) -> bool:
    return token is not None and user.is_authenticated and token.user_id == user.pk


# People make API tokens for themselves; administrators see and revoke anyone's (back office).
rules.add_perm("accounts.add_apitoken", is_same_user)
rules.add_perm("accounts.view_apitoken", is_admin | owns_token)
rules.add_perm("accounts.revoke_apitoken", is_admin | owns_token)
# Two-factor sign-in is offered to administrators (LIMPIA_ADMIN_REQUIRE_2FA may require it).
rules.add_perm("accounts.use_two_factor", is_admin)


# ---------------------------------------------------------------- companies, facilities, registry


@rules.predicate
def is_visible_company(user, obj) -> bool:
    """A company (or facility) is public once it adhered to an agreement the user may see; its
    representatives always see it."""
    from limpia.agreements.models import Adhesion, Agreement

    company = _company_of(obj)
    if company is None:
        return False
    if company.pk in company_ids_represented(user):
        return True
    adhesions = Adhesion.objects.filter(
        agreement__in=agreements_visible_to(user, Agreement.objects.all())
    )
    if obj.__class__.__name__ == "Facility":
        return adhesions.filter(facility=obj).exists()
    return adhesions.filter(facility__company=company).exists()


@rules.predicate
def is_own_application(user, application) -> bool:
    expert = getattr(application, "expert", None)
    return bool(user.is_authenticated and expert is not None and expert.user_id == user.pk)


rules.set_perm("agreements.view_company", is_admin | is_visible_company)
rules.set_perm("agreements.view_facility", is_admin | is_visible_company)
rules.set_perm("registry.view_application", is_admin | is_own_application)


# ---------------------------------------------------------------- the knowledge centre


@rules.predicate
def is_knowledge_editor(user) -> bool:
    return any(a.role == Role.KNOWLEDGE_EDITOR for a in _roles(user))


@rules.predicate
def is_published_document(user, obj) -> bool:
    document = getattr(obj, "document", obj)
    return document is not None and getattr(document, "status", None) == "published"


# Knowledge-centre editors (and administrators) write, publish and see drafts; everybody reads
# published documents and their results.
can_edit_knowledge = is_admin | is_knowledge_editor
rules.add_perm("knowledge.edit_document", can_edit_knowledge)
for model in ("document", "casestudyresult"):
    rules.add_perm(f"knowledge.view_{model}", can_edit_knowledge | is_published_document)
    rules.add_perm(f"knowledge.add_{model}", can_edit_knowledge)
    rules.add_perm(f"knowledge.change_{model}", can_edit_knowledge)
    rules.add_perm(f"knowledge.delete_{model}", is_admin)


# ---------------------------------------------------------------- the network


def body_ids_as_secretariat(user) -> set[int]:
    return {a.body_id for a in _roles(user) if a.role == Role.BODY_SECRETARIAT}


def organization_ids_as_member(user) -> set[int]:
    return {a.organization_id for a in _roles(user) if a.role == Role.BODY_MEMBER}


def _body_of(obj):
    """The body an object belongs to (a body, a membership, a meeting, a decision, a
    commitment or an update)."""
    for path in ("commitment.body", "meeting.body", "body"):
        current = obj
        for attr in path.split("."):
            current = getattr(current, attr, None)
        if current is not None:
            return current
    return obj if obj.__class__.__name__ == "Body" else None


def _lineage_ids(body) -> set[int]:
    """The body and the bodies it belongs to (a council's secretariat runs its committees)."""
    ids, seen = set(), 0
    while body is not None and seen < 20:
        ids.add(body.pk)
        body, seen = body.parent, seen + 1
    return ids


@rules.predicate
def is_body_secretariat(user, obj=None) -> bool:
    mine = body_ids_as_secretariat(user)
    if obj is None:
        return bool(mine)
    body = _body_of(obj)
    return bool(mine) and body is not None and bool(mine & _lineage_ids(body))


@rules.predicate
def is_commitment_responsible(user, obj) -> bool:
    """The user acts for an organization responsible for the commitment, or for a current
    member of the body responsible for it."""
    mine = organization_ids_as_member(user)
    commitment = getattr(obj, "commitment", obj)
    if not mine or commitment is None:
        return False
    from django.utils import timezone

    from limpia.network.models import Membership

    responsible = {o.pk for o in commitment.responsible_organizations.all()}
    if mine & responsible:
        return True
    if commitment.responsible_body_id:
        today = timezone.localdate()
        members = Membership.objects.filter(
            body_id=commitment.responsible_body_id, organization_id__in=mine
        ).filter(Q(term_to__isnull=True) | Q(term_to__gte=today))
        return members.exists()
    return False


@rules.predicate
def is_approved_update(user, update) -> bool:
    return update is not None and update.status == "approved"


@rules.predicate
def is_update_submitter(user, update) -> bool:
    return update is not None and user.pk in (update.created_by_id, update.submitted_by_id)


@rules.predicate
def is_parent_body_secretariat(user, parent=None) -> bool:
    """A secretariat founds bodies under one it runs; a body with no parent (a new council
    or network at the top) is for administrators only."""
    return parent is not None and is_body_secretariat(user, parent)


can_run_body = is_admin | is_body_secretariat
rules.add_perm("network.add_body", is_admin | is_parent_body_secretariat)  # obj: the parent
rules.add_perm("network.change_body", can_run_body)
rules.add_perm("network.delete_body", is_admin)
rules.add_perm("network.report_commitment", can_run_body | is_commitment_responsible)
rules.add_perm(
    "network.review_commitmentupdate", is_admin | (is_body_secretariat & ~is_update_submitter)
)
for model in (
    "body",
    "membership",
    "focalpoint",
    "meeting",
    "agendaitem",
    "participation",
    "decision",
    "commitment",
):
    rules.add_perm(f"network.view_{model}", rules.always_allow)
    if model != "body":
        rules.add_perm(f"network.add_{model}", can_run_body)
        rules.add_perm(f"network.change_{model}", can_run_body)
        rules.add_perm(f"network.delete_{model}", can_run_body)
rules.add_perm(
    "network.view_commitmentupdate",
    is_approved_update | can_run_body | is_commitment_responsible,
)
rules.add_perm("network.add_commitmentupdate", can_run_body | is_commitment_responsible)
rules.add_perm("network.change_commitmentupdate", can_run_body | is_commitment_responsible)
rules.add_perm("network.delete_commitmentupdate", is_admin)


def updates_visible_to(user, queryset):
    """Approved updates for everybody; the rest to the body's secretariat and the
    responsible organizations."""
    if is_admin(user):
        return queryset
    public = Q(status="approved")
    if not user.is_authenticated:
        return queryset.filter(public)
    bodies = body_ids_as_secretariat(user)
    orgs = organization_ids_as_member(user)
    return queryset.filter(
        public
        | Q(commitment__body_id__in=bodies)
        | Q(commitment__body__parent_id__in=bodies)
        | Q(commitment__responsible_organizations__in=orgs)
        | Q(created_by=user)
    ).distinct()


# ---------------------------------------------------------------- cooperation
# A need is written by whoever acts for the organization that needs it (a member
# organization's user: `body_member`), an offer by whoever acts for its provider;
# administrators write both. Everybody reads open needs and offers (docs/cooperation.md).


@rules.predicate
def acts_for_requester(user, need=None) -> bool:
    if need is None:
        return bool(organization_ids_as_member(user))
    return need.requester_id is not None and need.requester_id in organization_ids_as_member(user)


@rules.predicate
def acts_for_provider(user, offer=None) -> bool:
    if offer is None:
        return bool(organization_ids_as_member(user))
    return offer.provider_id in organization_ids_as_member(user)


rules.add_perm("cooperation.view_need", rules.always_allow)
rules.add_perm("cooperation.view_offer", rules.always_allow)
rules.add_perm("cooperation.view_programme", rules.always_allow)
rules.add_perm("cooperation.add_need", is_admin | acts_for_requester)
rules.add_perm("cooperation.change_need", is_admin | acts_for_requester)
rules.add_perm("cooperation.add_offer", is_admin | acts_for_provider)
rules.add_perm("cooperation.change_offer", is_admin | acts_for_provider)
