from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from limpia.core.models import Organization


class Role(models.TextChoices):
    PLAN_EDITOR = "plan_editor", _("Plan editor")
    REVIEWER = "reviewer", _("Reviewer")
    REPORTER = "reporter", _("Indicator reporter")


PLAN_SCOPED_ROLES = (Role.PLAN_EDITOR, Role.REVIEWER)


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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=PLAN_SCOPED_ROLES, plan__isnull=False, organization__isnull=True)
                    | Q(role=Role.REPORTER, organization__isnull=False, plan__isnull=True)
                ),
                name="role_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "plan", "organization"], name="role_assignment_unique"
            ),
        ]

    def __str__(self) -> str:
        scope = self.plan or self.organization
        return f"{self.user} — {self.get_role_display()} — {scope}"
