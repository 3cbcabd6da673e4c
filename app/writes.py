"""Writes that lose nothing: validated, all-or-nothing, revisioned, guarded by ETags.

One set of operations serves sources, observations and claims; a `Resource` says what
differs between them (input model, natural key, checks that need the database).
"""

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.api.body import validate
from app.api.caching import CODE_NUMBER, holds_on_a_weak_tag, weakly
from app.claims import IDENTITY_FOR, stated_precision
from app.db import lock_for_write
from app.errors import FieldError, ProblemException, conflict, not_found
from app.inputs import (
    AGENCY,
    PUBLICATION,
    ClaimCreate,
    ObservationCreate,
    SourceCreate,
    above_the_unit,
    counted,
    more_decimals_than,
    source_problem,
    with_article,
)
from app.models import (
    SIGNED,
    Claim,
    Observation,
    ObservationStatus,
    RevisionAction,
    Source,
    same_digits,
    utcnow,
)
from app.schemas import _rfc3339
from app.stats.figures import precision_of
from app.stats.verdicts import ClaimKind, Qualifier, no_value_allowed, stated_phrase
from app.versioning import (
    HISTORY,
    Versioned,
    data_version,
    deleted_id,
    record_revision,
    valid_at,
)

Checks = Callable[[Session, BaseModel], list[FieldError]]
# Qualifiers whose range is a share of the stated number: of 0, they leave only 0.
RELATIVE = (Qualifier.approximately, Qualifier.almost)


@dataclass(frozen=True)
class Resource:
    model: type[Source] | type[Observation] | type[Claim]
    name: str  # "observation"
    path: str  # "/v1/observations"
    create_model: type[BaseModel]
    natural_key: tuple[str, ...]
    checks: Checks  # what the input model cannot know alone
    columns: Callable[[BaseModel], dict[str, Any]]  # validated input -> column values
    # Whether its item, as presented, reads other rows too (a claim's verdict reads figures
    # and its sources' titles): then its tag carries the data version (see etag_for).
    reads_others: bool = False
    # What a revision shows beside its columns, as the item does: a claim's stated_precision,
    # which only `stated`'s digits hold, and a JSON number drops.
    derived: Callable[[Any], dict[str, Any]] = lambda row: {}

    @property
    def a_name(self) -> str:
        """ "an observation", "a claim"."""
        return with_article(self.name)

    def key_text(self, data: dict[str, Any]) -> str:
        return ", ".join(f"{column} {data[column]}" for column in self.natural_key)


def _field(field: str, message: str) -> FieldError:
    return FieldError(location="body", field=field, message=message)


# An observation's source_id names the agency that produced the figure, and its
# publication_id the document that printed it (app/inputs.py); a claim's, any source.
OBSERVATION_SOURCES = (("source_id", AGENCY), ("publication_id", PUBLICATION))
ANY_SOURCES: tuple[tuple[str, str | None], ...] = (("source_id", None), ("publication_id", None))


def _source_errors(
    session: Session, data: BaseModel, kinds: tuple[tuple[str, str | None], ...]
) -> list[FieldError]:
    errors = []
    for name, kind in kinds:
        source_id = getattr(data, name)
        if source_id is not None:
            source = session.get(Source, source_id)
            problem = source_problem(source_id, source.kind if source else None, kind)
            if problem:
                errors.append(_field(name, problem))
    return errors


def _pair_errors(reporter: str, partner: str) -> list[FieldError]:
    return [_field("partner", "must differ from reporter")] if reporter == partner else []


def observation_checks(session: Session, data: BaseModel) -> list[FieldError]:
    assert isinstance(data, ObservationCreate)
    errors = _pair_errors(data.reporter, data.partner)
    if data.value < 0 and data.indicator not in SIGNED:
        errors.append(_field("value", f"{data.indicator.value} cannot be negative"))
    errors += _decimals_errors("value", data.value, "precision", data.precision)
    return errors + _source_errors(session, data, OBSERVATION_SOURCES)


