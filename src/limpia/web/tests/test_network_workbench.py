import pytest

from limpia.network.models import Body


@pytest.fixture
def network(db):
    from limpia.network.loader import load_network
    from limpia.plans.loader import load_plans

    load_plans()
    load_network()
    return {body.key: body for body in Body.objects.all()}


def test_probe(network):
    assert "consejo-expertos-cps-alc" in network


def test_probe_db(db):
    import time

    from limpia.network.loader import load_network
    from limpia.plans.loader import load_plans

    t = time.time()
    load_plans()
    t2 = time.time()
    load_network()
    print("plans", t2 - t, "network", time.time() - t2)
