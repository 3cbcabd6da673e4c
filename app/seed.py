"""Load reference data (countries, indicators) and the seed figures in seed/*.json.

Idempotent: rows are matched on their natural keys and only missing ones are inserted,
so a second run changes nothing and a figure corrected later is never overwritten.
Run with `python -m app.seed`.
"""

import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pycountry
from sqlmodel import Session, select

from app.db import get_engine
from app.models import Country, Indicator, Observation, Source

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
INDICATORS_FILE = SEED_DIR / "indicators.json"


@dataclass
class SeedReport:
    inserted: dict[str, int] = field(default_factory=dict)

    def count(self, table: str) -> None:
        self.inserted[table] = self.inserted.get(table, 0) + 1

    def __str__(self) -> str:
        if not self.inserted:
            return "seed: nothing to do, every row is already present"
        return "seed: inserted " + ", ".join(f"{n} {t}" for t, n in sorted(self.inserted.items()))


def precision_of(value: Decimal) -> int:
    """Decimals as written: 375.2 has 1, 12 has 0."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


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


def seed_figures(session: Session, data: dict[str, Any], report: SeedReport) -> None:
    for row in data["sources"]:
        if session.exec(select(Source).where(Source.slug == row["slug"])).first() is None:
            session.add(Source.model_validate(row))
            report.count("source")
    session.flush()
    source_ids = {s.slug: s.id for s in session.exec(select(Source)) if s.id is not None}

    for row in data["observations"]:
        key = (row["reporter"], row["partner"], row["indicator"], row["year"])
        found = session.exec(
            select(Observation.id).where(
                Observation.reporter == key[0],
                Observation.partner == key[1],
                Observation.indicator == key[2],
                Observation.year == key[3],
            )
        ).first()
        if found is not None:
            continue
        value = Decimal(row["value"])
        session.add(
            Observation(
                reporter=row["reporter"],
                partner=row["partner"],
                indicator=row["indicator"],
                year=row["year"],
                value=value,
                currency=row["currency"],
                multiplier=row["multiplier"],
                precision=row.get("precision", precision_of(value)),
                source_id=source_ids[row["source"]],
                publication_id=source_ids[row["published_in"]] if row.get("published_in") else None,
                quote=row["quote"],
                note=row.get("note"),
            )
        )
        report.count("observation")


def figure_files() -> list[Path]:
    return sorted(p for p in SEED_DIR.glob("*.json") if p != INDICATORS_FILE)


def seed(session: Session) -> SeedReport:
    """Insert whatever of the seed is missing, in one transaction."""
    report = SeedReport()
    seed_countries(session, report)
    seed_indicators(session, report)
    session.flush()
    for path in figure_files():
        seed_figures(session, json.loads(path.read_text(encoding="utf-8")), report)
    session.commit()
    return report


def main() -> int:
    with Session(get_engine()) as session:
        print(seed(session))
    return 0


if __name__ == "__main__":
    sys.exit(main())
