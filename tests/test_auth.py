"""API keys: reads are public, writes need a valid, unrevoked key."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.auth import (
    ENV_KEY_NAME,
    authenticate,
    create_key,
    hash_key,
    provision_key,
    revoke_key,
)
from app.core.config import InvalidSettings
from app.main import create_app
from app.models import ApiKey
from tests.conftest import count_rows, serve_from

SOURCE = {"slug": "test-agency", "kind": "agency", "title": "Test agency"}


def test_reads_need_no_key(client: TestClient) -> None:
    assert client.get("/v1/sources").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer ts_000000000000_wrong",
        "Bearer not-a-key",
        "bearer ts_x_y",
    ],
)
def test_writes_without_a_valid_key_are_401(
    client: TestClient, session: Session, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.post("/v1/sources", json=SOURCE, headers=headers)
    assert response.status_code == 401
    # A key sent but not valid is `invalid_token` (RFC 6750, 3.1); none sent, no error code.
    sent = header is not None and header.lower().startswith("bearer ") and header[7:].strip()
    error = ', error="invalid_token"' if sent else ""
    assert response.headers["www-authenticate"] == f'Bearer realm="tradestats"{error}'
    assert response.headers["content-type"] == "application/problem+json"
    if sent:  # what to do about it, not only that it failed
        assert "tradestats keys create" in response.json()["detail"]
    assert count_rows(session, "source") == 3


@pytest.mark.parametrize("order", ["key first", "key second"])
def test_two_different_authorization_lines_are_a_400(
    client: TestClient, session: Session, order: str
) -> None:
    """The first line was read: a valid key then anything wrote (201), anything then the
    key was a 401. Either line may be the one meant, as with two Content-Types."""
    _, key = create_key(session, "twice")
    lines = [("Authorization", f"Bearer {key}"), ("Authorization", "Bearer ts_made_up")]
    headers = lines if order == "key first" else lines[::-1]
    for response in (
        client.post("/v1/sources", json=SOURCE, headers=headers),
        client.delete("/v1/sources/1", headers=headers),
    ):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:tradestats:problem:conflicting-headers"
        assert problem["detail"] == (
            "Authorization is sent on lines that differ: send one, so the key that writes is "
            "not a guess."
        )  # and names neither: a key is never written back
    assert count_rows(session, "source") == 3
    same = [lines[0], lines[0]]  # one key, said twice
    assert client.post("/v1/sources", json=SOURCE, headers=same).status_code == 201


def test_a_valid_key_writes_and_a_revoked_one_does_not(
    client: TestClient, session: Session
) -> None:
    row, key = create_key(session, "editor")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.post("/v1/sources", json=SOURCE, headers=headers).status_code == 201
    assert row.id is not None
    revoke_key(session, row.id)
    response = client.post("/v1/sources", json={**SOURCE, "slug": "other"}, headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert response.headers["www-authenticate"].endswith(', error="invalid_token"')


def test_keys_are_stored_only_as_hashes(session: Session) -> None:
    row, key = create_key(session, "hashed")
    stored = session.exec(select(ApiKey).where(ApiKey.id == row.id)).one()
    assert stored.secret_hash == hash_key(key)
    assert key not in (stored.secret_hash, stored.prefix, stored.name)
    assert key.startswith(f"ts_{stored.prefix}_")


def test_the_environment_key_is_provisioned_at_start(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.core.config import get_settings

    monkeypatch.setenv("TRADESTATS_ADMIN_KEY", "operator-chosen-secret-of-32-characters")
    get_settings.cache_clear()
    app = create_app()

    serve_from(engine, app)
    try:
        with TestClient(app) as client:  # the lifespan runs on entering
            response = client.post(
                "/v1/sources",
                json=SOURCE,
                headers={"Authorization": "Bearer operator-chosen-secret-of-32-characters"},
            )
            assert response.status_code == 201
    finally:
        get_settings.cache_clear()
    with Session(engine) as s:  # provisioning twice keeps one key
        provision_key(s, "operator-chosen-secret-of-32-characters")
        assert len(s.exec(select(ApiKey)).all()) == 1


def test_a_new_admin_key_in_the_environment_revokes_the_one_before(engine, client) -> None:  # type: ignore[no-untyped-def]
    """Changing TRADESTATS_ADMIN_KEY is how an operator rotates a leaked key; the old one
    stayed valid, beside one live row per value ever set. Other keys are not touched."""
    with Session(engine) as session:
        _, other = create_key(session, "ci")
        first = provision_key(session, "first-operator-secret")
        second = provision_key(session, "second-operator-secret")
        again = provision_key(session, "second-operator-secret")
        assert again.id == second.id
        live = session.exec(select(ApiKey).where(col(ApiKey.revoked_at).is_(None))).all()
        assert {row.id for row in live} == {second.id, *(r.id for r in live if r.name == "ci")}
        session.refresh(first)
        assert first.revoked_at is not None
    tried = (("first-operator-secret", 401), ("second-operator-secret", 201), (other, 201))
    for number, (key, status) in enumerate(tried):
        response = client.post(
            "/v1/sources",
            json={**SOURCE, "slug": f"rotated-{number}"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == status, (key, response.text)


def test_a_created_key_set_as_the_admin_key_is_revoked_when_it_changes(engine) -> None:  # type: ignore[no-untyped-def]
    """A key `keys create` printed, set as TRADESTATS_ADMIN_KEY, kept its own name: when
    the operator changed the variable to rotate it, only keys of the environment's name
    were revoked, and the leaked one stayed valid."""
    with Session(engine) as session:
        row, created = create_key(session, "ops")
        assert provision_key(session, created).id == row.id  # valid as it was
        provision_key(session, "operator-secret-that-replaces-it")
        session.refresh(row)
        assert row.revoked_at is not None and row.name == ENV_KEY_NAME


def test_an_admin_key_shaped_as_ours_with_a_long_prefix_fits_its_row(engine) -> None:  # type: ignore[no-untyped-def]
    """`ts_<40 characters>_<secret>` was looked up by those 40 characters: the prefix
    column holds 16, so on PostgreSQL the start failed with a traceback that printed them."""
    key = f"ts_{'a' * 40}_operator-secret"
    with Session(engine) as session:
        row = provision_key(session, key)
        assert len(row.prefix) <= 16 and "a" * 13 not in row.prefix
        assert authenticate(session, f"Bearer {key}").id == row.id


def test_a_revoked_admin_key_is_never_made_valid_again(engine) -> None:  # type: ignore[no-untyped-def]
    """A restart with the old key revoked the new one and brought the leaked one back: a
    replica still holding it would flip the two at each start (review)."""
    with Session(engine) as session:
        old = provision_key(session, "first-operator-secret")
        provision_key(session, "second-operator-secret")  # revokes the first
        with pytest.raises(InvalidSettings, match="names a key that was revoked"):
            provision_key(session, "first-operator-secret")
        session.refresh(old)
        live = session.exec(select(ApiKey).where(col(ApiKey.revoked_at).is_(None))).all()
        assert old.revoked_at is not None and [r.name for r in live] == [old.name]


def test_workers_starting_together_provision_the_key_once(engine) -> None:  # type: ignore[no-untyped-def]
    """Each worker provisions TRADESTATS_ADMIN_KEY as it starts; started at the same
    moment, every one must start (none may fail on the other's insert), with one row."""
    workers = 4
    for attempt in range(10):
        key = f"operator-secret-{attempt}"
        ready = threading.Barrier(workers)

        def start_worker(key: str = key, ready: threading.Barrier = ready) -> str:
            with Session(engine) as session:
                ready.wait()
                return provision_key(session, key).prefix

        with ThreadPoolExecutor(workers) as pool:
            prefixes = list(pool.map(lambda _: start_worker(), range(workers)))
        assert len(set(prefixes)) == 1
        with Session(engine) as session:
            rows = session.exec(select(ApiKey).where(ApiKey.prefix == prefixes[0])).all()
        assert len(rows) == 1 and rows[0].secret_hash == hash_key(key)
