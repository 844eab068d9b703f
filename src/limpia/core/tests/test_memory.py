"""The memory of large reads: the collector pause ends with the block, whatever happens in it;
a large answer lets go of what it was rendered from."""

import gc
import json

import pytest

from limpia.core.memory import collector_paused


def test_the_collector_is_paused_in_the_block_and_runs_again_after_it():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer pause gives the collector back
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_in_the_block_gives_the_collector_back():
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_large_answer_lets_go_of_its_data_and_keeps_its_content(monkeypatch):
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from limpia.core import memory

    trimmed = []
    monkeypatch.setattr(memory, "_TRIM", lambda pad: trimmed.append(pad))
    monkeypatch.setattr(memory, "LARGE_RESPONSE", 1000)

    class Tree(APIView):
        authentication_classes = permission_classes = ()

        def get(self, request):
            size = int(request.query_params["n"])
            return Response({"indicators": [{"code": f"I{i}"} for i in range(size)]})

    def answer(n):
        request = APIRequestFactory().get("/tree/", {"n": n})
        return memory.ReleaseAfterLargeResponseMiddleware(lambda r: _render(Tree.as_view()(r)))(
            request
        )

    small, large = answer(3), answer(500)
    assert small.data == {"indicators": [{"code": "I0"}, {"code": "I1"}, {"code": "I2"}]}
    assert large.data is None and trimmed == [0]
    assert json.loads(large.content)["indicators"][499] == {"code": "I499"}


def _render(response):
    response.render()
    return response
