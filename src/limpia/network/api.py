"""REST API v1 of the network: bodies, memberships, focal points, meetings, decisions,
commitments and commitment updates, under `/api/v1/network/`.

Thin over limpia.network: reads are the querysets (paginated, a fixed number of queries
whatever the number of rows), every write calls a `limpia.network.services` function with the
request's user, which checks the permission (limpia.access.rules), validates and records the
history. A refused change is a 400 naming the field, a refusal a 403, an illegal transition of
an update and a stale `version` a 409 (limpia.api.errors).

- Bodies are named by their `key`; their answer carries the memberships current today
  (`composition`) and the focal points (a person's name and contact only with consent).
- Commitments carry their `state` and `late` on `?as_of=YYYY-MM-DD` (default today), late ones
  first (limpia.network.queries.commitments_board); one met by meetings also its `periods`
  (recurring) and the meetings that count.
- Commitment updates are seen by the body's secretariat and the responsible organizations
  until approved, then by everybody; `submit/`, `approve/` and `return/` move them.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_filters.widgets import BooleanWidget
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from limpia.access.rules import (
    body_ids_as_secretariat,
    is_admin,
    organization_ids_as_member,
    updates_visible_to,
)
from limpia.api.serializers import VersionedSerializer
from limpia.api.text import TextModelSerializer, TextSerializer
from limpia.api.writes import ServiceWrites
from limpia.core.dates import parse_as_of
from limpia.core.models import Country, Organization, Subdivision, Subregion
from limpia.core.services import require_perm
from limpia.knowledge.models import Document
from limpia.knowledge.queries import documents_visible_to
from limpia.network import queries, services
from limpia.network.models import (
    AgendaItem,
    Body,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Decision,
    FocalPoint,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Membership,
    Participation,
)
from limpia.plans.models import Indicator, Node
from limpia.schedule import CommitmentState

STATES = [(state.value, state.value) for state in CommitmentState]
PERIOD_STATES = [("met", "met"), ("missed", "missed"), ("in_course", "in_course")]
# A choice set named by one field only: drf-spectacular names an enum after its field, and the
# same set under two field names (`status` and `reported_status`, `kind` and `meeting_kinds`)
# would be two names for one set (a schema warning). These take the values as their labels.
REPORTED_STATUSES = [(value, value) for value in CommitmentStatus.values]
MEETING_KINDS = [(value, value) for value in MeetingKind.values]
AS_OF = OpenApiParameter(
    "as_of", str, description="YYYY-MM-DD, default today: the day the states are computed on"
)


def current_on(day):
    """Memberships whose term includes `day`."""
    return (Q(term_from__isnull=True) | Q(term_from__lte=day)) & (
        Q(term_to__isnull=True) | Q(term_to__gte=day)
    )


class OrganizationRef(serializers.SlugRelatedField):
    """An organization by its key; writes take its id (a number) too."""

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Organization.objects.all())
        super().__init__(slug_field="key", **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            organization = self.get_queryset().filter(pk=data).first()
            if organization is None:
                self.fail("does_not_exist", slug_name="id", value=data)
            return organization
        return super().to_internal_value(data)


def body_ref(**kwargs) -> serializers.SlugRelatedField:
    if not kwargs.get("read_only"):
        kwargs.setdefault("queryset", Body.objects.all())
    return serializers.SlugRelatedField(slug_field="key", **kwargs)


def optional(**kwargs) -> dict:
    return {"required": False, "allow_null": True, **kwargs}


# ---------------------------------------------------------------- serializers


class MembershipSerializer(VersionedSerializer):
    body = body_ref()
    organization = OrganizationRef()
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    subregion = serializers.SlugRelatedField(
        slug_field="key", queryset=Subregion.objects.all(), **optional()
    )
    elected_at = serializers.PrimaryKeyRelatedField(
        queryset=Meeting.objects.all(), **optional(help_text="the meeting (id) that elected it")
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "body",
            "organization",
            "organization_name",
            "role",
            "seat",
            "subregion",
            "term_from",
            "term_to",
            "status_note",
            "elected_at",
            "source_ref",
            "note",
            "version",
        ]


class FocalPointSerializer(VersionedSerializer):
    body = body_ref()
    country = serializers.PrimaryKeyRelatedField(queryset=Country.objects.all())
    organization = OrganizationRef()
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = FocalPoint
        fields = [
            "id",
            "body",
            "country",
            "organization",
            "organization_name",
            "unit",
            "position",
            "person_name",
            "contact",
            "consent_on",
            "source_ref",
            "version",
        ]
        extra_kwargs = {
            "person_name": {"help_text": "kept and shown only with consent_on"},
            "contact": {"help_text": "kept and shown only with consent_on"},
        }
        validators = []  # one per country and body: the service's check names the country

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.consent_on is None:  # nobody's name or contact without their consent
            data["person_name"] = data["contact"] = ""
        return data


class BodySerializer(VersionedSerializer):
    country = serializers.PrimaryKeyRelatedField(queryset=Country.objects.all(), **optional())
    subregion = serializers.SlugRelatedField(
        slug_field="key", queryset=Subregion.objects.all(), **optional()
    )
    subdivision = serializers.PrimaryKeyRelatedField(
        queryset=Subdivision.objects.all(), **optional()
    )
    parent = body_ref(**optional(help_text="the body it belongs to (key)"))
    host = OrganizationRef(**optional(help_text="the hosting organization (key)"))
    organization = OrganizationRef(
        **optional(help_text="the organization record that stands for the body (key)")
    )
    composition = MembershipSerializer(
        source="current_memberships",
        many=True,
        read_only=True,
        help_text="the memberships current today",
    )
    focal_points = FocalPointSerializer(many=True, read_only=True)

    class Meta:
        model = Body
        fields = [
            "key",
            "name",
            "acronym",
            "kind",
            "scope",
            "country",
            "subregion",
            "subdivision",
            "parent",
            "host",
            "organization",
            "status",
            "founding_act",
            "founded_on",
            "active_from",
            "active_until",
            "description",
            "source_ref",
            "note",
            "is_sample",
            "version",
            "composition",
            "focal_points",
        ]
        read_only_fields = ["is_sample"]


class AgendaItemSerializer(TextModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["position", "day", "time", "title", "source_ref"]
        read_only_fields = ["position"]


class ParticipationSerializer(TextModelSerializer):
    organization = OrganizationRef(**optional(help_text="one organization (key), or none: a count"))

    class Meta:
        model = Participation
        fields = ["kind", "organization", "count", "text", "source_ref"]
        validators = []  # once per kind (or organization): the service's check


class MeetingSerializer(VersionedSerializer):
    body = body_ref()
    country = serializers.PrimaryKeyRelatedField(queryset=Country.objects.all(), **optional())
    agenda = AgendaItemSerializer(
        many=True, required=False, help_text="when given, replaces the meeting's agenda"
    )
    participation = ParticipationSerializer(
        many=True, required=False, help_text="when given, replaces the meeting's participation"
    )
    documents = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Document.objects.all(),
        help_text="published knowledge-centre documents (ids: minutes, reports); "
        "when given, replaces them",
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "key",
            "body",
            "number",
            "name",
            "kind",
            "status",
            "starts_on",
            "ends_on",
            "place",
            "country",
            "is_virtual",
            "total_participants",
            "source_ref",
            "note",
            "is_sample",
            "documents",
            "agenda",
            "participation",
            "version",
        ]
        read_only_fields = ["is_sample"]
        validators = []  # a number once per body: the service's check names the number


class NetworkDecisionSerializer(VersionedSerializer):
    """What a meeting agreed, elected, recommended or concluded."""

    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all())
    body = serializers.CharField(source="meeting.body.key", read_only=True)
    addressed_to = body_ref(**optional(help_text="the body a recommendation goes to (key)"))

    class Meta:
        model = Decision
        fields = [
            "id",
            "meeting",
            "body",
            "number",
            "position",
            "kind",
            "text",
            "addressed_to",
            "source_ref",
            "note",
            "version",
        ]
        validators = []  # one number per meeting and kind: the model's validation


class CommitmentPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="inclusive")
    events = serializers.IntegerField(help_text="meetings that count, held in the period")
    state = serializers.ChoiceField(choices=PERIOD_STATES)


class CommitmentSerializer(VersionedSerializer):
    body = body_ref()
    decision = serializers.PrimaryKeyRelatedField(
        queryset=Decision.objects.all(), **optional(help_text="the decision (id) it follows")
    )
    responsible = OrganizationRef(
        source="responsible_organizations",
        many=True,
        required=False,
        help_text="responsible organizations (keys, or ids); when given, replaces them",
    )
    responsible_body = body_ref(**optional())
    tracked_body = body_ref(**optional(help_text="rule meetings: the body whose meetings count"))
    nodes = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Node.objects.all(),
        help_text="the plan nodes (ids) it serves; when given, replaces them",
    )
    indicators = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Indicator.objects.all(),
        help_text="the plan indicators (ids) it serves; when given, replaces them",
    )
    meeting_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=MEETING_KINDS),
        required=False,
        help_text="rule meetings: the kinds of meeting that count (empty: any)",
    )
    state = serializers.ChoiceField(
        choices=STATES, read_only=True, help_text="on as_of (default today)"
    )
    late = serializers.BooleanField(read_only=True, help_text="overdue or missed on as_of")
    periods = serializers.SerializerMethodField(
        help_text="a recurring commitment met by meetings: its periods up to as_of; else null"
    )
    meetings = serializers.SerializerMethodField(
        help_text="a commitment met by meetings: the held meetings (ids) that count, up to as_of"
    )

    class Meta:
        model = Commitment
        fields = [
            "id",
            "body",
            "decision",
            "title",
            "responsible",
            "responsible_body",
            "nodes",
            "indicators",
            "rule",
            "status",
            "done_on",
            "starts_on",
            "due_on",
            "every_months",
            "ends_on",
            "tracked_body",
            "meeting_kinds",
            "recurrence_text",
            "reading",
            "source_ref",
            "is_sample",
            "version",
            "state",
            "late",
            "periods",
            "meetings",
        ]
        read_only_fields = ["is_sample"]

    def _computed(self, commitment):
        return self.context.get("computed", {}).get(commitment.pk)

    @extend_schema_field(CommitmentPeriodSerializer(many=True, allow_null=True))
    def get_periods(self, commitment) -> list[dict] | None:
        computed = self._computed(commitment)
        if computed is None or computed.recurring is None:
            return None
        return [
            {"start": r.period.start, "end": r.period.end, "events": r.events, "state": r.state}
            for r in computed.recurring.periods
        ]

    def get_meetings(self, commitment) -> list[int]:
        computed = self._computed(commitment)
        if computed is None:
            return []
        as_of = self.context.get("as_of") or timezone.localdate()
        return [m.pk for m in computed.meetings if m.starts_on <= as_of]


class CommitmentUpdateSerializer(VersionedSerializer):
    commitment = serializers.PrimaryKeyRelatedField(queryset=Commitment.objects.all())
    organization = OrganizationRef(**optional(help_text="the organization reporting (key)"))
    reported_status = serializers.ChoiceField(
        choices=REPORTED_STATUSES, help_text="the commitment's status once approved"
    )
    evidence = serializers.PrimaryKeyRelatedField(
        queryset=Document.objects.published(), **optional(help_text="a published document (id)")
    )
    created_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    submitted_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    reviewed_by = serializers.StringRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = CommitmentUpdate
        fields = [
            "id",
            "commitment",
            "organization",
            "date",
            "reported_status",
            "text",
            "evidence_url",
            "evidence",
            "status",
            "created_by",
            "submitted_by",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "version",
        ]
        read_only_fields = ["status", "reviewed_at", "review_comment"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            # Who reported and reviewed is kept and shown to signed-in users, not published.
            for field in ("created_by", "submitted_by", "reviewed_by"):
                data[field] = None
        return data


class CommitmentReturnSerializer(TextSerializer):
    comment = serializers.CharField(max_length=4000, help_text="why, so it can be corrected")


# ---------------------------------------------------------------- filters


class BodyFilter(django_filters.FilterSet):
    subregion = django_filters.CharFilter(field_name="subregion__key", help_text="subregion key")
    parent = django_filters.CharFilter(field_name="parent__key", help_text="parent body key")
    q = django_filters.CharFilter(method="search", help_text="words of the name or acronym")

    class Meta:
        model = Body
        fields = ["kind", "scope", "country", "status", "subregion", "parent", "q"]

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(name__icontains=word) | Q(acronym__icontains=word))
        return queryset


class MembershipFilter(django_filters.FilterSet):
    body = django_filters.CharFilter(field_name="body__key", help_text="body key")
    organization = django_filters.CharFilter(
        field_name="organization__key", help_text="organization key"
    )
    current = django_filters.BooleanFilter(
        widget=BooleanWidget(), method="current_today", help_text="current today"
    )

    class Meta:
        model = Membership
        fields = ["body", "organization", "role", "current"]

    def current_today(self, queryset, name, value):
        today = current_on(timezone.localdate())
        return queryset.filter(today) if value else queryset.exclude(today)


class FocalPointFilter(django_filters.FilterSet):
    body = django_filters.CharFilter(field_name="body__key", help_text="body key")
    organization = django_filters.CharFilter(
        field_name="organization__key", help_text="organization key"
    )

    class Meta:
        model = FocalPoint
        fields = ["body", "country", "organization"]


class MeetingFilter(django_filters.FilterSet):
    body = django_filters.CharFilter(field_name="body__key", help_text="body key")
    upcoming = django_filters.BooleanFilter(
        widget=BooleanWidget(),
        method="upcoming_only",
        help_text="1: scheduled meetings not over yet, soonest first",
    )

    class Meta:
        model = Meeting
        fields = ["body", "kind", "status", "country", "upcoming"]

    def upcoming_only(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            status=MeetingStatus.SCHEDULED, ends_on__gte=timezone.localdate()
        ).order_by("starts_on", "id")


class DecisionFilter(django_filters.FilterSet):
    body = django_filters.CharFilter(field_name="meeting__body__key", help_text="body key")

    class Meta:
        model = Decision
        fields = ["body", "meeting", "kind"]


class CommitmentFilter(django_filters.FilterSet):
    body = django_filters.CharFilter(field_name="body__key", help_text="body key")
    responsible = django_filters.CharFilter(
        field_name="responsible_organizations__key", help_text="responsible organization key"
    )
    state = django_filters.ChoiceFilter(choices=STATES, help_text="the state on as_of")
    late = django_filters.BooleanFilter(
        widget=BooleanWidget(), method="late_only", help_text="overdue or missed on as_of"
    )

    class Meta:
        model = Commitment
        fields = ["body", "responsible", "rule", "state", "late"]

    def late_only(self, queryset, name, value):
        return queryset.filter(late=1 if value else 0)


class CommitmentUpdateFilter(django_filters.FilterSet):
    body = django_filters.CharFilter(field_name="commitment__body__key", help_text="body key")

    class Meta:
        model = CommitmentUpdate
        fields = ["body", "commitment", "status"]


# ---------------------------------------------------------------- views


def runs_some_body(user) -> bool:
    """Administrators and secretariats: who may write the network at all (each write is then
    checked for its body by the service)."""
    return is_admin(user) or bool(body_ids_as_secretariat(user))


class NetworkWrites(ServiceWrites):
    """The network's records: written by administrators and secretariats (each write is then
    checked for its body by the service)."""

    denied_message = gettext_lazy("You are not allowed to write the network's records.")

    def may_create(self, user) -> bool:
        return runs_some_body(user)


class BodyViewSet(NetworkWrites):
    """Councils, committees, round tables, secretariats, working groups and forums."""

    serializer_class = BodySerializer
    filterset_class = BodyFilter
    lookup_field = "key"

    def get_queryset(self):
        today = timezone.localdate()
        current = (
            Membership.objects.filter(current_on(today))
            .select_related("organization", "subregion")
            .order_by("seat", "role", "organization__name", "id")
        )
        return (
            Body.objects.for_listing()
            .select_related("organization")
            .prefetch_related(
                Prefetch("memberships", queryset=current, to_attr="current_memberships"),
                Prefetch(
                    "focal_points",
                    queryset=FocalPoint.objects.select_related("organization").order_by(
                        "country_id"
                    ),
                ),
            )
        )

    def save(self, instance, version, related):
        return services.body_save(
            acting_user=self.request.user, body=instance, version=version, reason="api"
        )


class MembershipViewSet(NetworkWrites):
    """Organizations' seats in bodies, by term."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter

    def get_queryset(self):
        return Membership.objects.select_related("body", "organization", "subregion")

    def save(self, instance, version, related):
        return services.membership_save(
            acting_user=self.request.user, membership=instance, version=version, reason="api"
        )


