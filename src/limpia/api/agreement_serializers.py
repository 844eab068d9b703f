"""Serializers of the agreements API (reads); writes are plain input serializers for services."""

from rest_framework import serializers

from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    Certificate,
    Company,
    Facility,
    Goal,
    Impact,
    ImpactMetric,
    Signatory,
    Stage,
    StageChange,
)
from limpia.api.text import TextModelSerializer, TextSerializer
from limpia.core.models import Country
from limpia.registry.models import Expert


def fraction(value) -> float | None:
    return None if value is None else round(float(value), 6)


class ActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Action
        fields = [
            "code",
            "text",
            "deadline_months",
            "deadline_from",
            "deadline_date",
            "performance_indicator",
            "verification",
            "scope",
            "responsible",
            "target_value",
            "target_unit",
            "applies_to_sizes",
        ]


class GoalSerializer(serializers.ModelSerializer):
    actions = ActionSerializer(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = ["code", "title", "actions"]


class SignatorySerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="key", read_only=True)
    name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Signatory
        fields = ["id", "organization", "name", "role"]


class StageChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.StringRelatedField(allow_null=True)  # null: imported history

    class Meta:
        model = StageChange
        fields = ["from_stage", "to_stage", "changed_at", "changed_by", "comment", "imported"]


class AgreementListSerializer(serializers.ModelSerializer):
    sectors = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    territory = serializers.SerializerMethodField()
    adhered_facilities = serializers.IntegerField(read_only=True)
    certified_facilities = serializers.IntegerField(read_only=True)
    compliance = serializers.SerializerMethodField(
        help_text="sector compliance of the final audits, a fraction; null when not assessable"
    )

    class Meta:
        model = Agreement
        fields = [
            "slug",
            "code",
            "name",
            "country",
            "stage",
            "signing_date",
            "sectors",
            "territory",
            "adhered_facilities",
            "certified_facilities",
            "compliance",
            "is_sample",
        ]

    def get_territory(self, agreement) -> list[str]:
        if agreement.is_national:
            return [agreement.country_id]
        return [s.code for s in agreement.subdivisions.all()]

    def get_compliance(self, agreement) -> float | None:
        report = self.context.get("reports", {}).get(agreement.pk)
        return fraction(report.compliance) if report else None


class AgreementSerializer(AgreementListSerializer):
    signatories = SignatorySerializer(many=True, read_only=True)
    goals = GoalSerializer(many=True, read_only=True)
    stage_changes = StageChangeSerializer(many=True, read_only=True)
    adhesion_end = serializers.DateField(read_only=True, allow_null=True)
    implementation_end = serializers.DateField(read_only=True, allow_null=True)

    class Meta(AgreementListSerializer.Meta):
        fields = [
            *AgreementListSerializer.Meta.fields,
            "description",
            "adhesion_days",
            "duration_months",
            "adhesion_end",
            "implementation_end",
            "correction_above",
            "correction_days",
            "objection_days",
            "silence_is_consent",
            "validity_years",
            "signatories",
            "goals",
            "stage_changes",
        ]