def observation_columns(data: BaseModel) -> dict[str, Any]:
    assert isinstance(data, ObservationCreate)
    precision = data.precision if data.precision is not None else precision_of(data.value)
    columns = data.model_dump()
    # 7.8 published as "7.80" keeps both decimals.
    columns.update(
        indicator=data.indicator.value,
        precision=precision,
        status=ObservationStatus.reported.value,
        value=_with_decimals(data.value, precision),
    )
    return columns


def _decimals_errors(
    number_field: str, number: Decimal | None, field: str, decimals: int | None
) -> list[FieldError]:
    """A number's published decimals may add zeros to it (12.3 as 12.30), never drop digits;
    left out, they are the number's own, which must reach the unit."""
    if number is None:
        return [] if decimals is None else [_field(field, "there is no number to give decimals to")]
    if decimals is None:
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent > 0:
            return [_field(number_field, above_the_unit(number, exponent, field))]
        return []
    if decimals < precision_of(number):
        return [_field(field, more_decimals_than(number, decimals))]
    return []


def _with_decimals(number: Decimal, decimals: int) -> Decimal:
    return number.quantize(Decimal(1).scaleb(-decimals))


def claim_checks(session: Session, data: BaseModel) -> list[FieldError]:
    assert isinstance(data, ClaimCreate)
    errors = _pair_errors(data.reporter, data.partner)
    errors += _decimals_errors("stated", data.stated, "stated_precision", data.stated_precision)
    if data.kind is ClaimKind.identity:
        if data.stated is not None:
            errors.append(_field("stated", "an identity states no number; send null"))
        if data.qualifier is not Qualifier.exact:
            errors.append(
                _field("qualifier", "an identity states no number to qualify; send exact or null")
            )
        if data.base_year != data.year:
            errors.append(_field("base_year", "an identity compares one year: equal to year"))
        if data.indicator.value not in IDENTITY_FOR:
            errors.append(_field("indicator", "identities define " + " or ".join(IDENTITY_FOR)))
        return errors + _source_errors(session, data, ANY_SOURCES)
    if data.stated is None:
        errors.append(_field("stated", f"a {data.kind.value} claim needs its number"))
    elif data.kind is ClaimKind.ratio and data.stated <= 0:
        errors.append(_field("stated", "a ratio is positive"))
    elif data.kind is ClaimKind.percent_change and data.stated < -100:
        errors.append(_field("stated", "a fall cannot exceed 100%: -100 leaves nothing"))
    elif why := no_value_allowed(data.kind, data.qualifier, data.stated):
        phrase = stated_phrase(data.kind, data.qualifier, data.stated)
        errors.append(_field("qualifier", f"“{phrase}” {why}"))
    elif data.stated == 0 and data.qualifier in RELATIVE:
        phrase = stated_phrase(data.kind, data.qualifier, data.stated)
        errors.append(
            _field(
                "qualifier",
                f"“{phrase}” allows 0 alone, as 10% of nothing is nothing: state 0 exactly "
                "(which allows half a unit of its last digit) or a bound (at most 1%)",
            )
        )
    if data.base_year >= data.year:
        errors.append(_field("base_year", "must be before year"))
    return errors + _source_errors(session, data, ANY_SOURCES)


def claim_columns(data: BaseModel) -> dict[str, Any]:
    assert isinstance(data, ClaimCreate)
    columns = data.model_dump(exclude={"stated_precision"})  # kept in `stated`'s digits
    if data.stated is not None and data.stated_precision is not None:
        columns["stated"] = _with_decimals(data.stated, data.stated_precision)
    return {
        k: v.value if hasattr(v, "value") and not isinstance(v, Decimal) else v
        for k, v in columns.items()
    }


