from django.utils.translation import gettext as _
from rest_framework import serializers

from limpia.api.text import TextModelSerializer, TextSerializer
from limpia.core.errors import DomainError
from limpia.core.models import Country, Organization, Sector, Subdivision, Subregion
from limpia.core.places import resolve_jurisdiction
from limpia.plans.models import Indicator, Measurement, Node, NodeResponsibility, Plan, Target


def version_field(minimum: int = 1) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=minimum,
        help_text=(
            "Raised by every change. Required when updating: send back the version you read; "
            "if someone changed it since, the answer is 409 and nothing is saved."
        ),
    )


def require_version(serializer, attrs: dict) -> dict:
    """An update must say which version it read: two writers who did not would each answer
    200 and one change would silently be lost (OpenAPI cannot say "required on updates")."""
    if "version" not in attrs:
        raise serializers.ValidationError(
            {
                "version": [
                    _(
                        "Send the version you read (an update without it could overwrite "
                        "someone else's change)."
                    )
                ]
            }
        )
    return attrs


class VersionedSerializer(TextModelSerializer):
    """A model serializer whose updates (PUT and PATCH) must carry the version they read."""

    version = version_field()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        return require_version(self, attrs) if self.instance is not None else attrs


class CountrySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="localized_name", read_only=True)

    class Meta:
        model = Country
        fields = ["code", "alpha_3", "name", "name_es", "name_en", "name_pt"]


class SubdivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subdivision
        fields = ["code", "country", "name", "type", "parent"]


class SubregionSerializer(serializers.ModelSerializer):
    countries = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Subregion
        fields = ["key", "name_es", "name_en", "name_pt", "countries"]


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["code", "level", "parent", "name_es", "name_en"]


class OrganizationSerializer(VersionedSerializer):
    country = serializers.SlugRelatedField(
        slug_field="code", queryset=Country.objects.all(), allow_null=True, required=False
    )
    parent = serializers.SlugRelatedField(
        slug_field="key", queryset=Organization.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Organization
        fields = ["id", "key", "name", "acronym", "kind", "country", "parent", "version"]


class PlanSerializer(VersionedSerializer):
    jurisdiction = serializers.CharField(
        help_text="ISO 3166-1 alpha-2 country code, subregion key, or LAC for the whole region"
    )
    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=Plan.objects.all(), allow_null=True, required=False
    )
    status_changed_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    level_names = serializers.ListField(
        child=serializers.CharField(max_length=80), max_length=12, required=False
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "jurisdiction" in attrs:
            try:
                attrs.update(resolve_jurisdiction(attrs.pop("jurisdiction")))
            except DomainError as exc:
                raise serializers.ValidationError({"jurisdiction": [exc.message]}) from None
        return attrs

    class Meta:
        model = Plan
        fields = [
            "slug",
            "title",
            "short_title",
            "jurisdiction",
            "parent",
            "period_start",
            "period_end",
            "status",
            "status_changed_at",
            "status_changed_by",
            "adopted_on",
            "adopted_by",
            "level_names",
            "description",
            "source_file",
            "source_title",
            "source_publisher",
            "is_transcription",
            "version",
        ]
        read_only_fields = ["status", "status_changed_at", "is_transcription"]


class ResponsibilitySerializer(TextModelSerializer):
    organization = serializers.SlugRelatedField(
        slug_field="key", queryset=Organization.objects.all()
    )

    class Meta:
        model = NodeResponsibility
        fields = ["organization", "role"]


class NodeSerializer(VersionedSerializer):
    plan = serializers.SlugRelatedField(slug_field="slug", queryset=Plan.objects.all())
    level = serializers.CharField(source="level_name", read_only=True)
    responsible = ResponsibilitySerializer(
        source="responsibilities", many=True, required=False, help_text="lead and support"
    )

    class Meta:
        model = Node
        fields = [
            "id",
            "plan",
            "parent",
            "code",
            "normalized_code",
            "level",
            "level_label",
            "depth",
            "position",
            "title",
            "description",
            "expected_result",
            "responsible",
            "responsible_text",
            "horizon",
            "due_date",
            "due_text",
            "resources_local",
            "resources_cooperation",
            "implementation_status",
            "weight",
            "version",
            "source_ref",
            "note",
        ]
        read_only_fields = ["depth"]


class TargetSerializer(VersionedSerializer):
    class Meta:
        model = Target
        fields = ["id", "indicator", "value", "due_date", "text", "version"]


class IndicatorSerializer(VersionedSerializer):
    plan = serializers.SlugRelatedField(slug_field="slug", queryset=Plan.objects.all())
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "plan",
            "node",
            "code",
            "name",
            "description",
            "kind",
            "unit",
            "measure",
            "direction",
            "baseline_value",
            "baseline_date",
            "weight",
            "organization",
            "source_ref",
            "note",
            "targets",
            "version",
        ]


