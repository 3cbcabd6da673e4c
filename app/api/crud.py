"""One resource's single-item routes: read (with ETag and as_of), write, and revisions.

Sources, observations and claims get the same routes from `add_item_routes`:
GET/PUT/PATCH/DELETE {path}/{id}, POST {path} and GET {path}/{id}/revisions.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel
from sqlalchemy import Row
from sqlmodel import Session, select

from app.api.body import json_body, merge_patch_body, no_body
from app.api.caching import NotModified, matches
from app.api.csvio import wants_csv
from app.api.deps import AsOf, Digits, SessionDep
from app.api.headers import listed
from app.api.openapi import problems, request_body
from app.api.paths import root_path
from app.api.render import Format, json_response, read_responses, reads, render
from app.auth import WriterKey
from app.models import ApiKey, as_utc
from app.queries import one_row
from app.schemas import ApiKeyRef, RevisionPublic, RevisionsPublic, _json_number, _rfc3339
from app.versioning import HISTORY
from app.writes import (
    Preconditions,
    Resource,
    absent_at,
    create,
    current_etag,
    current_revision_id,
    delete,
    holds_for_a_read,
    patch,
    replace,
    revision_in,
    stale,
    unknown_id,
)

Present = Callable[[Session, Row[Any], datetime | None], BaseModel]


def preconditions(
    request: Request,
    # Declared for the docs; each is read on every line it is sent on.
    if_match: Annotated[
        str | None, Header(description="The ETag you read; a stale one is a 412.", examples=['"5"'])
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(
            description="Names ETags you hold: a read of the current one is a 304; a write "
            "when it names the current revision's, or is `*`, a 412.",
            examples=['"5"'],
        ),
    ] = None,
) -> Preconditions:
    return _sent(request)


def collection_preconditions(
    request: Request,
    # As `preconditions`, worded for a collection.
    if_match: Annotated[
        str | None,
        Header(
            description="Only `*` holds: a collection's tags are weak, which If-Match, "
            "comparing strongly, never matches, so any tag is a 412.",
            examples=["*"],
        ),
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(
            description="`*` is a 412, as the collection exists. A tag is not compared: "
            "a list's tag depends on the filters of the read it came from.",
            examples=["*"],
        ),
    ] = None,
) -> Preconditions:
    return _sent(request)


def _sent(request: Request) -> Preconditions:
    return Preconditions(
        listed(request.headers, "if-match"), listed(request.headers, "if-none-match")
    )


Conditions = Annotated[Preconditions, Depends(preconditions)]
CollectionConditions = Annotated[Preconditions, Depends(collection_preconditions)]

Body = Annotated[Any, Depends(json_body)]
PatchBody = Annotated[Any, Depends(merge_patch_body)]

KEY_NOTE = """

Needs `Authorization: Bearer <key>` (401 otherwise)."""
WRITE_NOTE = (
    KEY_NOTE
    + """ The body is strict JSON: numbers are JSON numbers, written
as published (375.20 is stored with precision 2); a string or boolean is never taken for a
number. Every field problem is listed in one 422. The change is recorded as a revision
(see `/revisions`), and nothing is written unless all of it is valid."""
)
# What a write sends beside the item as written (see `reply`).
WRITTEN_HEADERS = {
    "ETag": {
        "description": "The item's revision: send it in `If-Match` to change it safely",
        "schema": {"type": "string"},
    },
    "Location": {"description": "The item's URL", "schema": {"type": "string"}},
}
DELETE_NOTE = (
    KEY_NOTE
    + """ It takes no body (415 if one is sent). The delete is recorded as a