class StageChangeRequestSerializer(TextSerializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    signing_date = serializers.DateField(required=False)


class ExtensionRequestSerializer(TextSerializer):
    new_end = serializers.DateField()
    reason = serializers.CharField(max_length=4000)


# The answers of the agreement's report actions, for the OpenAPI schema (the views build dicts).
class ComplianceFacilitySerializer(serializers.Serializer):
    facility_code = serializers.CharField()
    tax_id = serializers.CharField()
    compliance = serializers.FloatField(allow_null=True)
    applicable = serializers.IntegerField()
    complying = serializers.IntegerField()


class ComplianceCompanySerializer(serializers.Serializer):
    tax_id = serializers.CharField()
    compliance = serializers.FloatField(allow_null=True)
    facilities = serializers.IntegerField()


class ComplianceGoalSerializer(serializers.Serializer):
    code = serializers.CharField()
    compliance = serializers.FloatField(allow_null=True)


class ComplianceActionSerializer(serializers.Serializer):
    code = serializers.CharField()
    goal = serializers.CharField()
    compliance = serializers.FloatField(allow_null=True)
    applicable_facilities = serializers.IntegerField()
    complying_facilities = serializers.IntegerField()


class ComplianceReportSerializer(serializers.Serializer):
    audit = serializers.ChoiceField(choices=["final", "intermediate", "maintenance"])
    compliance = serializers.FloatField(allow_null=True)
    page = serializers.IntegerField(help_text="the page of facility and company lines shown")
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    facilities_count = serializers.IntegerField(help_text="audited facilities in all")
    companies_count = serializers.IntegerField()
    facilities = ComplianceFacilitySerializer(many=True, help_text="this page's")
    companies = ComplianceCompanySerializer(many=True, help_text="this page's")
    goals = ComplianceGoalSerializer(many=True)
    actions = ComplianceActionSerializer(many=True)


class LateFacilitySerializer(serializers.Serializer):
    facility_code = serializers.CharField()
    overdue_actions = serializers.ListField(child=serializers.CharField())
    last_report = serializers.DateField(allow_null=True, help_text="end of its latest report")


class ImpactTotalSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    metric = serializers.CharField()
    unit = serializers.CharField()
    total = serializers.FloatField()
    facilities = serializers.IntegerField()
    per_unit_of_production = serializers.FloatField(allow_null=True)
    production_unit = serializers.CharField(allow_null=True)


class CompanySerializer(TextModelSerializer):
    country = serializers.PrimaryKeyRelatedField(queryset=Country.objects.all())
    sector = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Company
        fields = ["id", "country", "tax_id", "name", "size", "sector", "is_sample"]


class FacilitySerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.tax_id", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)

    class Meta:
        model = Facility
        fields = ["id", "code", "name", "company", "company_name", "subdivision", "address"]


class AdhesionSerializer(TextModelSerializer):
    agreement = serializers.SlugRelatedField(slug_field="slug", queryset=Agreement.objects.all())
    facility = serializers.SlugRelatedField(slug_field="code", queryset=Facility.objects.all())

    class Meta:
        model = Adhesion
        fields = [
            "id",
            "agreement",
            "facility",
            "adhered_on",
            "exception_reason",
            "withdrawn_on",
            "withdrawal_reason",
        ]
        read_only_fields = ["withdrawn_on", "withdrawal_reason"]


class WithdrawalSerializer(TextSerializer):
    on = serializers.DateField()
    reason = serializers.CharField(max_length=4000)


class AuditItemSerializer(serializers.ModelSerializer):
    action = serializers.CharField(source="action.code", read_only=True)

    class Meta:
        model = AuditItem
        fields = ["action", "applies", "reason", "complies", "evidence", "observation", "version"]


class AuditSerializer(serializers.ModelSerializer):
    agreement = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    auditor = serializers.SlugRelatedField(slug_field="auditor_id", read_only=True)
    items = AuditItemSerializer(many=True, read_only=True)
    compliance = serializers.SerializerMethodField()

    class Meta:
        model = Audit
        fields = [
            "id",
            "agreement",
            "facility",
            "auditor",
            "audit_type",
            "audit_date",
            "status",
            "submitted_at",
            "correction_deadline",
            "corrects",
            "validated_at",
            "compliance",
            "items",
        ]

    def get_compliance(self, audit) -> float | None:
        from limpia import compliance
        from limpia.agreements.figures import pure_items

        return fraction(compliance.facility_compliance(pure_items(audit.items.all())))


class AuditOpenSerializer(TextSerializer):
    agreement = serializers.SlugRelatedField(slug_field="slug", queryset=Agreement.objects.all())
    facility = serializers.SlugRelatedField(slug_field="code", queryset=Facility.objects.all())
    auditor = serializers.SlugRelatedField(slug_field="auditor_id", queryset=Expert.objects.all())
    audit_type = serializers.ChoiceField(choices=Audit._meta.get_field("audit_type").choices)
    audit_date = serializers.DateField()
    corrects = serializers.PrimaryKeyRelatedField(
        queryset=Audit.objects.all(), required=False, allow_null=True
    )


class AuditItemRequestSerializer(TextSerializer):
    action = serializers.CharField(max_length=20, help_text="the action's code")
    applies = serializers.BooleanField()
    complies = serializers.BooleanField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    observation = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    version = serializers.IntegerField(
        min_value=0,
        help_text=(
            "the version of the item you read: 0 for an item not recorded yet; if someone "
            "recorded it since, the answer is 409 and nothing is saved"
        ),
    )


class AuditSubmitSerializer(serializers.Serializer):
    correction_deadline = serializers.DateField(required=False)


class CertificateSerializer(serializers.ModelSerializer):
    agreement = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    facility_name = serializers.CharField(
        read_only=True, help_text="the facility's name on the certificate (at issue)"
    )
    company = serializers.CharField(
        source="company_name",
        read_only=True,
        help_text="the company's name on the certificate (at issue)",
    )
    tax_id = serializers.CharField(source="facility.company.tax_id", read_only=True)
    status = serializers.SerializerMethodField()
    status_reason = serializers.SerializerMethodField()
    status_since = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "code",
            "agreement",
            "facility",
            "facility_name",
            "company",
            "tax_id",
            "issued_on",
            "valid_until",
            "status",
            "status_reason",
            "status_since",
            "is_sample",
        ]

    def _state(self, certificate):
        return self.context["states"][certificate.pk]

    def get_status(self, certificate) -> str:
        return self._state(certificate).status

    def get_status_reason(self, certificate) -> str:
        return self._state(certificate).reason

    def get_status_since(self, certificate) -> str | None:
        since = self._state(certificate).since
        return since.isoformat() if since else None


