"""A small Spanish corpus, written through the services (so SQLite's index is kept as in use).

Keys name the documents; `corpus[key]` is the Document. `draft` and `english` are there to be
left out or filtered."""

import datetime as dt

import pytest
from django.utils import translation

from limpia.core.models import Country, Sector
from limpia.knowledge import services
from limpia.knowledge.models import Document

CORPUS = [
    (
        "guia_residuos",
        "sector_guide",
        "Guía de gestión de residuos sólidos para la industria alimentaria",
        "Cómo organizar la gestión de residuos en plantas de alimentos: separación en origen, "
        "reciclaje de envases y compostaje de los residuos orgánicos, con un plan de gestión de "
        "residuos por etapas.",
        ["residuos", "reciclaje"],
        ["10"],
        ["CL"],
    ),
    (
        "talleres",
        "sector_guide",
        "Gestión de residuos peligrosos en talleres mecánicos",
        "Manual para almacenar y entregar aceites usados, baterías y solventes a gestores "
        "autorizados.",
        ["residuos peligrosos"],
        ["4520"],
        ["PA"],
    ),
    (
        "bebidas",
        "case_study",
        "Reducción de envases en una planta de bebidas",
        "La planta redujo en un tercio sus residuos de plástico; los residuos restantes se "
        "reciclan. También ahorró agua en el lavado de botellas.",
        ["envases"],
        ["11"],
        ["CL"],
    ),
    (
        "panaderias",
        "sector_guide",
        "Eficiencia energética en panaderías",
        "Guía práctica para reducir el consumo de energía de hornos y cámaras de frío en "
        "panaderías artesanales: eficiencia energética sin grandes inversiones.",
        ["energía", "panaderías"],
        ["1071"],
        ["PA"],
    ),
    (
        "lacteos",
        "study",
        "Consumo de energía en la industria láctea",
        "Estudio del uso de energía térmica y eléctrica en plantas lecheras, con indicadores "
        "de desempeño.",
        ["energía"],
        ["105"],
        ["CL"],
    ),
    (
        "calderas",
        "regulation",
        "Norma para calderas industriales",
        "Requisitos mínimos de eficiencia energética de las calderas y su fiscalización.",
        [],
        [],
        ["CL"],
    ),
    (
        "boletin",
        "bulletin",
        "Boletín de producción limpia, segundo semestre",
        "Novedades: nuevas guías de gestión de residuos, un estudio de energía y casos de "
        "eficiencia en panaderías.",
        [],
        [],
        ["PA"],
    ),
    (
        "vinas",
        "presentation",
        "Uso eficiente del agua en viñas",
        "Presentación sobre riego <script>alert('agua')</script> y reutilización del agua tratada.",
        ["agua"],
        [],
        ["CL"],
    ),
]


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English, whatever the catalogues translate."""
    with translation.override("en"):
        yield


def make_document(user, *, kind, title, abstract="", tags=(), sectors=(), countries=(), **extra):
    document = Document(
        kind=kind,
        title=title,
        abstract=abstract,
        tags=list(tags),
        link=extra.pop("link", "https://example.org/documento"),
        **extra,
    )
    return services.document_save(
        acting_user=user,
        document=document,
        sectors=list(Sector.objects.filter(code__in=sectors)),
        countries=list(Country.objects.filter(code__in=countries)),
    )


@pytest.fixture
def corpus(ana):
    documents = {}
    for number, (key, kind, title, abstract, tags, sectors, countries) in enumerate(CORPUS):
        document = make_document(
            ana,
            kind=kind,
            title=title,
            abstract=abstract,
            tags=tags,
            sectors=sectors,
            countries=countries,
        )
        documents[key] = services.document_publish(
            acting_user=ana, document=document, published_on=dt.date(2025, 1, 10 + number)
        )
    documents["draft"] = make_document(
        ana,
        kind="sector_guide",
        title="Borrador: gestión de residuos electrónicos",
        abstract="Residuos de aparatos eléctricos y electrónicos.",
        sectors=["10"],
        countries=["CL"],
    )
    english = make_document(
        ana,
        kind="sector_guide",
        title="Energy efficiency in bakeries",
        abstract="A practical guide to energy savings in bakeries.",
        countries=["PA"],
        language="en",
    )
    documents["english"] = services.document_publish(
        acting_user=ana, document=english, published_on=dt.date(2025, 7, 1)
    )
    return documents


def keys(corpus, hits) -> list[str]:
    by_pk = {document.pk: key for key, document in corpus.items()}
    return [by_pk[hit.document.pk] for hit in hits]


@pytest.fixture(autouse=True)
def english_messages():
    """These tests assert messages in English (the msgids); the site defaults to Spanish."""
    from django.utils import translation

    with translation.override("en"):
        yield