def source_checks(session: Session, data: BaseModel) -> list[FieldError]:
    assert isinstance(data, SourceCreate)
    published, retrieved = data.published_on, data.retrieved_on
    if published is not None and retrieved is not None and retrieved < published:
        # A copy cannot be taken before the document exists: the two dates swapped, or a typo.
        return [_field("retrieved_on", f"must not be before published_on, {published}")]
    return []


OBSERVATIONS = Resource(
    Observation,
    "observation",
    "/v1/observations",
    ObservationCreate,
    ("reporter", "partner", "indicator", "year"),
    observation_checks,
    observation_columns,
)
SOURCES = Resource(
    Source,
    "source",
    "/v1/sources",
    SourceCreate,
    ("slug",),
    source_checks,
    lambda data: data.model_dump(),
)
CLAIMS = Resource(
    Claim,
    "claim",
    "/v1/claims",
    ClaimCreate,
    ("reporter", "partner", "indicator", "kind", "base_year", "year", "source_id"),
    claim_checks,
    claim_columns,
    reads_others=True,
    derived=lambda row: {"stated_precision": stated_precision(row.stated)},
)


# ----------------------------------------------------------------------------- ETags


def current_revision_id(session: Session, model: type[Versioned], row_id: int) -> int | None:
    history = HISTORY[model]
    table = history.table
    return session.execute(
        select(func.max(table.c.revision_id)).where(table.c[history.id_column] == row_id)
    ).scalar()


def etag_for(revision_id: int, *, csv: bool = False, version: str | None = None) -> str:
    """A revision's strong ETag. Its CSV form gets a tag of its own: a strong tag names
    one representation, and a cache holding both forms picks the body by the tag. With a
    `version` (the data's and the code's, "1.2.3.4053210977"), for an item that reads other
    rows: the tag must change whenever its body does, and a claim's verdict changes with the
    figures and with the code that judges it."""
    tag = revision_id if version is None else f"{revision_id}.{version}"
    return f'"{tag}.csv"' if csv else f'"{tag}"'


def current_etag(session: Session, resource: Resource, row_id: int, *, csv: bool = False) -> str:
    """The strong ETag of a row's current revision (of its CSV form, with `csv`). A claim's
    verdict is computed from the figures by this code: its tag moves with both."""
    version = f"{data_version(session)}.{CODE_NUMBER}" if resource.reads_others else None
    revision_id = current_revision_id(session, resource.model, row_id) or 0
    return etag_for(revision_id, csv=csv, version=version)


class Preconditions(NamedTuple):
    """A write's conditions (RFC 9110, 13.1), each header's lines joined into one list."""

    if_match: str | None = None
    if_none_match: str | None = None


def check_preconditions(conditions: Preconditions, resource: Resource, revision_id: int) -> None:
    """412 unless the item's current revision is one that If-Match names, and none that
    If-None-Match names. A stale If-Match means someone else wrote first. `*` matches any
    revision: the item exists. A claim is not stale because a figure changed
    (`_names_revision`)."""
    if conditions.if_match is not None:
        tags = _tags(conditions.if_match)
        if "*" not in tags and not _names_revision(tags, resource, revision_id):
            raise stale(revision_id, tags)
    if conditions.if_none_match is not None:
        tags = list(weakly(conditions.if_none_match))
        if "*" in tags or _names_revision(tags, resource, revision_id):
            raise ProblemException(
                412,
                "precondition-failed",
                "Precondition failed",
                f"If-None-Match names the current revision, {revision_id}, or `*`, which "
                "any revision matches: the write is not made.",
            )


def check_collection_preconditions(conditions: Preconditions) -> None:
    """A write to a collection (a POST, an import): its lists carry weak tags only, which
    If-Match, comparing strongly, never matches, so only `If-Match: *` holds; and
    `If-None-Match: *`, "only if nothing is there", never does, as the collection is."""
    if conditions.if_match is not None and not holds_on_a_weak_tag(conditions.if_match):
        raise weakly_tagged()
    if conditions.if_none_match is not None and "*" in weakly(conditions.if_none_match):
        raise ProblemException(
            412,
            "precondition-failed",
            "Precondition failed",
            "If-None-Match: * asks that the target not exist, and this collection does.",
        )


