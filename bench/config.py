"""Everything the harness can be tuned by: dataset sizes, servers, queries and targets.

Each query names the URL each system answers it with, and which fields of the answer
the agreement check compares. Placeholders in braces ({reporter}, {partner}, {as_of},
{db}) are filled in from the generated dataset (bench/dataset.py).
"""

from dataclasses import dataclass, field

SEED = 20240607  # the random seed of the generated figures: same seed, same database
INDICATORS = ("EXPORTS", "IMPORTS", "TURNOVER")  # TURNOVER = EXPORTS + IMPORTS, exactly
LAST_YEAR = 2024  # Q3 compares LAST_YEAR - 1 with LAST_YEAR


@dataclass(frozen=True)
class Scale:
    name: str
    reporters: int  # every reporter trades with every other: reporters - 1 partners
    years: int  # LAST_YEAR - years + 1 .. LAST_YEAR
    load_seconds: int  # wrk's -d for each query on each system, in each round
    rounds: int  # each query is loaded this many times, the systems taking turns
    csv_downloads: int  # Q4 is timed over this many sequential downloads per system
    enforce_targets: bool  # smoke runs report the targets but never fail on them


FULL = Scale(
    "full",
    reporters=200,
    years=30,
    load_seconds=5,
    rounds=3,
    csv_downloads=3,
    enforce_targets=True,
)
SMOKE = Scale(
    "smoke",
    reporters=5,
    years=3,
    load_seconds=2,
    rounds=1,
    csv_downloads=2,
    enforce_targets=False,
)

# Servers: both pinned to SERVER_CPU, the load generator to LOAD_CPU (where taskset exists).
HOST = "127.0.0.1"
TRADESTATS_PORT = 8517
DATASETTE_PORT = 8518
SERVER_CPU = 0
LOAD_CPU = 1
CONNECTIONS = 16
# The tradestats server: one uvicorn worker; the rate limit would answer wrk with 429s.
TRADESTATS_ENV = {"RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING"}


@dataclass(frozen=True)
class Endpoint:
    path: str  # URL path, with placeholders
    params: dict[str, str] = field(default_factory=dict)
    rows_at: str | None = None  # the JSON key holding the row list; None: the body is it
    fields: tuple[str, ...] = ()  # compared; in Q4, CSV columns


@dataclass(frozen=True)
class Query:
    name: str
    what: str
    tradestats: Endpoint
    datasette: Endpoint
    csv: bool = False  # timed by bench/csvexport.py (throughput) instead of wrk


# Datasette answers with SQL (`_shape=array`): its quickest way to a given set of rows.
def _datasette_sql(sql: str, fields: tuple[str, ...], **params: str) -> Endpoint:
    query = {"sql": " ".join(sql.split()), "_shape": "array", **params}
    return Endpoint("/{db}.json", query, None, fields)


def _exports_series(**extra: str) -> Endpoint:
    params = {"reporter": "{reporter}", "partner": "{partner}", **extra}
    return Endpoint("/v1/exports", params, "observations", ("year", "value"))


