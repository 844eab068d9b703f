from dataclasses import dataclass

from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


@dataclass(frozen=True)
class LinesPage:
    """A page of lines held in memory: which to show, and the links to the others."""

    slice: slice
    links: dict


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def lines_page(self, request, count: int) -> LinesPage:
        """A page over `count` lines of a report (its facility and company lines), with the
        lists' `page` and `page_size` parameters and `next`/`previous` links."""
        self.request = request
        paginator = self.django_paginator_class(range(count), self.get_page_size(request))
        number = request.query_params.get(self.page_query_param) or 1
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise NotFound(
                _("There is no page %(page)s: pages 1 to %(pages)s.")
                % {"page": number, "pages": paginator.num_pages}
            ) from None
        start = self.page.start_index() - 1 if count else 0
        return LinesPage(
            slice(start, start + paginator.per_page),
            {
                "page": self.page.number,
                "pages": paginator.num_pages,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            },
        )
