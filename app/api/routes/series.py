"""The five series endpoints (/v1/turnover … /v1/investment) and their one-year variants."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Engine

from app.api.caching import conditional_get, tagged_read
from app.api.deps import (
    MAX_YEAR,
    MIN_YEAR,
    AsOf,
    Digits,
    EndYear,
    OneYear,
    Partner,
    Reporter,
    SessionDep,
    StartYear,
    distinct_pair,
    year_range,
)
from app.api.lean import lean
from app.api.openapi import problems
from app.api.presenters import Data, no_figure, series_data
from app.api.render import Format, read_responses, reads, render_plain, with_cache_headers
from app.db import DatabaseDep, read
from app.models import IndicatorCode
from app.schemas import Series, SeriesPoint
from app.web.charts import series_chart
from app.web.headers import SVG_HEADERS

router = APIRouter(prefix="/v1", tags=["Series"])

Include = Annotated[
    Literal["implied"] | None,
    Query(
        description="`implied` adds, for years with no figure, the range that a claim "
        "gives the figure (status `implied`, `value` null, see `interval`).",
        examples=["implied"],
    ),
]


@dataclass(frozen=True)
class SeriesRoute:
    path: str
    code: IndicatorCode
    noun: str  # as in "Kazakhstan's <noun> with Bulgaria"


SERIES_ROUTES = (
    SeriesRoute("turnover", IndicatorCode.TURNOVER, "trade turnover (exports plus imports)"),
    SeriesRoute("exports", IndicatorCode.EXPORTS, "exports to the partner"),
    SeriesRoute("imports", IndicatorCode.IMPORTS, "imports from the partner"),
    SeriesRoute("balance", IndicatorCode.BALANCE, "trade balance (exports minus imports)"),
    SeriesRoute(
        "investment",
        IndicatorCode.FDI_INFLOW,
        "direct investment received from the partner",
    ),
)

SERIES_DESCRIPTION = """\
The reporter's {noun}, year by year, as the indicator `{code}`.

Each value carries its status: `reported` values come with their source, the document that
printed them and the verbatim quote; `derived` values are computed exactly from reported
ones by an accounting identity (TURNOVER = EXPORTS + IMPORTS, BALANCE = EXPORTS − IMPORTS),
or from TURNOVER and BALANCE alone by both at once (EXPORTS = (TURNOVER + BALANCE) / 2,
IMPORTS = (TURNOVER − BALANCE) / 2), and list the formula and inputs. Each value also has
its growth against the previous year (ratio, percent change, absolute change), or null with
a `reason` when there is no base.

Claims can imply a range for a year with no figure ("almost four times" the year before);
add `include=implied` to see those as points with status `implied` and a null `value`.
They are never mixed in otherwise.

Filter with `year`, or with `start_year` and `end_year`. A pair with no figures gives an
empty `observations` list. A year with figures that would give a value by an identity but
do not, being in different currencies, is listed in `not_derived` with why.
"""

YEAR_DESCRIPTION = """\
One year of the reporter's {noun} (`{code}`), with its source, quote and growth against
the previous year. Answers 404 when no figure is recorded or derivable for that year.
"""


CHART_DESCRIPTION = """\
The reporter's {noun} (`{code}`) as an SVG bar chart, one bar a year with its value written
above it: the same figures, parameters (all but `format`) and errors as `GET /v1/{path}`.

Reported values are solid bars, derived values hatched bars, and with `include=implied`
the ranges claims give missing figures are dashed outlines. The image is self-contained
(no script, no external reference): embed it with `<img src="…">` or save it. A pair with
no figures gives a chart that says so. Errors are problem documents, as JSON.
"""


class SVGResponse(Response):
    media_type = "image/svg+xml"


def checked_range(
    reporter: str, partner: str, year: int | None, start_year: int | None, end_year: int | None
) -> tuple[int | None, int | None]:
    """The series' first and last years, once the parameters are checked."""
    distinct_pair(reporter, partner)
    return year_range(year, start_year, end_year)


