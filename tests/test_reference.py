"""Countries, indicators, sources and health."""

import pycountry
from fastapi.testclient import TestClient


def test_countries_cover_iso_3166(client: TestClient) -> None:
    body = client.get("/v1/countries").json()
    assert body["count"] == len(body["data"]) == len(pycountry.countries)
    kaz = next(c for c in body["data"] if c["alpha3"] == "KAZ")
    assert kaz == {"alpha3": "KAZ", "alpha2": "KZ", "numeric": "398", "name": "Kazakhstan"}
    codes = [c["alpha3"] for c in body["data"]]
    assert codes == sorted(codes)


def test_indicators_state_their_direction(client: TestClient) -> None:
    body = client.get("/v1/indicators").json()
    by_code = {i["code"]: i for i in body["data"]}
    assert body["count"] == 5
    assert by_code["EXPORTS"]["direction"] == "reporter → partner"
    assert by_code["IMPORTS"]["direction"] == "partner → reporter"
    assert by_code["FDI_INFLOW"]["direction"] == "partner → reporter"
    assert by_code["BALANCE"]["allows_negative"] is True
    assert by_code["FDI_INFLOW"]["allows_negative"] is True  # net of disinvestment
    assert by_code["TURNOVER"]["allows_negative"] is False


def test_sources_list_and_detail(client: TestClient) -> None:
    body = client.get("/v1/sources").json()
    assert body["count"] == 3
    kinds = sorted(s["kind"] for s in body["data"])
    assert kinds == ["agency", "agency", "publication"]
    bank = next(s for s in body["data"] if s["publisher"] == "National Bank of Kazakhstan")
    assert client.get(f"/v1/sources/{bank['id']}").json() == bank
    article = next(s for s in body["data"] if s["kind"] == "publication")
    assert article["retrieved_on"] == "2026-11-28"
    assert "no headline, publisher, date or URL" in article["note"]


def test_unknown_source_is_404(client: TestClient) -> None:
    response = client.get("/v1/sources/999")
    assert response.status_code == 404
    assert response.json()["detail"] == "No source has id 999."


def test_source_id_must_be_a_positive_integer(client: TestClient) -> None:
    for bad in ("abc", "0", "-1", "99999999999999999999"):
        assert client.get(f"/v1/sources/{bad}").status_code == 422


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