revision (see `/revisions`)."""
)


def _snapshot(row: Any, fields: list[str]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return _json_number(value)
        if isinstance(value, datetime):
            return _rfc3339(value)
        return value.isoformat() if isinstance(value, date) else value

    return {field: plain(getattr(row, field)) for field in fields}


def revisions(
    session: Session, resource: Resource, row_id: int, as_of: datetime | None
) -> list[RevisionPublic]:
    history = HISTORY[resource.model]
    table = history.table
    query = select(*table.c).where(table.c[history.id_column] == row_id)
    if as_of is not None:
        query = query.where(table.c.valid_from <= as_of)
    rows = list(session.execute(query.order_by(table.c.revision_id)))
    keys = {k.id: k for k in session.exec(select(ApiKey))} if rows else {}
    result, previous = [], None
    for rev in rows:
        data = _snapshot(rev, history.fields) | resource.derived(rev)
        result.append(
            RevisionPublic(
                revision_id=rev.revision_id,
                action=rev.action,
                changed_at=rev.valid_from,
                # As of a moment, a revision replaced later was still current then.
                valid_to=rev.valid_to
                if as_of is None or (rev.valid_to and as_utc(rev.valid_to) <= as_of)
                else None,
                api_key=ApiKeyRef.model_validate(keys[rev.api_key_id]) if rev.api_key_id else None,
                old=previous,
                new=None if rev.action == "delete" else data,
            )
        )
        previous = None if rev.action == "delete" else data
    return result


def add_item_routes(
    router: APIRouter,
    resource: Resource,
    public_model: type[BaseModel],
    present: Present,
    example_id: int,
    change_rules: str = "",
) -> None:
    """`change_rules` tells PUT, PATCH and DELETE what else refuses a change."""
    name, path = resource.name, resource.path.removeprefix(router.prefix)
    a_name = resource.a_name
    item = f"{path}/{{item_id}}"
    one = Annotated[
        int,
        Path(ge=1, le=2**31 - 1, examples=[example_id], description=f"The {name}'s id."),
        Digits,
    ]

    def get_item(
        request: Request,
        session: SessionDep,
        item_id: one,
        conditions: Conditions,
        as_of: AsOf = None,
        format: Format = None,
    ) -> Any:
        row = one_row(session=session, model=resource.model, row_id=item_id, as_of=as_of)
        if row is None:
            raise absent_at(session, resource, item_id, as_of)  # 404 or 410
        if as_of is None:  # the revision's ETag: for If-Match on writes, and for 304s
            csv = wants_csv(format, request.headers)
            etag = current_etag(session, resource, item_id, csv=csv)
            if conditions.if_match is not None and not holds_for_a_read(conditions.if_match, etag):
                raise stale(revision_in(etag))
            if matches(conditions.if_none_match, etag):
                raise NotModified(etag)
            request.state.etag = etag  # render sends it
        return render(request, format, present(session, row, as_of), f"{name}-{item_id}")

    def reply(request: Request, session: Session, row: Any, status: int = 200) -> Response:
        """The item as written, with its ETag and Location (under the root path, as a client
        behind a proxy must ask for it); JSON as `render` writes it."""
        item = present(session, one_row(session=session, model=resource.model, row_id=row.id), None)  # type: ignore[arg-type]
        etag = current_etag(session, resource, row.id)
        headers = {"ETag": etag, "Location": f"{root_path(request.scope)}{resource.path}/{row.id}"}
        return json_response(item, status, headers)

    def post_item(
        request: Request,
        session: SessionDep,
        key: WriterKey,
        body: Body,
        conditions: CollectionConditions,
    ) -> Response:
        created = create(session, resource, body, key.id or 0, conditions)
        return reply(request, session, created, 201)

    def put_item(
        request: Request,
        session: SessionDep,
        key: WriterKey,
        item_id: one,
        body: Body,
        conditions: Conditions,
    ) -> Response:
        replaced = replace(session, resource, item_id, body, key.id or 0, conditions)
        return reply(request, session, replaced)

    def patch_item(
        request: Request,
        session: SessionDep,
        key: WriterKey,
        item_id: one,
        body: PatchBody,
        conditions: Conditions,
    ) -> Response:
        patched = patch(session, resource, item_id, body, key.id or 0, conditions)
        return reply(request, session, patched)

    def delete_item(
        session: SessionDep, key: WriterKey, item_id: one, conditions: Conditions
    ) -> Response:
        delete(session, resource, item_id, key.id or 0, conditions)
        return Response(status_code=204)

    def list_revisions(
        request: Request,
        session: SessionDep,
        item_id: one,
        as_of: AsOf = None,
        format: Format = None,
    ) -> Any:
        data = revisions(session, resource, item_id, as_of)
        if not data and current_revision_id(session, resource.model, item_id) is None:
            raise unknown_id(resource, item_id)  # as of a time before it: none, and a 200
        result = RevisionsPublic(data=data, count=len(data))
        return render(request, format, result, f"{name}-{item_id}-revisions")

    body_doc = request_body(resource.create_model)
    router.add_api_route(
        item,
        get_item,
        methods=["GET"],
        response_model=public_model,
        summary=f"Get one {name}",
        operation_id=f"get_{name}",
        description=f"One {name} by id, with an `ETag` for safe updates. With `as_of`, the "
        f"{name} as it stood then. A deleted {name} answers 410 with a link to its history. "
        "`If-Match` with a tag that is not the current one is a 412.",
        responses={**problems(404, 410, 412, 422), **read_responses()},
    )
    router.add_api_route(
        path,
        post_item,
        methods=["POST"],
        status_code=201,
        response_model=public_model,
        summary=f"Create {a_name}",
        operation_id=f"create_{name}",
        description=f"Add {a_name}. A second one with the same natural key "
        f"({', '.join(resource.natural_key)}) is a 409 naming the first." + WRITE_NOTE,
        openapi_extra=body_doc,
        responses={
            201: {"headers": WRITTEN_HEADERS},
            **problems(400, 401, 409, 412, 413, 415, 422),
        },
    )
    router.add_api_route(
        item,
        put_item,
        methods=["PUT"],
        response_model=public_model,
        summary=f"Replace {a_name}",
        operation_id=f"replace_{name}",
        description=f"Replace every field of {a_name}. Send `If-Match` with the ETag you read "
        "to be sure nobody changed it since (412 if they did); `If-None-Match` naming it, or "
        "`*`, is a 412 too." + change_rules + WRITE_NOTE,
        openapi_extra=body_doc,
        responses={
            200: {"headers": WRITTEN_HEADERS},
            **problems(400, 401, 404, 409, 410, 412, 413, 415, 422),
        },
    )
    router.add_api_route(
        item,
        patch_item,
        methods=["PATCH"],
        response_model=public_model,
        summary=f"Change some fields of {a_name}",
        operation_id=f"patch_{name}",
        description=f"A JSON merge patch (RFC 7396): the fields sent replace the {name}'s, "
        "a field sent as null is removed, so it takes its default as in a `PUT` without it, "
        "and the result is validated as a whole. Honours `If-Match` and `If-None-Match`."
        + change_rules
        + WRITE_NOTE,
        openapi_extra=request_body(resource.create_model, partial=True),
        responses={
            200: {"headers": WRITTEN_HEADERS},
            **problems(400, 401, 404, 409, 410, 412, 413, 415, 422),
        },
    )
    router.add_api_route(
        item,
        delete_item,
        methods=["DELETE"],
        status_code=204,
        dependencies=[Depends(no_body)],
        summary=f"Delete {a_name}",
        operation_id=f"delete_{name}",
        description=f"Remove {a_name} from reads. Its history stays at `/revisions`, and "
        "`as_of` reads before the delete still see it. Honours `If-Match` and `If-None-Match`."
        + change_rules
        + DELETE_NOTE,
        responses=problems(400, 401, 404, 409, 410, 412, 415, 422),
    )
    router.add_api_route(
        f"{item}/revisions",
        list_revisions,
        methods=["GET"],
        response_model=RevisionsPublic,
        summary=f"History of {a_name}",
        operation_id=f"list_{name}_revisions",
        description=f"Every create, update and delete of the {name}, oldest first: the data "
        "before and after, the key that made the change, and when. With `as_of`, only the "
        "revisions made by then.",
        **reads(404, 422),
    )
