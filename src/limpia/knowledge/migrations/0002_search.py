"""Full-text search (see limpia/knowledge/search.py).

PostgreSQL: the `unaccent` extension and a `spanish_unaccent` text search configuration
(Spanish, with unaccent before the Snowball stemmer). SQLite: the FTS5 table. Each operation
does nothing on the other database.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class PostgresUnaccent(UnaccentExtension):
    """The unaccent extension, on PostgreSQL only (both ways)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class VendorSQL(migrations.RunSQL):
    """RunSQL only on one database vendor."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {"vendor": self.vendor, **kwargs}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        PostgresUnaccent(),
        VendorSQL(
            "postgresql",
            [
                "DROP TEXT SEARCH CONFIGURATION IF EXISTS spanish_unaccent",
                "CREATE TEXT SEARCH CONFIGURATION spanish_unaccent (COPY = pg_catalog.spanish)",
                "ALTER TEXT SEARCH CONFIGURATION spanish_unaccent ALTER MAPPING FOR "
                "hword, hword_part, word WITH unaccent, spanish_stem",
            ],
            ["DROP TEXT SEARCH CONFIGURATION IF EXISTS spanish_unaccent"],
        ),
        VendorSQL(
            "sqlite",
            [
                "CREATE VIRTUAL TABLE knowledge_document_fts USING fts5("
                "title, abstract, tags, title_text, abstract_text, "
                "tokenize = 'unicode61 remove_diacritics 2')"
            ],
            ["DROP TABLE IF EXISTS knowledge_document_fts"],
        ),
    ]
