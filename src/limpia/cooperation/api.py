"""`/api/v1/cooperation/`: needs and offers (read by everybody as docs/cooperation.md says,
written through the services), the programme proposals they are tagged with, and a need's
suggested offers, best first, with their score and why."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from limpia.access.rules import is_admin, organization_ids_as_member
from limpia.api.serializers import VersionedSerializer
from limpia.api.writes import ServiceWrites
from limpia.cooperation import services
from limpia.cooperation.models import Need, NeedStatus, Offer, Programme
from limpia.core.models import Country, Sector, Subregion
from limpia.matching.method import Item, suggest
from limpia.network.api import OrganizationRef, optional
from limpia.plans.models import Node

OPEN = (NeedStatus.OPEN, NeedStatus.ANSWERING)
MAX_SUGGESTIONS = 50


def _codes(model, field: str, **kwargs):
    return serializers.SlugRelatedField(slug_field=field, queryset=model.objects.all(), **kwargs)


class ProgrammeSerializer(serializers.ModelSerializer):
    subregion = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Programme
        fields = ["key", "kind", "label", "text", "wording", "subregion", "area", "source_ref"]


class NeedSerializer(VersionedSerializer):
    requester = OrganizationRef(**optional(help_text="the organization that needs it (key)"))
    country = _codes(Country, "code", **optional(help_text="ISO 3166-1 alpha-2"))
    subregion = _codes(Subregion, "key", **optional())
    sector = _codes(Sector, "code", **optional(help_text="ISIC Rev.4 code"))
    node = serializers.PrimaryKeyRelatedField(
        queryset=Node.objects.all(), **optional(help_text="the plan node it serves (id)")
    )
    themes = _codes(
        Programme, "key", many=True, required=False, help_text="programme keys; replace them"
    )

    class Meta:
        model = Need
        fields = [
            "id",
            "key",
            "title",
            "description",
            "kind",
            "requester",
            "country",
            "subregion",
            "sector",
            "horizon",
            "language",
            "node",
            "themes",
            "status",
            "source_ref",
            "is_sample",
            "version",
        ]
        read_only_fields = ["key", "is_sample"]


class OfferSerializer(VersionedSerializer):
    provider = OrganizationRef(help_text="the organization that offers it (key)")
    themes = _codes(
        Programme, "key", many=True, required=False, help_text="programme keys; replace them"
    )
    sectors = _codes(
        Sector, "code", many=True, required=False, help_text="ISIC Rev.4 codes; none: any"
    )
    countries = _codes(
        Country, "code", many=True, required=False, help_text="ISO 3166-1 alpha-2; none: any"
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "provider",
            "kind",
            "title",
            "description",
            "language",
            "themes",
            "sectors",
            "countries",
            "valid_from",
            "valid_until",
            "source_ref",
            "is_sample",
            "version",
        ]
        read_only_fields = ["is_sample"]


class NeedFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(field_name="country__code", help_text="ISO alpha-2")
    subregion = django_filters.CharFilter(field_name="subregion__key", help_text="subregion key")
    sector = django_filters.CharFilter(
        field_name="sector__code", lookup_expr="startswith", help_text="ISIC code or its prefix"
    )
    theme = django_filters.CharFilter(field_name="themes__key", help_text="programme key")
    plan = django_filters.CharFilter(field_name="node__plan__slug", help_text="plan slug")
    q = django_filters.CharFilter(method="search", help_text="words of the title or text")

    class Meta:
        model = Need
        fields = ["kind", "status", "country", "subregion", "sector", "theme", "plan", "q"]

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset


class OfferFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter(field_name="provider__key", help_text="organization")
    country = django_filters.CharFilter(method="serves", help_text="serves this country")
    theme = django_filters.CharFilter(field_name="themes__key", help_text="programme key")
    q = django_filters.CharFilter(method="search", help_text="words of the title or text")

    class Meta:
        model = Offer
        fields = ["kind", "provider", "country", "theme", "q"]

    def serves(self, queryset, name, value):
        return queryset.filter(Q(countries__code=value.upper()) | Q(countries__isnull=True))

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset


class CooperationWrites(ServiceWrites):
    """Needs and offers: written by administrators and by who acts for an organization (each
    write is then checked for its requester or provider by the service)."""

    denied_message = gettext_lazy("You act for no organization that may write here.")

    def may_create(self, user) -> bool:
        return is_admin(user) or bool(organization_ids_as_member(user))


def _mine(user) -> set[int]:
    return organization_ids_as_member(user) if user.is_authenticated else set()


class NeedViewSet(CooperationWrites):
    """Cooperation needs: open ones (open, being answered) for everybody, all of them for an
    administrator and for who acts for the organization that needs them."""

    serializer_class = NeedSerializer
    filterset_class = NeedFilter
    related_fields = ("themes",)

    def get_queryset(self):
        queryset = Need.objects.select_related(
            "requester", "country", "subregion", "sector"
        ).prefetch_related("themes")
        user = self.request.user
        if not is_admin(user):
            queryset = queryset.filter(Q(status__in=OPEN) | Q(requester_id__in=_mine(user)))
        return queryset.order_by("-created_at", "id")

    def save(self, instance, version, related):
        return services.need_save(
            acting_user=self.request.user,
            need=instance,
            themes=related.get("themes"),
            version=version,
            reason="api",
        )

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description=f"at most {MAX_SUGGESTIONS}")],
        responses=inline_serializer(
            "Suggestion",
            {
                "offer": serializers.IntegerField(),
                "title": serializers.CharField(),
                "provider": serializers.CharField(),
                "kind": serializers.CharField(),
                "score": serializers.DecimalField(max_digits=5, decimal_places=4),
                "components": serializers.DictField(
                    child=serializers.DecimalField(max_digits=5, decimal_places=4)
                ),
                "shared_terms": serializers.ListField(child=serializers.CharField()),
                "same_kind": serializers.BooleanField(),
                "shared_themes": serializers.ListField(child=serializers.CharField()),
                "sector_covered": serializers.BooleanField(),
                "covers_country": serializers.BooleanField(),
            },
            many=True,
        ),
    )
    @action(detail=True)
    def suggestions(self, request, pk=None):
        """The offers valid today for this need, best first, with the score's components and
        why (docs/cooperation.md); computed on each request, never stored."""
        need = self.get_object()
        try:
            limit = max(1, min(int(request.query_params.get("limit", 10)), MAX_SUGGESTIONS))
        except ValueError:
            limit = 10
        offers = list(_valid_offers(timezone.localdate()))
        by_pk = {o.pk: o for o in offers}
        ranked = suggest(_need_item(need), [_offer_item(o) for o in offers], limit=limit)
        return Response(
            [
                {
                    "offer": s.offer,
                    "title": by_pk[s.offer].title,
                    "provider": by_pk[s.offer].provider.key,
                    "kind": by_pk[s.offer].kind,
                    "score": s.score,
                    "components": s.components,
                    "shared_terms": list(s.shared_terms),
                    "same_kind": s.same_kind,
                    "shared_themes": list(s.shared_themes),
                    "sector_covered": s.sector_covered,
                    "covers_country": s.covers_country,
                }
                for s in ranked
            ]
        )


def _valid_offers(today):
    return (
        Offer.objects.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("provider")
        .prefetch_related(
            Prefetch("themes", queryset=Programme.objects.only("key")),
            Prefetch("sectors", queryset=Sector.objects.only("code")),
            Prefetch("countries", queryset=Country.objects.only("code")),
        )
        .order_by("id")
    )


def _need_item(need: Need) -> Item:
    if need.country_id:
        countries = frozenset({need.country_id})
    elif need.subregion_id:
        countries = frozenset(need.subregion.countries.values_list("code", flat=True))
    else:
        countries = frozenset()
    return Item(
        key=need.pk,
        text=f"{need.title}\n{need.description}",
        language=need.language,
        kind=need.kind,
        themes=frozenset(t.key for t in need.themes.all()),
        sectors=frozenset({need.sector.code}) if need.sector_id else frozenset(),
        countries=countries,
    )


def _offer_item(offer: Offer) -> Item:
    return Item(
        key=offer.pk,
        text=f"{offer.title}\n{offer.description}",
        language=offer.language,
        kind=offer.kind,
        themes=frozenset(t.key for t in offer.themes.all()),
        sectors=frozenset(s.code for s in offer.sectors.all()),
        countries=frozenset(c.code for c in offer.countries.all()),
        terms=tuple(offer.terms.split()),
    )


class OfferViewSet(CooperationWrites):
    """Cooperation offers: those valid today for everybody, all of them for an administrator
    and for who acts for the provider."""

    serializer_class = OfferSerializer
    filterset_class = OfferFilter
    related_fields = ("themes", "sectors", "countries")

    def get_queryset(self):
        queryset = Offer.objects.select_related("provider").prefetch_related(
            "themes", "sectors", "countries"
        )
        user = self.request.user
        if not is_admin(user):
            today = timezone.localdate()
            valid = (Q(valid_from__isnull=True) | Q(valid_from__lte=today)) & (
                Q(valid_until__isnull=True) | Q(valid_until__gte=today)
            )
            queryset = queryset.filter(valid | Q(provider_id__in=_mine(user)))
        return queryset.distinct().order_by("-created_at", "id")

    def save(self, instance, version, related):
        return services.offer_save(
            acting_user=self.request.user,
            offer=instance,
            themes=related.get("themes"),
            sectors=related.get("sectors"),
            countries=related.get("countries"),
            version=version,
            reason="api",
        )


class ProgrammeViewSet(viewsets.ReadOnlyModelViewSet):
    """The IV meeting's programme proposals, verbatim, that needs and offers are tagged with."""

    serializer_class = ProgrammeSerializer
    queryset = Programme.objects.select_related("subregion").order_by("kind", "position", "key")
    lookup_field = "key"
    filterset_fields = ["kind"]