async def read_series(
    request: Request,
    engine: Engine,
    code: str,
    reporter: str,
    partner: str,
    first: int | None,
    last: int | None,
    implied: bool,
    as_of: datetime | None,
) -> Data:
    """A series, read through tagged_read: the data version that tags the response also
    lets its sources come from memory."""
    return await tagged_read(
        request,
        engine,
        lambda connection, version: series_data(
            connection,
            code,
            reporter,
            partner,
            first,
            last,
            implied=implied,
            as_of=as_of,
            version=version,
        ),
    )


def add_series_routes(route: SeriesRoute) -> None:
    code = route.code.value

    @lean
    async def get_series(
        request: Request,
        engine: DatabaseDep,
        reporter: Reporter,
        partner: Partner,
        year: OneYear = None,
        start_year: StartYear = None,
        end_year: EndYear = None,
        include: Include = None,
        as_of: AsOf = None,
        format: Format = None,
    ) -> Any:
        first, last = checked_range(reporter, partner, year, start_year, end_year)
        implied = include == "implied"
        data = await read_series(
            request, engine, code, reporter, partner, first, last, implied, as_of
        )
        return render_plain(request, format, data, Series, f"{route.path}-{reporter}-{partner}")

    def get_chart(
        request: Request,
        session: SessionDep,
        reporter: Reporter,
        partner: Partner,
        year: OneYear = None,
        start_year: StartYear = None,
        end_year: EndYear = None,
        include: Include = None,
        as_of: AsOf = None,
    ) -> Response:
        first, last = checked_range(reporter, partner, year, start_year, end_year)
        implied = include == "implied"
        data = series_data(
            session, code, reporter, partner, first, last, implied=implied, as_of=as_of
        )
        chart = SVGResponse(series_chart(Series.model_validate(data)), headers=SVG_HEADERS)
        return with_cache_headers(request, chart)

    @lean
    async def get_year(
        request: Request,
        engine: DatabaseDep,
        reporter: Reporter,
        partner: Partner,
        year: Annotated[
            int,
            Path(ge=MIN_YEAR, le=MAX_YEAR, examples=[2024], description="The year, as 2024."),
            Digits,
        ],
        as_of: AsOf = None,
        format: Format = None,
    ) -> Any:
        distinct_pair(reporter, partner)
        series = await read_series(
            request, engine, code, reporter, partner, year, year, False, as_of
        )
        points = series["observations"]
        if not points:
            raise await read(engine, lambda c: no_figure(c, code, reporter, partner, year, as_of))
        name = f"{route.path}-{reporter}-{partner}-{year}"
        return render_plain(request, format, points[0], SeriesPoint, name)

    router.add_api_route(
        f"/{route.path}",
        get_series,
        methods=["GET"],
        response_model=Series,
        summary=f"{code} series for a reporter and partner",
        description=SERIES_DESCRIPTION.format(noun=route.noun, code=code),
        operation_id=f"get_{route.path}_series",
        **reads(422, tags_itself=True),
    )
    router.add_api_route(
        f"/{route.path}.svg",
        get_chart,
        methods=["GET"],
        response_class=SVGResponse,
        summary=f"{code} series as an SVG chart",
        description=CHART_DESCRIPTION.format(noun=route.noun, code=code, path=route.path),
        operation_id=f"get_{route.path}_chart",
        dependencies=[Depends(conditional_get)],  # tagged like the series it draws
        responses={**problems(422, 412), **read_responses(csv=False)},
    )
    router.add_api_route(
        f"/{route.path}/{{year}}",
        get_year,
        methods=["GET"],
        response_model=SeriesPoint,
        summary=f"One year of {code}",
        description=YEAR_DESCRIPTION.format(noun=route.noun, code=code),
        operation_id=f"get_{route.path}_year",
        **reads(404, 422, tags_itself=True),
    )


for _route in SERIES_ROUTES:
    add_series_routes(_route)
