"""Free text the API accepts: anything a person can write, but no control characters.

The serializers of the API's writes derive from `TextSerializer` or `TextModelSerializer`. Before
any field reads its value, these refuse, in every writable field (its text, the items of its
lists, the keys and values of its dicts, a slug naming another object alike), the control
characters but tab, line feed and carriage return, and the two Unicode noncharacters XML
forbids. NUL first: PostgreSQL can neither store nor compare text holding it, so a slug lookup
with one would end in a database error. The others are never typed on purpose, and the IATI
XML, the spreadsheets and the PDFs the data goes into cannot carry them. Markup, quotes,
right-to-left marks, emoji and combining characters are text like any other: stored as given
and escaped where they are shown.
"""

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def control_character_message(value) -> str | None:
    """Why `value` (text, or lists and dicts of it) is refused, or None."""
    if isinstance(value, Mapping):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        return next(filter(None, map(control_character_message, value)), None)
    found = FORBIDDEN.search(value) if isinstance(value, str) else None
    if found is None:
        return None
    return _("Control characters are not allowed (U+%(code)04X at position %(position)d).") % {
        "code": ord(found.group()),
        "position": found.start() + 1,
    }


class PlainTextMixin:
    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                message = None if field.read_only else control_character_message(data.get(name))
                if message:
                    errors[name] = [message]
            if errors:
                raise serializers.ValidationError(errors, code="control_characters")
        return super().to_internal_value(data)


class TextSerializer(PlainTextMixin, serializers.Serializer):
    pass


class TextModelSerializer(PlainTextMixin, serializers.ModelSerializer):
    pass
