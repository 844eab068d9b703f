"""API tokens were rest_framework.authtoken's, with their keys in plain text; they are now
limpia.accounts.ApiToken (hashed). Installations made before keep the old table: it goes, with
the keys in it (they were never used in production; people ask for new tokens)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop
        ),
    ]
