"""The public pages and the API of the knowledge centre."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from limpia.knowledge import services
from limpia.knowledge.models import Document

pytestmark = [pytest.mark.django_db, pytest.mark.urls("limpia.knowledge.tests.urls")]


def test_it_lists_published_documents_without_drafts(client, corpus):
    page = client.get(reverse("knowledge:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert corpus["panaderias"].title in html
    assert "Borrador" not in html


def test_it_shows_drafts_to_administrators(client, corpus, ana):
    client.force_login(ana)
    assert "Borrador" in client.get(reverse("knowledge:list")).content.decode()
    detail = client.get(reverse("knowledge:detail", args=[corpus["draft"].pk]))
    assert detail.status_code == 200


def test_it_searches_with_filters_and_highlighted_escaped_snippets(client, corpus):
    page = client.get(reverse("knowledge:list"), {"q": "agua"})
    html = page.content.decode()
    assert "<mark>agua</mark>" in html
    assert "&lt;script&gt;" in html
    assert "<script>alert" not in html
    page = client.get(reverse("knowledge:list"), {"q": "residuos", "country": "PA"})
    html = page.content.decode()
    assert corpus["talleres"].title in html
    assert corpus["guia_residuos"].title not in html
    page = client.get(reverse("knowledge:list"), {"kind": "regulation"})
    assert list(page.context["page"]) == [corpus["calderas"]]


def test_it_hides_drafts_from_the_public(client, corpus):
    assert client.get(reverse("knowledge:detail", args=[corpus["draft"].pk])).status_code == 404
    page = client.get(reverse("knowledge:list"), {"q": "electrónicos"})
    assert page.context["hits"] == []


def test_it_shows_a_case_study_with_its_results(client, corpus, ana):
    case = corpus["bebidas"]
    services.case_study_result_add(
        acting_user=ana, document=case, metric="water", value="1500", unit="L"
    )
    services.case_study_result_add(
        acting_user=ana, document=case, metric="payback", value="1.5", unit="años"
    )
    page = client.get(reverse("knowledge:detail", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "case-study-results" in html
    assert ("1,5" in html or "1.5" in html) and "m³" in html  # decimals as the language writes
    assert {r.metric: r.value for r in page.context["results"]} == {
        "water": Decimal("1.5"),
        "payback": Decimal(18),
    }


def test_it_serves_files_as_attachments_with_their_real_type(client, ana, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = services.document_save(
        acting_user=ana,
        document=Document(kind="study", title="Informe <b>final</b>"),
        upload=SimpleUploadedFile("informe.html", b"%PDF-1.4\n%%EOF\n", content_type="text/html"),
    )
    services.document_publish(acting_user=ana, document=document)
    response = client.get(reverse("knowledge:download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="informe-bfinalb.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    page = client.get(reverse("knowledge:detail", args=[document.pk]))
    assert "Informe &lt;b&gt;final&lt;/b&gt;" in page.content.decode()


def test_it_has_no_download_for_links(client, corpus):
    response = client.get(reverse("knowledge:download", args=[corpus["calderas"].pk]))
    assert response.status_code == 404


def test_it_searches_through_the_api(api, corpus):
    response = api().get("/api/v1/documents/", {"q": "residuos", "country": "PA"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["document"]["id"] for r in results] == [
        corpus["talleres"].pk,
        corpus["boletin"].pk,
    ]
    assert "<mark>" in results[1]["snippet_html"]
    assert results[0]["rank"] > 0
    listing = api().get("/api/v1/documents/", {"kind": "sector_guide", "language": "es"}).json()
    assert {r["id"] for r in listing["results"]} == {
        corpus[key].pk for key in ("guia_residuos", "talleres", "panaderias")
    }


def test_it_hides_drafts_in_the_api(api, corpus, ana):
    draft = corpus["draft"]
    assert api().get(f"/api/v1/documents/{draft.pk}/").status_code == 404
    assert api().get("/api/v1/documents/", {"q": "electrónicos"}).json()["results"] == []
    assert api(ana).get(f"/api/v1/documents/{draft.pk}/").status_code == 200
    assert api().post("/api/v1/documents/", {"title": "x"}).status_code in (401, 403, 405)
