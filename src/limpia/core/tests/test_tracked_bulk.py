"""`bulk_create_tracked` writes the history rows simple-history's `bulk_create_with_history`
writes, with the database copying them (imports and synthetic data use it)."""

from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from simple_history.utils import bulk_create_with_history

from limpia.agreements.models import Company
from limpia.core.audit import Source, change_source
from limpia.core.tracking import bulk_create_tracked

COMPARED = ("name", "tax_id", "size", "country", "sector", "is_sample", "history_type")


def companies(prefix: str, n: int = 3) -> list[Company]:
    return [
        Company(country_id="CL", tax_id=f"{prefix}{i}", name=f"{prefix} {i}", size="pequeña")
        for i in range(n)
    ]


def rows(prefix: str) -> list[dict]:
    found = Company.history.filter(tax_id__startswith=prefix).order_by("history_id")
    return [
        {
            **{k: v for k, v in model_to_dict(h).items() if k in COMPARED},
            "id": h.id,
            "user": h.history_user_id,
            "reason": h.history_change_reason,
            "source": h.history_source,
        }
        for h in found
    ]


def test_it_writes_the_history_simple_history_writes(db):
    importer = get_user_model().objects.create_user("irene")
    with change_source(Source.IMPORT):
        ours = bulk_create_tracked(companies("A"), Company, user=importer, reason="imported")
        theirs = bulk_create_with_history(
            companies("B"), Company, default_user=importer, default_change_reason="imported"
        )
    assert [c.pk for c in ours] == [row["id"] for row in rows("A")]
    expected = [{**row, "id": None} for row in rows("B")]
    got = [{**row, "id": None} for row in rows("A")]
    for row in expected + got:
        row["name"] = row["name"][1:]
        row["tax_id"] = row["tax_id"][1:]
    assert got == expected
    assert got[0]["source"] == Source.IMPORT and got[0]["user"] == importer.pk
    assert len({h.history_date for h in Company.history.filter(tax_id__startswith="A")}) == 1
    assert len(theirs) == 3