class FocalPointViewSet(NetworkWrites):
    """Who speaks for each country in a body: an organization and position (a person's name
    and contact only with their consent)."""

    serializer_class = FocalPointSerializer
    filterset_class = FocalPointFilter

    def get_queryset(self):
        return FocalPoint.objects.select_related("body", "organization")

    def save(self, instance, version, related):
        return services.focal_point_save(
            acting_user=self.request.user, focal_point=instance, version=version, reason="api"
        )


class MeetingViewSet(NetworkWrites):
    """Meetings with their agenda and participation; `?upcoming=1`: the scheduled ones not
    over yet, soonest first."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    related_fields = ("agenda", "participation", "documents")

    def get_queryset(self):
        documents = documents_visible_to(self.request.user).only("id")
        return Meeting.objects.select_related("body").prefetch_related(
            "agenda",
            Prefetch(
                "participation", queryset=Participation.objects.select_related("organization")
            ),
            Prefetch("documents", queryset=documents),
        )

    def save(self, instance, version, related):
        agenda = related.get("agenda")
        participation = related.get("participation")
        return services.meeting_save(
            acting_user=self.request.user,
            meeting=instance,
            agenda=None if agenda is None else [dict(item) for item in agenda],
            participation=None if participation is None else [dict(p) for p in participation],
            documents=related.get("documents"),
            version=version,
            reason="api",
        )


class DecisionViewSet(NetworkWrites):
    """What meetings agreed, elected, recommended or concluded."""

    serializer_class = NetworkDecisionSerializer
    filterset_class = DecisionFilter

    def get_queryset(self):
        return Decision.objects.select_related("meeting__body", "addressed_to")

    def save(self, instance, version, related):
        return services.decision_save(
            acting_user=self.request.user, decision=instance, version=version, reason="api"
        )


@extend_schema(parameters=[AS_OF])
class CommitmentViewSet(NetworkWrites):
    """Commitments with their state on `as_of` (default today), late ones first."""

    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    related_fields = ("responsible_organizations", "nodes", "indicators")

    def initial(self, request, *args, **kwargs):
        self.computed = {}
        super().initial(request, *args, **kwargs)
        self.as_of = parse_as_of(request.query_params.get("as_of"))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema: no state to compute
            return Commitment.objects.none()
        base = Commitment.objects.all()
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if lookup is not None:
            base = base.filter(pk=lookup) if str(lookup).isdigit() else base.none()
        rows, states = queries.commitments_board(self.as_of, base)
        self.computed.update(states.computed)
        return rows

    def get_serializer_context(self):
        context = super().get_serializer_context()
        # The same dict the queryset fills: read when the answer is written, after it is.
        context["computed"] = getattr(self, "computed", {})
        context["as_of"] = getattr(self, "as_of", None)
        return context

    def save(self, instance, version, related):
        return services.commitment_save(
            acting_user=self.request.user,
            commitment=instance,
            responsible=related.get("responsible_organizations"),
            nodes=related.get("nodes"),
            indicators=related.get("indicators"),
            version=version,
            reason="api",
        )


class CommitmentUpdateViewSet(NetworkWrites):
    """Reports on commitments by their responsible organizations, reviewed by the body's
    secretariat: draft → submitted → approved (the commitment takes the status reported) or
    returned (with a comment, to be corrected and submitted again)."""

    serializer_class = CommitmentUpdateSerializer
    filterset_class = CommitmentUpdateFilter

    def get_queryset(self):
        queryset = CommitmentUpdate.objects.select_related(
            "commitment", "organization", "created_by", "submitted_by", "reviewed_by"
        )
        return updates_visible_to(self.request.user, queryset)

    def may_create(self, user) -> bool:
        return runs_some_body(user) or bool(organization_ids_as_member(user))

    def save(self, instance, version, related):
        return services.update_save(acting_user=self.request.user, update=instance, version=version)

    def _transition(self, service, **kwargs):
        update = service(acting_user=self.request.user, update=self.get_object(), **kwargs)
        update = self._read_again(update)
        return Response(self.get_serializer(update).data)

    @extend_schema(request=None, responses=CommitmentUpdateSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft or returned update for review (the responsible organizations)."""
        return self._transition(services.update_submit)

    @extend_schema(request=None, responses=CommitmentUpdateSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a submitted update (the body's secretariat, not who submitted it): the
        commitment takes the status it reports."""
        return self._transition(services.update_approve)

    @extend_schema(request=CommitmentReturnSerializer, responses=CommitmentUpdateSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        """Return a submitted update with a comment, to be corrected."""
        require_perm(request.user, "network.review_commitmentupdate", self.get_object())
        body = CommitmentReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._transition(services.update_return, comment=body.validated_data["comment"])
