"""GET /: the figures for people, as one server-rendered page with inline SVG charts.

It is built from the same presenters as the JSON API (series, claims, sources), so the
page and the API cannot disagree. No script and no external asset: every text is escaped.
"""

from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Row
from sqlmodel import Session

from app.api.deps import SessionDep
from app.api.paths import root_path
from app.api.presenters import claims_public, series_data
from app.api.routes.series import SERIES_ROUTES, SeriesRoute
from app.inputs import http_or_https
from app.queries import claims, pairs_with_figures, sources
from app.schemas import ClaimPublic, Series, SeriesPoint
from app.stats.growth import ALL_GONE, ZERO, round_clear_of
from app.stats.intervals import EXACT
from app.web.charts import Bar, format_number, series_bars, series_chart
from app.web.headers import security_headers, source_hash

router = APIRouter(include_in_schema=False)

STYLE = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --blue: #1d4ed8;
  --pale: #dbeafe; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
a { color: var(--blue); }
.wrap { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { background: #fff; border-bottom: 1px solid var(--line); }
header .wrap { display: flex; align-items: center; justify-content: space-between;
  height: 56px; }
.brand { font-weight: 700; font-size: 18px; letter-spacing: -0.01em; }
.brand span { color: var(--muted); font-weight: 400; margin-left: 8px; font-size: 14px; }
nav a { margin-left: 20px; text-decoration: none; font-weight: 500; }
nav a:hover { text-decoration: underline; }
main { padding: 32px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 40px 0 2px; }
.lede { color: var(--muted); margin: 0 0 16px; max-width: 820px; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0; padding: 0;
  list-style: none; color: var(--muted); font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 8px; }
.legend b { color: var(--ink); font-weight: 600; }
.swatch { display: inline-block; width: 14px; height: 14px; border: 1.5px solid var(--blue);
  flex: none; }
.swatch.reported { background: var(--blue); }
.swatch.derived { background: repeating-linear-gradient(45deg, var(--blue) 0 2px,
  var(--pale) 2px 5px); }
.swatch.implied { background: #eef4ff; border-style: dashed; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 900px) { .grid { grid-template-columns: minmax(0, 1fr); } }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
.card h3 { font-size: 16px; margin: 0; }
.card-head { display: flex; justify-content: space-between; align-items: baseline;
  gap: 12px; margin-bottom: 4px; }
.links { font-size: 13px; white-space: nowrap; }
.links a { margin-left: 10px; }
.chart svg { display: block; width: 100%; height: auto; }
table { width: 100%; border-collapse: collapse; font-size: 13px; margin-top: 8px; }
th, td { text-align: left; padding: 5px 8px 5px 0; border-top: 1px solid var(--line); }
th { color: var(--muted); font-weight: 500; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.value { white-space: nowrap; }  /* "93.78–107.22" stays on one line */
.muted { color: var(--muted); }
.chip { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px;
  font-weight: 600; line-height: 20px; }
.chip.reported { background: var(--pale); color: #1e3a8a; }
.chip.derived { background: #ede9fe; color: #4c1d95; }
.chip.implied { background: #f3f4f6; color: #374151; }
.chip.consistent { background: #dcfce7; color: #166534; }
.chip.inconsistent { background: #fee2e2; color: #991b1b; }
.chip.unverifiable { background: #fef3c7; color: #92400e; }
.claims { display: grid; gap: 12px; }
.claim h3 { display: flex; align-items: center; gap: 10px; }
.claim blockquote { margin: 10px 0; padding: 2px 0 2px 12px; border-left: 3px solid var(--line);
  color: #374151; }
.claim p { margin: 6px 0 0; }
.meta { color: var(--muted); font-size: 13px; margin: 0 0 12px; }
.sources { display: grid; gap: 12px; grid-template-columns: repeat(3, minmax(0, 1fr)); }
@media (max-width: 900px) { .sources { grid-template-columns: minmax(0, 1fr); } }
.sources p { margin: 4px 0 0; font-size: 13px; }
footer { border-top: 1px solid var(--line); color: var(--muted); font-size: 13px;
  padding: 16px 0 32px; }
/* A phone: the header wraps instead of breaking its links, and a chart keeps its text
   legible (at least 400 px wide: 9 px text) and scrolls sideways in its card. */
@media (max-width: 600px) {
  .wrap { padding: 0 12px; }
  main { padding: 20px 12px 32px; }
  header .wrap { height: auto; flex-wrap: wrap; gap: 2px 16px; padding-top: 10px;
    padding-bottom: 10px; }
  nav a { margin: 0 14px 0 0; white-space: nowrap; }
  .card { padding: 12px; }
  .chart { overflow-x: auto; }
  .chart svg { min-width: 400px; }
}
"""

PAGE_HEADERS = security_headers(
    "default-src 'none'",
    f"style-src {source_hash(STYLE)}",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
)
FAVICON = "/static/docs/favicon.png"  # after the root path, as every path a page names

LEGEND = """
<ul class="legend">
<li><span class="swatch reported"></span><span><b>Reported</b>: as the source published
it</span></li>
<li><span class="swatch derived"></span><span><b>Derived</b>: computed exactly from
reported figures</span></li>
<li><span class="swatch implied"></span><span><b>Implied range</b>: where a claim, if true,
puts a missing figure</span></li>
</ul>
"""


# A whole trade matrix (tens of thousands of pairs) is no page for people: show the first
# pairs and say where the rest are.
MAX_PAIRS = 20


def _more_pairs(root: str) -> str:
    return f"""<p class="meta" id="more-pairs">These are the first {MAX_PAIRS} pairs with
figures, in code order. Every pair's series is in the API, as
<code>{root}/v1/turnover?reporter=…&amp;partner=…</code> (and likewise for each series) and as
a chart at <code>{root}/v1/turnover.svg?reporter=…&amp;partner=…</code>;
<a href="{root}/v1/observations">{root}/v1/observations</a> lists every figure.</p>"""


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep) -> HTMLResponse:
    # Behind a proxy that serves the app under a prefix, /docs would be the proxy's own.
    root = escape(root_path(request.scope))
    pairs = pairs_with_figures(session=session, limit=MAX_PAIRS + 1)
    sections = [
        _pair(
            [(route, _series(session, route, reporter, partner)) for route in SERIES_ROUTES],
            root,
        )
        for reporter, partner in pairs[:MAX_PAIRS]
    ]
    if len(pairs) > MAX_PAIRS:
        sections.append(_more_pairs(root))
    sections.append(_claims(claims_public(session, claims(session=session)), root))
    sections.append(_sources(sources(session=session)))
    return HTMLResponse(_page("".join(sections), root), headers=PAGE_HEADERS)


def _series(session: Session, route: SeriesRoute, reporter: str, partner: str) -> Series:
    """Every year of one series, with the ranges claims imply for missing years."""
    data = series_data(session, route.code.value, reporter, partner, None, None, implied=True)
    return Series.model_validate(data)


def _page(body: str, root: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tradestats: bilateral trade figures</title>
<link rel="icon" href="{root}{FAVICON}">
<style>{STYLE}</style>
</head>
<body>
<header><div class="wrap">
<div class="brand">tradestats<span>bilateral trade statistics</span></div>
<nav><a href="{root}/docs">API docs</a><a href="{root}/redoc">API reference</a><a
href="{root}/openapi.json">OpenAPI</a></nav>
</div></header>
<main class="wrap">
<h1>Trade and investment figures</h1>
<p class="lede">Each figure is shown as published, with its source. Values computed from
other values say so, and growth that cannot be computed says why.</p>
{LEGEND}
{body}
</main>
<footer><div class="wrap">Every figure here is also in the JSON API:
<a href="{root}/docs">try it in the API docs</a> or read the
<a href="{root}/redoc">API reference</a>. Charts are served as SVG at
<code>{root}/v1/&lt;series&gt;.svg</code>.</div></footer>
</body>
</html>
"""


def _pair(charts: list[tuple[SeriesRoute, Series]], root: str) -> str:
    first = charts[0][1]
    title = f"{first.reporter.name} – {first.partner.name}"
    cards = "".join(_card(route, series, root) for route, series in charts if series.observations)
    return (
        f'<section id="{escape(first.reporter.alpha3)}-{escape(first.partner.alpha3)}">'
        f"<h2>{escape(title)}</h2>"
        f'<p class="meta">As reported by {escape(first.reporter.name)}.</p>'
        f'<div class="grid">{cards}</div></section>'
    )


def _card(route: SeriesRoute, series: Series, root: str) -> str:
    query = urlencode(
        {"reporter": series.reporter.alpha3, "partner": series.partner.alpha3, "include": "implied"}
    )
    rows = "".join(
        _row(p, b) for p, b in zip(series.observations, series_bars(series), strict=True)
    )
    return f"""<article class="card">
<div class="card-head"><h3>{escape(series.indicator.name)}</h3>
<span class="links"><a href="{root}/v1/{route.path}?{escape(query)}">JSON</a>
<a href="{root}/v1/{route.path}.svg?{escape(query)}">SVG</a></span></div>
<div class="meta">{escape(series.indicator.code)} · {escape(series.indicator.direction)}</div>
<div class="chart">{series_chart(series, heading=False)}</div>
<table><thead><tr><th>Year</th><th class="num">Value</th><th>Status</th>
<th class="num">Change on the year before</th></tr></thead><tbody>{rows}</tbody></table>
</article>"""


def _row(point: SeriesPoint, bar: Bar) -> str:
    """A year of the series: the value as the chart labels it, its status and growth,
    the change in the same unit as the value (the series' finest)."""
    status = point.status.value
    return (
        f"<tr><td>{point.year}</td><td class='num value'>{escape(bar.label)}</td>"
        f"<td><span class='chip {escape(status)}'>{escape(status)}</span></td>"
        f"<td class='num'>{_growth(point, bar.shift)}</td></tr>"
    )


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_number(value)


def _growth(point: SeriesPoint, shift: int) -> str:
    """Percent change to one place, but never rounded onto no change or onto −100%, and
    the exact change in the unit the values are shown in; or why there is none."""
    g = point.growth
    if g is None:  # implied: a claim's range, which has no growth of its own
        return f"<span class='muted'>range from claim {point.claim_id}</span>"
    if g.pch is None or g.chg is None:
        return f"<span class='muted'>{escape(g.reason or 'not computable')}</span>"
    # From the exact figures, not `pch`'s four places: rounded twice, 12.34995% read 12.4%.
    assert point.value is not None  # a point with growth has a value
    earlier = EXACT.subtract(point.value, g.chg)  # `chg` is in this point's unit
    pch = round_clear_of(EXACT.multiply(EXACT.divide(g.chg, earlier), 100), 1, ALL_GONE, ZERO)
    return escape(f"{_signed(pch)}% ({_signed(g.chg.scaleb(shift, EXACT))})")


def _claims(rows: list[ClaimPublic], root: str) -> str:
    if not rows:
        return ""
    cards = "".join(_claim(c, root) for c in rows)
    return (
        f'<section id="claims"><h2>Claims checked</h2><div class="claims">{cards}</div></section>'
    )


def _claim(c: ClaimPublic, root: str) -> str:
    source = (c.source.publisher or c.source.title) if c.source else "unknown source"
    return f"""<article class="card claim">
<h3><span class="chip {escape(c.verdict)}">{escape(c.verdict)}</span>
{escape(f"{c.indicator}, {c.year} against {c.base_year}: {c.statement}")}</h3>
<div class="meta">{escape(c.reporter)}–{escape(c.partner)} ·
<a href="{root}/v1/claims/{c.id}">claim {c.id}</a></div>
<blockquote>“{escape(c.quote)}” <span class="meta">{escape(source)}</span></blockquote>
<p>{escape(c.explanation)}</p>
</article>"""


def _sources(rows: list[Row[Any]]) -> str:
    items = "".join(_source(s) for s in rows)
    return f'<section id="sources"><h2>Sources</h2><div class="sources">{items}</div></section>'


def _source(s: Row[Any]) -> str:
    title = escape(s.title)
    if s.url and http_or_https(s.url):
        title = f'<a href="{escape(s.url)}" rel="noreferrer">{title}</a>'
    publisher = f"<p>{escape(s.publisher)}</p>" if s.publisher else ""
    note = f"<p class='muted'>{escape(s.note)}</p>" if s.note else ""
    return (
        f'<article class="card"><h3>{title}</h3>'
        f'<div class="meta">{escape(s.kind)} · source {s.id}</div>{publisher}{note}</article>'
    )
