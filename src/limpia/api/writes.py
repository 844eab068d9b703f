"""A viewset that reads, and creates and updates through a domain service."""

from __future__ import annotations

from rest_framework import mixins, viewsets


class ServiceWrites(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Reads, and creates and updates through a service: `save(instance, version, related)`
    calls it; `related` holds the validated fields that are the service's arguments, not the
    model's (a meeting's agenda, a commitment's responsible organizations, an offer's sectors).
    The answer is the object read again as the list shows it.

    A create by a user for whom `may_create` is false is refused (403, `denied_message`) before
    the body is read, so that one who may write nothing learns nothing from validation."""

    related_fields: tuple[str, ...] = ()
    denied_message = ""

    def may_create(self, user) -> bool:
        raise NotImplementedError

    def check_permissions(self, request):
        super().check_permissions(request)
        if self.action == "create" and not self.may_create(request.user):
            self.permission_denied(request, message=str(self.denied_message) or None)

    def save(self, instance, version, related):
        raise NotImplementedError

    def _split(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        related = {name: data.pop(name) for name in self.related_fields if name in data}
        return data, version, related

    def _read_again(self, instance):
        return self.get_queryset().get(pk=instance.pk)

    def perform_create(self, serializer):
        data, _version, related = self._split(serializer)
        instance = self.save(serializer.Meta.model(**data), None, related)
        serializer.instance = self._read_again(instance)

    def perform_update(self, serializer):
        data, version, related = self._split(serializer)  # version: required (Versioned)
        instance = serializer.instance
        for field, value in data.items():
            setattr(instance, field, value)
        self.save(instance, version, related)
        serializer.instance = self._read_again(instance)