def weakly_tagged() -> ProblemException:
    return ProblemException(
        412,
        "precondition-failed",
        "Precondition failed",
        "A collection is tagged weakly (W/…), and If-Match compares tags strongly "
        "(RFC 9110, 13.1.1), so none matches: send `If-Match: *`, or no If-Match.",
    )


def _names_revision(tags: list[str], resource: Resource, revision_id: int) -> bool:
    """Whether a tag is one of the revision's: either form of it, or for an item that reads
    other rows, any tag of it (its first number), since what else it reads is not written
    through it."""
    if resource.reads_others:  # '"7"', '"7.csv"', '"7.3.12.5"' or '"7.3.12.5.csv"'
        tag_of_revision = re.compile(rf'"{revision_id}(\.[0-9]+)*(\.csv)?"')
        return any(tag_of_revision.fullmatch(tag) for tag in tags)
    return any(tag in tags for tag in (etag_for(revision_id), etag_for(revision_id, csv=True)))


def holds_for_a_read(if_match: str, etag: str) -> bool:
    """If-Match on a GET or HEAD: the representation about to be sent must be the one
    named, compared strongly (RFC 9110, 13.1.1), or any with `*`."""
    tags = _tags(if_match)
    return "*" in tags or etag in tags


def _tags(if_match: str) -> list[str]:
    return [tag.strip() for tag in if_match.split(",")]


def revision_in(etag: str) -> int:
    """The revision an item's tag names: its first number ('"7.csv"', '"7.3.12.5"')."""
    return int(etag.strip('"').split(".")[0])


def stale(revision_id: int, tags: Collection[str] = ()) -> ProblemException:
    """The 412 of an If-Match that names no current tag, saying why when the header does
    not name a tag that could ever match: weak (W/"5"), or not a quoted tag at all."""
    quoted = [tag for tag in tags if tag == "*" or (len(tag) > 1 and tag[0] == tag[-1] == '"')]
    if any(tag.startswith("W/") for tag in tags):
        why = (
            "If-Match compares tags strongly (RFC 9110, 13.1.1), so a weak tag (W/…) never "
            f"matches; send the ETag as given: the revision is now {revision_id}."
        )
    elif tags and not quoted:
        why = (
            "If-Match names no entity tag: send the ETag as given, quotes included "
            f'("{revision_id}").'
        )
    else:
        why = (
            f"The resource changed since you read it: its revision is now {revision_id}. "
            "Read it again, then retry."
        )
    return ProblemException(412, "precondition-failed", "Precondition failed", why)


# ----------------------------------------------------------------------------- operations


def live_or_gone(session: Session, resource: Resource, row_id: int) -> Versioned:
    """The live row, about to be written, or 404 (never existed) / 410 (deleted). On
    PostgreSQL it stays locked until the commit (on SQLite, lock_for_write locks it all)."""
    row: Versioned | None = session.get(  # type: ignore[assignment]
        resource.model, row_id, with_for_update=True, populate_existing=True
    )
    if row is not None:
        return row
    raise absent_at(session, resource, row_id)


def absent_at(
    session: Session, resource: Resource, row_id: int, as_of: datetime | None = None
) -> ProblemException:
    """Why a row has no version at `as_of` (now, when None): it had been deleted by then
    (410), it was created only later (404), or it never was (404)."""
    history = HISTORY[resource.model]
    revisions = history.table
    then = valid_at(revisions, as_of) if as_of else [revisions.c.valid_to.is_(None)]
    action = session.execute(
        select(revisions.c.action).where(revisions.c[history.id_column] == row_id, *then)
    ).scalar()
    if action == RevisionAction.delete:
        return gone(
            resource, row_id, f"had been deleted by {_rfc3339(as_of)}" if as_of else "was deleted"
        )
    if as_of is None or current_revision_id(session, resource.model, row_id) is None:
        return unknown_id(resource, row_id)
    return not_found(f"The {resource.name} {row_id} did not exist yet at {_rfc3339(as_of)}.")


