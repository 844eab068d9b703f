"""Pagination and search of the pages' lists, one way for all of them.

`page_of` reads the page number and the search text from the request under a prefix (so a page
with several lists pages each on its own) and returns the page with the query string that keeps
the other parameters, for `web/includes/pager.html`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import QueryDict

SEARCH_MAX = 100  # characters of a search text that are used


@dataclass
class Listing:
    page: Page
    search: str
    page_param: str
    search_param: str
    others: str  # the request's other parameters, url-encoded, ending with "&" when not empty

    @property
    def rows(self):
        return self.page.object_list

    def url(self, number: int) -> str:
        return f"?{self.others}{self.page_param}={number}"


def search_text(request, prefix: str = "") -> str:
    return request.GET.get(f"{prefix}q", "").strip()[:SEARCH_MAX]


def page_of(request, items, per_page: int, *, prefix: str = "", search: str | None = None):
    """The requested page of `items` (a queryset, ordered, or a list). `search` is the text the
    caller searched with (`search_text`); it is kept in the links of the other pages."""
    page_param, search_param = f"{prefix}page", f"{prefix}q"
    page = Paginator(items, per_page).get_page(request.GET.get(page_param))
    others = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != page_param:
            others.setlist(key, values)
    encoded = others.urlencode()
    return Listing(
        page=page,
        search=search if search is not None else search_text(request, prefix),
        page_param=page_param,
        search_param=search_param,
        others=f"{encoded}&" if encoded else "",
    )