class CertificateIssueSerializer(TextSerializer):
    agreement = serializers.SlugRelatedField(slug_field="slug", queryset=Agreement.objects.all())
    facility = serializers.SlugRelatedField(slug_field="code", queryset=Facility.objects.all())
    issued_on = serializers.DateField()


class RevocationSerializer(TextSerializer):
    on = serializers.DateField()
    reason = serializers.CharField(max_length=4000)


class VerificationSerializer(serializers.Serializer):
    code = serializers.CharField()
    genuine = serializers.BooleanField(help_text="the signature matches the certificate's data")
    status = serializers.CharField()
    status_reason = serializers.CharField()
    facility = serializers.CharField(help_text="the facility's name on the certificate")
    facility_now = serializers.CharField(
        allow_null=True, help_text="the facility's name today, when it was renamed since"
    )
    company = serializers.CharField(help_text="the company's name on the certificate")
    company_now = serializers.CharField(
        allow_null=True, help_text="the company's name today, when it was renamed since"
    )
    tax_id = serializers.CharField()
    agreement = serializers.CharField(help_text="code and name on the certificate")
    issued_on = serializers.DateField()
    valid_until = serializers.DateField()


class ExpertSerializer(serializers.ModelSerializer):
    specialities = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Expert
        fields = [
            "auditor_id",
            "kind",
            "name",
            "country",
            "specialities",
            "registered_from",
            "registered_until",
        ]


class ImpactSerializer(TextModelSerializer):
    agreement = serializers.SlugRelatedField(slug_field="slug", queryset=Agreement.objects.all())
    facility = serializers.SlugRelatedField(slug_field="code", queryset=Facility.objects.all())
    metric = serializers.ChoiceField(choices=ImpactMetric.choices)

    class Meta:
        model = Impact
        fields = [
            "agreement",
            "facility",
            "metric",
            "year",
            "is_baseline",
            "value",
            "unit",
            "entered_value",
            "entered_unit",
        ]
        read_only_fields = ["value", "unit"]


class ConsultationOpenSerializer(TextSerializer):
    agreement = serializers.SlugRelatedField(slug_field="slug", queryset=Agreement.objects.all())
    facility = serializers.SlugRelatedField(slug_field="code", queryset=Facility.objects.all())
    consulted_on = serializers.DateField()


class ConsultationAnswerSerializer(TextSerializer):
    signatory = serializers.IntegerField(help_text="the regulator signatory's id")
    objects_to = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    answered_on = serializers.DateField()


CONSULTATION_STATES = ["open", "cleared", "objected", "expired_without_answer"]


class ConsultationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.CharField()
    facility = serializers.CharField()
    consulted_on = serializers.DateField()
    state = serializers.ChoiceField(choices=CONSULTATION_STATES)
    objections = serializers.ListField(child=serializers.CharField())


class ApplicationSerializer(TextModelSerializer):
    expert = serializers.SlugRelatedField(slug_field="auditor_id", queryset=Expert.objects.all())

    class Meta:
        from limpia.registry.models import Application

        model = Application
        fields = [
            "id",
            "expert",
            "is_renewal",
            "status",
            "submitted_on",
            "decided_on",
            "valid_from",
            "valid_until",
            "observations",
        ]
        read_only_fields = ["status", "decided_on", "valid_from", "valid_until", "observations"]


class DecisionSerializer(TextSerializer):
    status = serializers.ChoiceField(
        choices=["submitted", "recommended", "observed", "approved", "rejected"]
    )
    decided_on = serializers.DateField()
    observations = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False)


class RelationSerializer(TextSerializer):
    company = serializers.CharField(help_text="the company's tax identifier")
    country = serializers.CharField(max_length=2)
    kind = serializers.ChoiceField(choices=["employment", "consulting", "ownership", "family"])
    started_on = serializers.DateField()
    ended_on = serializers.DateField(required=False, allow_null=True)


class TrainingSerializer(TextSerializer):
    title = serializers.CharField(max_length=300)
    completed_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=6, decimal_places=1)
