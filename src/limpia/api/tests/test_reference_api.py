"""Places and sectors, read by anyone, in Spanish as the sources name them."""


def test_it_names_countries_in_spanish_and_portuguese(api, db):
    country = api().get("/api/v1/countries/PA/").json()
    assert (country["name_es"], country["name_pt"], country["alpha_3"]) == (
        "Panamá",
        "Panamá",
        "PAN",
    )


def test_it_lists_the_subdivisions_of_a_country(api, db):
    body = api().get("/api/v1/subdivisions/?country=CL&page_size=100").json()
    names = {s["code"]: s["name"] for s in body["results"]}
    assert body["count"] == 16
    assert names["CL-RM"] == "Región Metropolitana de Santiago"


def test_it_groups_lac_countries_in_four_subregions(api, db):
    body = api().get("/api/v1/subregions/").json()
    subregions = {s["key"]: set(s["countries"]) for s in body["results"]}
    assert set(subregions) == {"caribbean", "mesoamerica", "andean", "southern_cone"}
    assert "CL" in subregions["southern_cone"]
    assert "PA" in subregions["mesoamerica"]
    assert sum(len(c) for c in subregions.values()) == 33


def test_it_carries_isic_rev4_at_four_levels_with_spanish_names(api, db):
    section = api().get("/api/v1/sectors/C/").json()
    assert section["name_es"] == "Industrias manufactureras"
    klass = api().get("/api/v1/sectors/1811/").json()
    assert (klass["level"], klass["parent"]) == ("class", "181")
    divisions = api().get("/api/v1/sectors/?level=division&page_size=200").json()
    assert divisions["count"] == 88
    assert all(d["name_es"] for d in divisions["results"])


def test_it_does_not_let_anyone_change_reference_data(api, ana):
    assert api(ana).post("/api/v1/countries/", {"code": "XX"}).status_code == 405