def unknown_id(resource: Resource, row_id: int) -> ProblemException:
    return not_found(f"No {resource.name} has id {row_id}.")


def gone(resource: Resource, row_id: int, what: str) -> ProblemException:
    history = f"{resource.path}/{row_id}/revisions"
    return ProblemException(
        410,
        "gone",
        "Gone",
        f"The {resource.name} {row_id} {what}; its history is at {history}.",
        paths=(history,),
    )


def _conflict(resource: Resource, columns: dict[str, Any], existing_id: int) -> ProblemException:
    existing = f"{resource.path}/{existing_id}"
    return conflict(
        f"{resource.a_name.capitalize()} with {resource.key_text(columns)} already exists: "
        f"{existing}. Update it with PUT or PATCH instead.",
        headers={"Location": existing},
        paths=(existing,),
    )


def _existing_id(session: Session, resource: Resource, columns: dict[str, Any]) -> int | None:
    model = resource.model
    query = select(model.id).where(  # type: ignore[call-overload]
        *(getattr(model, column) == columns[column] for column in resource.natural_key)
    )
    result: int | None = session.execute(query).scalar()
    return result


def validated(session: Session, resource: Resource, data: Any) -> dict[str, Any]:
    """The columns of a valid body, or the 422 that lists every problem with it."""
    model = validate(resource.create_model, data)
    errors = resource.checks(session, model)
    if errors:
        validate(resource.create_model, data, errors)  # raises, listing them all
    return resource.columns(model)


def create(
    session: Session,
    resource: Resource,
    data: Any,
    api_key_id: int,
    conditions: Preconditions = Preconditions(),
) -> Versioned:
    lock_for_write(session)
    columns = validated(session, resource, data)  # an invalid body is a 422, whatever else
    check_collection_preconditions(conditions)
    existing = _existing_id(session, resource, columns)
    if existing is not None:
        raise _conflict(resource, columns, existing)
    now = utcnow()
    key = {column: columns[column] for column in resource.natural_key}
    row = resource.model(
        **columns, created_at=now, updated_at=now, id=deleted_id(session, resource.model, key)
    )
    return _save(session, resource, row, RevisionAction.create, api_key_id, now)


def replace(
    session: Session,
    resource: Resource,
    row_id: int,
    data: Any,
    api_key_id: int,
    conditions: Preconditions,
) -> Versioned:
    lock_for_write(session)
    row = live_or_gone(session, resource, row_id)
    columns = validated(session, resource, data)  # an invalid body is a 422, stale or not
    check_preconditions(
        conditions, resource, current_revision_id(session, resource.model, row_id) or 0
    )
    existing = _existing_id(session, resource, columns)
    if existing is not None and existing != row_id:
        raise _conflict(resource, columns, existing)
    if isinstance(row, Source) and columns["kind"] != row.kind:
        _refuse_if_cited_as(session, row_id, row.kind, columns["kind"])
    if all(same_digits(getattr(row, column), value) for column, value in columns.items()):
        return row  # nothing changed: no spurious revision
    for column, value in columns.items():
        setattr(row, column, value)
    now = utcnow()
    row.updated_at = now
    return _save(session, resource, row, RevisionAction.update, api_key_id, now)


def patch(
    session: Session,
    resource: Resource,
    row_id: int,
    changes: Any,
    api_key_id: int,
    conditions: Preconditions,
) -> Versioned:
    """JSON merge patch (RFC 7396): fields sent replace the stored ones."""
    if not isinstance(changes, dict):
        raise ProblemException(
            400,
            "malformed-patch",
            "Malformed patch",
            "A merge patch is a JSON object of the fields to change.",
        )
    # Locked before the row is read: a write landing in between (an import) would
    # otherwise be undone by the merge of the older row, in the table and its history.
    lock_for_write(session)
    row = live_or_gone(session, resource, row_id)
    merged = merge_patch(resource, row, changes)
    return replace(session, resource, row_id, merged, api_key_id, conditions)