class MeasurementSerializer(VersionedSerializer):
    created_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    submitted_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    reviewed_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    submit = serializers.BooleanField(write_only=True, required=False, default=False)
    disaggregation = serializers.DictField(child=serializers.CharField(), required=False)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "indicator",
            "date",
            "value",
            "text",
            "disaggregation",
            "comment",
            "evidence_url",
            "status",
            "is_sample",
            "created_at",
            "created_by",
            "submitted_at",
            "submitted_by",
            "reviewed_at",
            "reviewed_by",
            "review_note",
            "version",
            "submit",
        ]
        # One measurement per indicator, date and group is the service's check (its message
        # names the date); DRF's own would make the disaggregation a required field.
        validators = []
        read_only_fields = [
            "status",
            "is_sample",
            "created_at",
            "submitted_at",
            "reviewed_at",
            "review_note",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            # Who reported and reviewed is kept and shown to signed-in users, not published.
            for field in ("created_by", "submitted_by", "reviewed_by"):
                data[field] = None
        return data


class ReturnSerializer(TextSerializer):
    note = serializers.CharField(max_length=2000)


# The tree endpoint's shape, for the OpenAPI schema (the view builds plain dicts).
class TreeTargetSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    text = serializers.CharField()


class TreeIndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.CharField()
    measure = serializers.CharField()
    direction = serializers.CharField()
    baseline = serializers.DictField()
    targets = TreeTargetSerializer(many=True)
    current_value = serializers.FloatField(allow_null=True)
    observed_on = serializers.DateField(allow_null=True)
    progress = serializers.FloatField(allow_null=True)
    status = serializers.CharField()
    forecast_value = serializers.FloatField(allow_null=True)
    projected_date = serializers.DateField(allow_null=True)
    late = serializers.BooleanField()
    includes_sample_data = serializers.BooleanField()


class TreeNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    normalized_code = serializers.CharField()
    title = serializers.CharField()
    level = serializers.CharField()
    progress = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    status_counts = serializers.DictField(child=serializers.IntegerField())
    indicators = TreeIndicatorSerializer(many=True)
    children = serializers.ListField(child=serializers.DictField(), help_text="nodes, same shape")


class TreeSerializer(PlanSerializer):
    as_of = serializers.DateField()
    includes_sample_data = serializers.BooleanField()
    progress = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    status_counts = serializers.DictField(child=serializers.IntegerField())
    indicators = TreeIndicatorSerializer(many=True)
    children = TreeNodeSerializer(many=True)
    subplans = serializers.ListField(
        child=serializers.DictField(), help_text="subregional or associated plans (slug, title)"
    )

    class Meta(PlanSerializer.Meta):
        fields = [
            *PlanSerializer.Meta.fields,
            "as_of",
            "progress",
            "coverage",
            "status_counts",
            "indicators",
            "children",
            "subplans",
            "includes_sample_data",
        ]
