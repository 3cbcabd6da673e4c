"""Load reference data (countries, indicators) and the seed figures in seed/*.json.

Idempotent: rows are matched on their natural keys and only those never stored are
inserted, so a second run changes nothing, a figure corrected later is never overwritten,
and one deleted (or moved to another year) stays so: the image seeds at every start.
Each row passes the checks a write through the API passes, so a seed file cannot store
what the API would refuse; one bad row stores nothing. Run with `python -m app.seed`.
"""

import json
import logging
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pycountry
from sqlalchemy import Table
from sqlmodel import Session, select

from app.api.body import validate
from app.db import get_engine, lock_for_write, reachable
from app.errors import ProblemException
from app.logs import configure_process_logging
from app.models import Claim, Country, Indicator, Observation, RevisionAction, Source
from app.versioning import HISTORY, record_revision
from app.writes import CLAIMS, OBSERVATIONS, SOURCES, Resource, validated

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
INDICATORS_FILE = SEED_DIR / "indicators.json"


class SeedError(Exception):
    """A seed file holds a row that the API would refuse."""


@dataclass
class SeedReport:
    inserted: dict[str, int] = field(default_factory=dict)

    def count(self, table: str) -> None:
        self.inserted[table] = self.inserted.get(table, 0) + 1

    def __str__(self) -> str:
        if not self.inserted:
            return "seed: nothing to do, every row is stored (or was, and was deleted since)"
        return "seed: inserted " + ", ".join(f"{n} {t}" for t, n in sorted(self.inserted.items()))


def seed_countries(session: Session, report: SeedReport) -> None:
    existing = set(session.exec(select(Country.alpha3)))
    for c in pycountry.countries:
        if c.alpha_3 not in existing:
            session.add(Country(alpha3=c.alpha_3, alpha2=c.alpha_2, numeric=c.numeric, name=c.name))
            report.count("country")


def seed_indicators(session: Session, report: SeedReport) -> None:
    existing = set(session.exec(select(Indicator.code)))
    for row in json.loads(INDICATORS_FILE.read_text(encoding="utf-8"))["indicators"]:
        if row["code"] not in existing:
            session.add(Indicator(**row))
            report.count("indicator")


def seed_figures(session: Session, data: dict[str, Any], report: SeedReport, file: str) -> None:
    for row in data["sources"]:
        if not _ever_stored(session, Source, {"slug": row["slug"]}):
            columns = _checked(session, SOURCES, row, f"{file}: source {row.get('slug')}")
            _add_versioned(session, Source(**columns))
            report.count("source")
    session.flush()
    source_ids = {s.slug: s.id for s in session.exec(select(Source)) if s.id is not None}

    for row in data["observations"]:
        if not _cites_live(row, source_ids):
            continue
        key = {k: row[k] for k in ("reporter", "partner", "indicator", "year")}
        body = {
            **key,
            **{k: row[k] for k in ("currency", "multiplier", "precision") if k in row},
            "value": Decimal(row["value"]),  # text in the file, so no digit is lost
            **_cited_by(row, source_ids),
        }
        if _ever_stored(session, Observation, _as_stored(OBSERVATIONS, body, key)):
            continue
        where = f"{file}: observation {' '.join(str(v) for v in key.values())}"
        _add_versioned(session, Observation(**_checked(session, OBSERVATIONS, body, where)))
        report.count("observation")

    for row in data.get("claims", []):
        if not _cites_live(row, source_ids):
            continue
        cited = _cited_by(row, source_ids)
        key = {
            k: row[k] for k in ("reporter", "partner", "indicator", "kind", "base_year", "year")
        } | {"source_id": cited["source_id"]}
        body = key | cited | {"qualifier": row["qualifier"]}
        if row.get("stated") is not None:
            body["stated"] = Decimal(row["stated"])
        if "stated_precision" in row:  # 4 stated as 4.0: as a figure's precision
            body["stated_precision"] = row["stated_precision"]
        if _ever_stored(session, Claim, _as_stored(CLAIMS, body, key)):
            continue
        where = (
            f"{file}: {row['kind']} claim {' '.join(str(row[k]) for k in CLAIMS.natural_key[:3])}"
        )
        _add_versioned(session, Claim(**_checked(session, CLAIMS, body, where)))
        report.count("claim")


def _as_stored(resource: Resource, body: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
    """A row's natural key as the API stores it: KAZ for "kz", EXPORTS for "exports". Looked
    up as written, the row would never be found once stored, and the next run (every start
    of the image) would insert it again and fail on its unique key. As written when the row
    is invalid: if it must be stored, `_checked` says why it cannot be."""
    try:
        columns = resource.columns(validate(resource.create_model, body))
    except ProblemException:
        return key
    return {column: columns[column] for column in key}


def _checked(session: Session, resource: Resource, body: dict[str, Any], where: str) -> Any:
    """The row's columns as the API would store them, or a SeedError saying what is wrong."""
    try:
        return validated(session, resource, body)
    except ProblemException as exc:
        raise SeedError(f"{where}: {exc.detail}; nothing was stored") from None


def _add_versioned(session: Session, row: Source | Observation | Claim) -> None:
    """Insert a row with its first revision, written by no key (the seed)."""
    session.add(row)
    session.flush()
    record_revision(session, row, RevisionAction.create, None, row.created_at)


def _ever_stored(
    session: Session, model: type[Source] | type[Observation] | type[Claim], key: dict[str, Any]
) -> bool:
    """Whether a row with this natural key is stored, or ever was: its history remembers a
    row deleted since, or edited to another key, which the seed must not bring back."""
    live: Table = model.__table__  # type: ignore[union-attr]
    for table in (live, HISTORY[model].table):
        query = select(table.c[next(iter(key))]).where(
            *(table.c[column] == value for column, value in key.items())
        )
        if session.execute(query.limit(1)).first() is not None:
            return True
    return False


def _cites_live(row: dict[str, Any], source_ids: dict[str, int]) -> bool:
    """Whether the sources a seed row cites are stored: one deleted leaves its rows out."""
    return all(slug in source_ids for slug in (row["source"], row.get("published_in")) if slug)


def _cited_by(row: dict[str, Any], source_ids: dict[str, int]) -> dict[str, Any]:
    """Source, publication, quote and note: what every seeded figure and claim carries."""
    return {
        "source_id": source_ids[row["source"]],
        "publication_id": source_ids[row["published_in"]] if row.get("published_in") else None,
        "quote": row["quote"],
        "note": row.get("note"),
    }


def figure_files() -> list[Path]:
    return sorted(p for p in SEED_DIR.glob("*.json") if p != INDICATORS_FILE)


def seed(session: Session) -> SeedReport:
    """Insert whatever of the seed is missing, in one transaction."""
    lock_for_write(session)  # beside a running server, as any other write
    report = SeedReport()
    seed_countries(session, report)
    seed_indicators(session, report)
    session.flush()
    for path in figure_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        seed_figures(session, data, report, f"seed/{path.name}")
    session.commit()
    return report


def main() -> int:
    as_log = configure_process_logging()
    with Session(reachable(get_engine())) as session:
        try:
            report = str(seed(session))
        except SeedError as exc:  # rolled back as the session closes
            print(f"error: {exc}", file=sys.stderr)  # one line, as the CLI's errors
            return 2
    if as_log:
        logging.getLogger("tradestats.seed").info(report)
    else:
        print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