SERIES = _datasette_sql(
    """select * from observation where reporter = :r and partner = :p
    and indicator = 'EXPORTS' order by year""",
    ("year", "value"),
    r="{reporter}",
    p="{partner}",
)
Q1 = Query("Q1", "one series, 30 rows (reporter, partner, EXPORTS)", _exports_series(), SERIES)
Q1_AS_OF = Query(
    "Q1 as_of",
    "Q1 as the API stood at a moment after the import",
    _exports_series(as_of="{as_of}"),
    SERIES,
)
Q2 = Query(
    "Q2",
    "one reporter, EXPORTS, one year, every partner (about 200 rows)",
    Endpoint(
        "/v1/observations",
        {"reporter": "{reporter}", "indicator": "EXPORTS", "year": "{last_year}", "limit": "1000"},
        "data",
        ("partner", "year", "value"),
    ),
    _datasette_sql(
        """select * from observation where reporter = :r and indicator = 'EXPORTS'
        and year = :y order by partner""",
        ("partner", "year", "value"),
        r="{reporter}",
        y="{last_year}",
    ),
)
GROWTH = {"indicator": "EXPORTS", "reporter": "{reporter}", "from": "{prev_year}"}
Q3 = Query(
    "Q3",
    "growth of one reporter's EXPORTS to every partner, year before last to last",
    Endpoint(
        "/v1/growth/partners",
        GROWTH | {"to": "{last_year}"},
        "data",
        ("partner", "earlier", "later"),
    ),
    _datasette_sql(
        """select a.partner, a.value as earlier, b.value as later,
        cast(b.value as real) / cast(a.value as real) as ratio
        from observation a join observation b on b.reporter = a.reporter
        and b.partner = a.partner and b.indicator = a.indicator and b.year = :t
        where a.reporter = :r and a.indicator = 'EXPORTS' and a.year = :f
        order by a.partner""",
        ("partner", "earlier", "later"),
        r="{reporter}",
        f="{prev_year}",
        t="{last_year}",
    ),
)
Q4 = Query(
    "Q4",
    "CSV export: EXPORTS of every pair in the last three years (119,400 rows at full scale)",
    Endpoint(
        "/v1/observations",
        {"indicator": "EXPORTS", "start_year": "{csv_from}", "end_year": "{last_year}"}
        | {"format": "csv"},
        fields=("reporter", "partner", "year", "value"),
    ),
    Endpoint(
        "/{db}/observation.csv",
        {"indicator": "EXPORTS", "year__gte": "{csv_from}", "year__lte": "{last_year}"}
        | {"_stream": "on"},
        fields=("reporter", "partner", "year", "value"),
    ),
    csv=True,
)


# For reference, not for the targets: Q1 and Q2 as Datasette's table API answers them,
# the URL its own pages build (`_size=max`: Q2's 199 rows on one page, not two). Issue 7's
# "Datasette served Q1 at about 540 req/s" matches this path, not the SQL one above.
TABLE_API = "table API"


def _datasette_table(query: Query, sort: str, **filters: str) -> Query:
    params = {**filters, "indicator": "EXPORTS", "_sort": sort, "_shape": "array", "_size": "max"}
    endpoint = Endpoint("/{db}/observation.json", params, None, query.datasette.fields)
    return Query(
        f"{query.name}, {TABLE_API}",
        f"{query.name} against Datasette's table API",
        query.tradestats,
        endpoint,
    )


Q1_TABLE = _datasette_table(Q1, "year", reporter="{reporter}", partner="{partner}")
Q2_TABLE = _datasette_table(Q2, "partner", reporter="{reporter}", year="{last_year}")
QUERIES = (Q1, Q1_AS_OF, Q2, Q3, Q4, Q1_TABLE, Q2_TABLE)
LOADED = tuple(q for q in QUERIES if not q.csv)  # timed with wrk
FIVE_TIMES = (Q1, Q2)  # the queries with a speed-up target over Datasette's req/s
# For reference, not a target: tradestats' smallest answer, through the same server and
# middleware as every query (no database, a 15-byte body). No route can go faster, so it
# shows whether a speed-up target is within reach on the machine at all.
CEILING = Endpoint("/healthz")

# Issue 7's targets, checked in bench/report.py.
SPEEDUP_Q1_Q2 = 5.0  # × Datasette's req/s
Q1_P99_MS = 15.0
Q3_VS_Q2 = 2.0  # Q3 takes at most this many times Q2's time (per request)
SPEEDUP_Q4 = 4.0  # × Datasette's CSV rows/s
Q4_TTFB_MS = 50.0
Q4_RSS_MB = 150.0
IMPORT_ROWS_PER_S = 100_000
AS_OF_VS_Q1 = 2.0
STARTUP_S = 2.0
