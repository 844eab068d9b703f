"""The computed indicators counted in the database equal a count done the slow way.

Each example writes random companies (size, ISIC class, two regions), facilities and
adhesions to two agreements, some withdrawn, on few dates so that a company's facilities
adhere on the same day or on different days and a facility adheres twice. The expected
series is built in Python from every row: the subjects (companies or facilities) the
parameters select, each one's earliest adhesion that was not withdrawn, then per-date counts
(increment) or running totals (level) from `since` on.
"""

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from limpia.agreements.metrics import MetricData
from limpia.agreements.models import Adhesion, Agreement, Company, Facility
from limpia.core.models import Sector

START = dt.date(2024, 1, 1)
SECTORS = ("1050", "1010", "2011")
REGIONS = ("CL-LL", "CL-BI")

day = st.integers(min_value=0, max_value=4)
adhesion = st.fixed_dictionaries(
    {"agreement": st.integers(0, 1), "day": day, "withdrawn": st.booleans()}
)
facility = st.fixed_dictionaries(
    {"region": st.sampled_from(REGIONS), "adhesions": st.lists(adhesion, max_size=2)}
)
company = st.fixed_dictionaries(
    {
        "size": st.sampled_from(["micro", "pequeña", "mediana", "grande"]),
        "sector": st.sampled_from((*SECTORS, None)),
        "facilities": st.lists(facility, min_size=1, max_size=3),
    }
)
params = st.fixed_dictionaries(
    {},
    optional={
        "sizes": st.sets(st.sampled_from(["micro", "pequeña", "mediana"]), min_size=1).map(sorted),
        "sector": st.sampled_from(["10", "105", "1050", "20"]),
        "subdivision": st.sampled_from(REGIONS),
        "since": day.map(lambda d: (START + dt.timedelta(days=d)).isoformat()),
        "country": st.just("CL"),
    },
)
per_example = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def write(companies) -> list[tuple[Company, Facility, Adhesion]]:
    agreements = [
        Agreement.objects.create(slug=f"m{n}", code=f"M-{n}", name=f"M {n}", country_id="CL")
        for n in range(2)
    ]
    sectors = {s.code: s for s in Sector.objects.filter(code__in=SECTORS)}
    rows = []
    for c, spec in enumerate(companies):
        company = Company.objects.create(
            country_id="CL",
            name=f"C{c}",
            tax_id=f"7{c:07d}",
            size=spec["size"],
            sector=sectors.get(spec["sector"]),
        )
        for f, facility_spec in enumerate(spec["facilities"]):
            facility = Facility.objects.create(
                company=company,
                code=f"C{c}F{f}",
                name=f"C{c}F{f}",
                subdivision_id=facility_spec["region"],
            )
            used = set()
            for a in facility_spec["adhesions"]:
                if a["agreement"] in used:
                    continue
                used.add(a["agreement"])
                on = START + dt.timedelta(days=a["day"])
                row = Adhesion.objects.create(
                    agreement=agreements[a["agreement"]],
                    facility=facility,
                    adhered_on=on,
                    withdrawn_on=on + dt.timedelta(days=10) if a["withdrawn"] else None,
                )
                rows.append((company, facility, row))
    return rows


def expected(rows, metric: str, params: dict, measure: str) -> list[tuple[dt.date, Decimal]]:
    first: dict[int, dt.date] = {}
    for company, facility, row in rows:
        if row.withdrawn_on is not None:
            continue
        if params.get("sizes") and company.size not in params["sizes"]:
            continue
        code = company.sector.code if company.sector else ""
        if params.get("sector") and not code.startswith(params["sector"]):
            continue
        if params.get("subdivision") and facility.subdivision_id != params["subdivision"]:
            continue
        subject = company.pk if metric == "companies_adhered" else facility.pk
        first[subject] = min(first.get(subject, row.adhered_on), row.adhered_on)
    since = dt.date.fromisoformat(params["since"]) if "since" in params else None
    counts = Counter(d for d in first.values() if since is None or d >= since)
    series, total = [], 0
    for on in sorted(counts):
        total += counts[on]
        series.append((on, Decimal(counts[on] if measure == "increment" else total)))
    return series


@per_example
@given(
    companies=st.lists(company, min_size=1, max_size=5),
    asked=st.lists(
        st.tuples(
            st.sampled_from(["companies_adhered", "facilities_adhered"]),
            params,
            st.sampled_from(["increment", "level"]),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_the_sql_series_equal_the_slow_count(db, companies, asked):
    with transaction.atomic():
        rows = write(companies)
        data = MetricData([(metric, p) for metric, p, _ in asked])
        for metric, p, measure in asked:
            got = [(o.date, o.value) for o in data.observations(metric, p, measure)]
            assert got == expected(rows, metric, p, measure), (metric, p, measure)
        transaction.set_rollback(True)


def test_every_series_of_a_page_is_one_query(db, django_assert_num_queries):
    asked = [
        ("companies_adhered", {"since": "2024-01-01"}),
        ("facilities_adhered", {"sizes": ["micro"]}),
        ("companies_certified", {}),
        ("facilities_certified", {"sector": "10"}),
        ("agreements_signed", {"country": "CL"}),
        ("documents_published", {"kind": "sector_guide", "sector": ["10", "11"]}),
    ]
    with django_assert_num_queries(1):
        data = MetricData(asked)
    with django_assert_num_queries(0):
        for metric, p in asked:
            data.observations(metric, p, "level")
    with django_assert_num_queries(1):  # whether sample data is involved, for every kind
        assert data.sample_metrics == frozenset()