def merge_patch(resource: Resource, row: Versioned, changes: dict[str, Any]) -> dict[str, Any]:
    """The stored row as a client would send it, with the patch's fields replacing its own.
    A field patched to null is removed (RFC 7396), so it takes its default, as in a PUT
    without it: `"currency": null` is USD again, and a required field is missing. A null
    the body has no field for stays, so it is refused as any unknown field is: a typo
    such as `"notes": null` must not answer 200 having changed nothing."""
    fields = resource.create_model.model_fields
    current = {field: _as_json(getattr(row, field)) for field in fields if hasattr(row, field)}
    if resource is OBSERVATIONS and "value" in changes and "precision" not in changes:
        current.pop("precision")  # a new value brings its own precision
    removed = {field for field, value in changes.items() if value is None and field in fields}
    return {f: v for f, v in {**current, **changes}.items() if f not in removed}


def delete(
    session: Session,
    resource: Resource,
    row_id: int,
    api_key_id: int,
    conditions: Preconditions,
) -> None:
    lock_for_write(session)
    row = live_or_gone(session, resource, row_id)
    check_preconditions(
        conditions, resource, current_revision_id(session, resource.model, row_id) or 0
    )
    if isinstance(row, Source):
        _refuse_if_cited(session, row_id)
    now = utcnow()
    record_revision(session, row, RevisionAction.delete, api_key_id, now)
    session.delete(row)
    session.commit()


def _citations(
    session: Session, model: type[Observation] | type[Claim], source_id: int, *roles: str
) -> int:
    """How many rows of `model` cite the source in any of these columns."""
    cited = or_(*(col(getattr(model, role)) == source_id for role in roles))
    return session.execute(select(func.count()).select_from(model).where(cited)).scalar() or 0


def _refuse_if_cited(session: Session, source_id: int) -> None:
    for model, name in ((Observation, "observation"), (Claim, "claim")):
        cited = _citations(session, model, source_id, "source_id", "publication_id")
        if cited:
            raise conflict(
                f"Source {source_id} is cited by {counted(cited, name)}; delete or re-source "
                f"{'it' if cited == 1 else 'them'} first.",
            )


def _refuse_if_cited_as(session: Session, source_id: int, kind: str, new_kind: str) -> None:
    """A source's kind may change only while no observation cites it in the role of its
    kind: the agency of a figure (source_id) cannot become a publication, nor the other way
    round. Claims cite any kind."""
    role = {wanted: column for column, wanted in OBSERVATION_SOURCES}[kind]
    cited = _citations(session, Observation, source_id, role)
    if cited:
        raise conflict(
            f"Source {source_id} is cited as `{role}` by {counted(cited, 'observation')}, where "
            f"only {with_article(kind)} belongs: it cannot become {with_article(new_kind)} "
            f"while {'it cites' if cited == 1 else 'they cite'} it.",
        )


def _save(
    session: Session,
    resource: Resource,
    row: Versioned,
    action: RevisionAction,
    api_key_id: int,
    now: datetime,
) -> Versioned:
    session.add(row)
    try:
        session.flush()  # assigns the id, and meets the unique constraints now
        record_revision(session, row, action, api_key_id, now)
        session.commit()
    except IntegrityError as exc:  # a concurrent writer took the natural key first
        session.rollback()
        raise conflict(
            f"Another write created this {resource.name} at the same time; read it and retry.",
        ) from exc
    session.refresh(row)
    return row


def _as_json(value: Any) -> Any:
    """A stored value as a client would send it, so a patch can be re-validated."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
