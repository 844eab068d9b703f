"""Needs and offers are written through the services: by whoever acts for the organization
that needs or offers, or an administrator; bad input is refused naming its field, and
nothing is written."""

import datetime as dt

import pytest

from limpia.cooperation import services
from limpia.cooperation.models import Need, Offer
from limpia.core.errors import DomainError, NotAllowed
from limpia.core.models import Sector


def _refused(call, field):
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    return caught.value


def test_paula_publishes_her_ministrys_need_and_nobody_elses(orgs, paula, pedro_cp):
    need = Need(
        title="Capacitar a las autoridades en P+L",
        kind="training",
        requester=orgs["panama"],
        country_id="PA",
    )
    services.need_save(acting_user=paula, need=need)
    assert need.created_by == paula and need.history.first().history_user == paula
    with pytest.raises(NotAllowed):  # the centre does not speak for the ministry
        services.need_save(acting_user=pedro_cp, need=need, version=need.version)
    foreign = Need(title="Otra", requester=orgs["centro"])
    with pytest.raises(NotAllowed):
        services.need_save(acting_user=paula, need=foreign)
    # taking someone else's need by writing her organization on it is refused too
    theirs = Need.objects.create(title="Del centro", requester=orgs["centro"])
    theirs.requester = orgs["panama"]
    with pytest.raises(NotAllowed):
        services.need_save(acting_user=paula, need=theirs, version=theirs.version)


def test_bad_needs_are_refused_naming_the_field(orgs, paula):
    def need(**fields):
        return Need(**{"title": "Algo", "requester": orgs["panama"], **fields})

    _refused(lambda: services.need_save(acting_user=paula, need=need(kind="dinero")), "kind")
    _refused(lambda: services.need_save(acting_user=paula, need=need(country_id="XX")), "country")
    _refused(lambda: services.need_save(acting_user=paula, need=need(title=" ")), "title")
    both = need(country_id="PA", subregion_id=None)
    both.subregion_id = 1
    _refused(lambda: services.need_save(acting_user=paula, need=both), "subregion")
    assert not Need.objects.exists()


def test_an_offer_is_valid_from_before_until_and_serves_its_sectors(orgs, pedro_cp, ana):
    offer = Offer(
        provider=orgs["centro"],
        kind="technical_assistance",
        title="Auditorías de eficiencia de recursos",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2025, 12, 31),
    )
    _refused(lambda: services.offer_save(acting_user=pedro_cp, offer=offer), "valid_until")
    offer.valid_until = dt.date(2027, 12, 31)
    dairy = Sector.objects.get(code="1050")
    services.offer_save(acting_user=pedro_cp, offer=offer, sectors=[dairy], countries=["PA"])
    assert list(offer.sectors.all()) == [dairy]
    assert list(offer.countries.values_list("code", flat=True)) == ["PA"]
    offer.kind = "money"
    _refused(
        lambda: services.offer_save(acting_user=pedro_cp, offer=offer, version=offer.version),
        "kind",
    )
    offer.refresh_from_db()
    assert offer.kind == "technical_assistance" and offer.version == 1
    offer.title = "Auditorías de eficiencia de recursos y agua"
    services.offer_save(acting_user=ana, offer=offer, version=1)  # an administrator
    assert offer.version == 2
