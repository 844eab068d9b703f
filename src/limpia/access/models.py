from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from limpia.core.models import Organization


class Role(models.TextChoices):
    PLAN_EDITOR = "plan_editor", _("Plan editor")
    REVIEWER = "reviewer", _("Reviewer")
    REPORTER = "reporter", _("Indicator reporter")
    COORDINATOR = "coordinator", _("Agreement coordinator")
    COMPANY_REPRESENTATIVE = "company_rep", _("Company representative")
    REGULATOR = "regulator", _("Regulator")
    KNOWLEDGE_EDITOR = "knowledge_editor", _("Knowledge-centre editor")
    BODY_SECRETARIAT = "body_secretariat", _("Secretariat of a body")
    BODY_MEMBER = "body_member", _("Member organization of bodies")


PLAN_SCOPED_ROLES = (Role.PLAN_EDITOR, Role.REVIEWER)
# A regulator acts for its organization in every agreement where that organization signs as
# regulator; a reporter reports for its organization's indicators.
# A member organization's user acts for it in every body it sits in and on every commitment it
# is responsible for.
ORGANIZATION_SCOPED_ROLES = (Role.REPORTER, Role.REGULATOR, Role.BODY_MEMBER)


class RoleAssignment(models.Model):
    """A user's role, scoped to a plan (editors, reviewers) or an organization (reporters)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="roles",
    )
    company = models.ForeignKey(
        "agreements.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    body = models.ForeignKey(
        "network.Body", on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=PLAN_SCOPED_ROLES,
                        plan__isnull=False,
                        organization__isnull=True,
                        agreement__isnull=True,
                        company__isnull=True,
                        body__isnull=True,
                    )
                    | Q(
                        role__in=ORGANIZATION_SCOPED_ROLES,
                        organization__isnull=False,
                        plan__isnull=True,
                        agreement__isnull=True,
                        company__isnull=True,
                        body__isnull=True,
                    )
                    | Q(
                        role=Role.COORDINATOR,
                        agreement__isnull=False,
                        plan__isnull=True,
                        organization__isnull=True,
                        company__isnull=True,
                        body__isnull=True,
                    )
                    | Q(  # the knowledge centre is one: its editors have no scope
                        role=Role.KNOWLEDGE_EDITOR,
                        plan__isnull=True,
                        organization__isnull=True,
                        agreement__isnull=True,
                        company__isnull=True,
                        body__isnull=True,
                    )
                    | Q(
                        role=Role.COMPANY_REPRESENTATIVE,
                        company__isnull=False,
                        plan__isnull=True,
                        organization__isnull=True,
                        agreement__isnull=True,
                        body__isnull=True,
                    )
                    | Q(  # a body's secretariat also runs the bodies under it
                        role=Role.BODY_SECRETARIAT,
                        body__isnull=False,
                        plan__isnull=True,
                        organization__isnull=True,
                        agreement__isnull=True,
                        company__isnull=True,
                    )
                ),
                name="role_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "plan", "organization", "agreement", "company", "body"],
                name="role_assignment_unique",
            ),
        ]

    def __str__(self) -> str:
        scope = self.plan or self.organization or self.agreement or self.company or self.body
        return f"{self.user} — {self.get_role_display()} — {scope}"
