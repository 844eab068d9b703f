"""Documents: files checked by content and size, the file-or-link rule, permissions,
publication, the computed indicator and the bulletin's query."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from limpia.core.errors import DomainError, IllegalTransition, NotAllowed
from limpia.knowledge import files, services
from limpia.knowledge.metrics import documents_published
from limpia.knowledge.models import Document
from limpia.knowledge.queries import documents_published_between
from limpia.knowledge.tests.conftest import make_document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _package(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in ("[Content_Types].xml", *names):
            package.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _upload(ana, name, content, **extra):
    document = Document(kind="study", title="Estudio de prueba", **extra)
    return services.document_save(
        acting_user=ana, document=document, upload=SimpleUploadedFile(name, content)
    )


def _stored(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("guia.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "web page"),
        ("guia.pdf", b"  <html><body>hola</body></html>", "web page"),
        ("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "web page"),
        ("dibujo.svg", b'<svg onload="alert(1)"></svg>', "web page"),
        ("informe.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "program"),
        ("informe.docx", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "program"),
        ("datos.xlsx", _package("other/file.txt"), "ZIP"),
        ("nota.pdf", b"Solo texto, sin formato.", "not a PDF"),
        ("vacio.pdf", b"", "empty"),
    ],
)
def test_it_refuses_files_by_their_content_naming_the_field(ana, media, name, content, says):
    with pytest.raises(DomainError) as refused:
        _upload(ana, name, content)
    assert refused.value.field == "file"
    assert says in refused.value.message
    assert not Document.objects.exists()
    assert _stored(media) == []


@pytest.mark.parametrize(
    ("name", "content", "file_type", "extension"),
    [
        ("guia.pdf", PDF, "pdf", ".pdf"),
        ("guia.docx", _package("word/document.xml"), "docx", ".docx"),
        ("tabla.xlsx", _package("xl/workbook.xml"), "xlsx", ".xlsx"),
        ("foto.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "jpeg", ".jpg"),
        # A PNG named .html is kept as what it is, under a name of our making.
        ("pagina.html", PNG, "png", ".png"),
    ],
)
def test_it_accepts_documents_and_images_by_their_content(
    ana, media, name, content, file_type, extension
):
    document = _upload(ana, name, content)
    assert document.file_type == file_type
    assert document.file.name.startswith("documents/estudio-de-prueba")
    assert document.file.name.endswith(extension)
    assert document.history.count() == 1


def test_it_refuses_files_over_the_size_limit(ana, media):
    content = PDF + b"0" * (files.MAX_BYTES - len(PDF) + 1)
    with pytest.raises(DomainError) as refused:
        _upload(ana, "grande.pdf", content)
    assert refused.value.field == "file"
    assert "20 MB" in refused.value.message
    assert not Document.objects.exists()
    # Exactly at the limit is fine.
    assert _upload(ana, "justo.pdf", content[:-1]).file_type == "pdf"


def test_it_requires_a_file_or_a_link_but_not_both(ana, media):
    with pytest.raises(DomainError) as neither:
        services.document_save(acting_user=ana, document=Document(kind="study", title="Sin nada"))
    assert neither.value.field == "file"
    with pytest.raises(DomainError) as both:
        _upload(ana, "guia.pdf", PDF, link="https://example.org/guia.pdf")
    assert "not both" in both.value.message
    assert not Document.objects.exists()
    linked = make_document(ana, kind="study", title="Enlace")
    assert linked.link and not linked.file and linked.status == "draft"


def test_it_lets_only_administrators_edit_and_publish(ana, carlos):
    with pytest.raises(NotAllowed):
        make_document(carlos, kind="study", title="Intruso")
    document = make_document(ana, kind="study", title="Estudio")
    with pytest.raises(NotAllowed):
        services.document_publish(acting_user=carlos, document=document)
    published = services.document_publish(acting_user=ana, document=document)
    assert published.status == "published"
    assert published.published_on is not None
    with pytest.raises(IllegalTransition):
        services.document_publish(acting_user=ana, document=document)
    assert published.history.first().history_user == ana


def test_it_keeps_tags_tidy_and_strips_control_characters(ana):
    document = make_document(
        ana,
        kind="study",
        title="  Título\x02 con  espacios ",
        abstract="Texto\x03",
        tags=["Agua", " agua ", "riego"],
    )
    assert document.title == "Título con espacios"
    assert document.abstract == "Texto"
    assert document.tags == ["Agua", "riego"]


def test_it_counts_published_guides_by_kind_and_sector_prefix(corpus):
    events = documents_published({"kind": "sector_guide", "sector": "10"})
    assert events == [
        (corpus["guia_residuos"].published_on, 1),
        (corpus["panaderias"].published_on, 1),
    ]
    assert len(documents_published({"kind": "sector_guide"})) == 4  # the draft is left out
    assert documents_published({"kind": ["study", "regulation"], "country": "CL"}) == [
        (corpus["lacteos"].published_on, 1),
        (corpus["calderas"].published_on, 1),
    ]
    assert documents_published({"sector": ["11", "45"]}) == [
        (corpus["talleres"].published_on, 1),
        (corpus["bebidas"].published_on, 1),
    ]


def test_it_lists_documents_published_in_a_period(corpus):
    found = list(documents_published_between(dt.date(2025, 1, 11), dt.date(2025, 1, 13)))
    assert found == [corpus["talleres"], corpus["bebidas"], corpus["panaderias"]]
    assert list(documents_published_between(dt.date(2025, 7, 1), dt.date(2025, 12, 31))) == [
        corpus["english"]
    ]


def test_a_plan_indicator_counts_the_published_guides_itself(corpus, ana):
    """Panamá's "1000 guías en 15 rubros": a level indicator computed from the documents."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from limpia.plans.models import Indicator, Plan, Target
    from limpia.plans.progress import plan_tree

    plan = Plan.objects.create(
        slug="guias",
        title="Guías",
        country_id="PA",
        status="approved",
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2030, 12, 31),
    )
    indicator = Indicator.objects.create(
        plan=plan,
        code="GUIAS",
        name="N° de Guías editadas",
        kind="quantity",
        measure="level",
        metric="documents_published",
        metric_params={"kind": "sector_guide", "sector": "10"},
    )
    Target.objects.create(indicator=indicator, value=4, due_date=dt.date(2030, 12, 31))
    with CaptureQueriesContext(connection) as queries:
        tree = plan_tree(plan, as_of=dt.date(2030, 1, 1))
    result = next(item.result for item in tree.indicators if item.indicator.code == "GUIAS")
    assert result.current_value == 2  # the two published food-industry guides of the corpus
    assert result.progress == Decimal("0.5")
    before = len(queries)
    sectors = [s.code for s in corpus["panaderias"].sectors.all()]
    guide = make_document(ana, kind="sector_guide", title="Otra guía", sectors=sectors)
    services.document_publish(acting_user=ana, document=guide)
    with CaptureQueriesContext(connection) as queries:
        tree = plan_tree(plan, as_of=dt.date(2030, 1, 1))
    result = next(item.result for item in tree.indicators if item.indicator.code == "GUIAS")
    assert result.current_value == 3
    assert len(queries) == before  # a fixed number of queries, whatever the documents


def test_a_knowledge_centre_editor_writes_and_publishes_but_others_do_not(ana, carlos):
    from django.contrib.auth import get_user_model

    from limpia.access.models import Role, RoleAssignment
    from limpia.knowledge.queries import documents_visible_to

    kiara = get_user_model().objects.create_user("kiara", password="contraseña-segura-1")
    RoleAssignment.objects.create(user=kiara, role=Role.KNOWLEDGE_EDITOR)
    draft = make_document(kiara, kind="sector_guide", title="Guía de la editora")
    assert draft.history.first().history_user == kiara
    assert draft in documents_visible_to(kiara)
    assert draft not in documents_visible_to(carlos)
    with pytest.raises(NotAllowed):
        make_document(carlos, kind="study", title="No")
    published = services.document_publish(acting_user=kiara, document=draft)
    assert published.status == "published"
