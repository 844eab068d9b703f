"""Public pages of the knowledge centre: list and search, a document, its file."""

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify

from limpia.core.history import history_entries
from limpia.core.models import Country, Sector
from limpia.knowledge import search
from limpia.knowledge.files import CONTENT_TYPES, EXTENSIONS
from limpia.knowledge.forms import SearchForm
from limpia.knowledge.models import Document
from limpia.knowledge.queries import documents_visible_to, filter_documents


def _choices(user):
    """Sectors and countries that visible documents use, for the filters."""
    visible = documents_visible_to(user)
    sectors = Sector.objects.filter(document__in=visible).distinct()
    countries = Country.objects.filter(document__in=visible).distinct()
    return (
        [(s.code, str(s)) for s in sectors],
        [(c.code, str(c)) for c in countries],
    )


def document_list(request):
    sectors, countries = _choices(request.user)
    form = SearchForm(request.GET or None, sectors=sectors, countries=countries)
    filters = form.cleaned_data if form.is_valid() else {}
    query = filters.get("q", "").strip()
    criteria = {key: filters.get(key) or None for key in ("kind", "sector", "country", "language")}
    editor = request.user.has_perm("knowledge.edit_document")
    if query:
        hits = search.search(query, include_drafts=editor, **criteria)
        page = None
    else:
        hits = None
        documents = filter_documents(documents_visible_to(request.user).for_listing(), **criteria)
        page = Paginator(documents, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/list.html",
        {"form": form, "query": query, "hits": hits, "page": page, "editor": editor},
    )


def _visible_document(request, pk) -> Document:
    return get_object_or_404(
        documents_visible_to(request.user).prefetch_related("sectors", "countries"), pk=pk
    )


def document_detail(request, pk):
    document = _visible_document(request, pk)
    results = list(document.results.select_related("agreement", "node__plan"))
    return render(
        request,
        "knowledge/detail.html",
        {
            "document": document,
            "results": results,
            "history": history_entries(document)
            if request.user.has_perm("knowledge.change_document", document)
            else [],
        },
    )


def document_download(request, pk):
    """The stored file, always as an attachment with the type found from its content, so that
    a browser never renders it in the site's origin."""
    document = _visible_document(request, pk)
    if not document.file or document.file_type not in CONTENT_TYPES:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = f"{slugify(document.title)[:60] or 'documento'}.{EXTENSIONS[document.file_type]}"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES[document.file_type],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
