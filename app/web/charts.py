"""SVG bar charts of a series: one bar a year, its value written above it.

Reported values are solid bars, derived values hatched bars, and implied values outlined
ranges (a claim gives a range, not a number). The SVG is self-contained: no script, no
stylesheet, no external reference, so it works inline in a page, as a file, or in <img>.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from html import escape

from app.schemas import Series
from app.stats.intervals import EXACT, Interval

WIDTH, PLOT = 560, 200  # the plot's height; titles and years add to it
LEFT, RIGHT, BOTTOM = 56, 16, 30
INK, MUTED, GRID, AXIS = "#1f2937", "#6b7280", "#e5e7eb", "#9ca3af"
BLUE, PALE = "#1d4ed8", "#dbeafe"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
LEGEND = {"reported": "Reported", "derived": "Derived", "implied": "Implied range"}
MINUS = "\u2212"
MIN_SLOT_FOR_LABELS = 34  # narrower bars carry their value in a tooltip only
NO_FIGURES = "No figures for this pair and these years"


@dataclass(frozen=True)
class Bar:
    """One year: a value (reported or derived) or a range (implied)."""

    year: int
    status: str  # reported, derived or implied
    value: Decimal | None
    low: Decimal | None = None  # an implied range; None is unbounded
    high: Decimal | None = None
    label: str = ""
    shift: int = 0  # places its point's values moved to reach the chart's unit


def format_number(value: Decimal) -> str:
    """375.2 as 375.2, 1234.5 as 1,234.5, −80 with a real minus sign."""
    text = f"{value.copy_abs():,f}"
    return MINUS + text if value < 0 else text


def format_range(implied: Interval, places: int) -> str:
    """An implied range, rounded outward so that it never claims more than it knows. A
    bound the range stops short of is marked so: what "more than 11 times" leaves of
    exports is "> 0, < 27.61", not "0–27.61", which would allow 0."""
    shown = implied.rounded_outward(places)
    low, high = (
        None if v is None else format_number(v.normalize(EXACT)) for v in (shown.low, shown.high)
    )
    if low is not None and high is not None and shown.low_closed and shown.high_closed:
        return f"{low}–{high}"
    bounds = [
        f"{mark} {bound}"
        for bound, mark in (
            (low, "≥" if shown.low_closed else ">"),
            (high, "≤" if shown.high_closed else "<"),
        )
        if bound is not None
    ]
    return ", ".join(bounds) or "any value"


def _nice_step(span: Decimal) -> Decimal:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about five gridlines."""
    raw = span / 5
    steps = (Decimal(m).scaleb(raw.adjusted()) for m in ("1", "2", "2.5", "5", "10"))
    return next(step for step in steps if step >= raw)


def ticks(low: Decimal, high: Decimal) -> list[Decimal]:
    """Round gridline values covering [low, high], which includes zero."""
    if low == high:
        high = low + 1
    step = _nice_step(high - low)
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    last = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    count = int((last - first) / step)
    return [first + i * step for i in range(count + 1)]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def slug(text: str) -> str:
    """Safe for an XML id."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "chart"


@dataclass(frozen=True)
class Scale:
    """Where values fall on the plot: `low` at the bottom, `high` at the top."""

    top: float
    height: float
    low: Decimal
    high: Decimal

    def y(self, value: Decimal) -> float:
        return self.top + float((self.high - value) / (self.high - self.low)) * self.height


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    unit: str,
    subtitle: str = "",
    chart_id: str = "chart",
    heading: bool = True,
    empty: str = NO_FIGURES,
) -> str:
    """An SVG document. `heading` writes the title and subtitle on the chart; they are
    always its <title>, for screen readers and tooltips."""
    cid = slug(chart_id)
    top = 84 if heading else 40
    height = top + PLOT + BOTTOM
    full_title = f"{title}: {subtitle}" if subtitle else title
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'font-family="{escape(FONT)}" font-size="12" fill="{INK}">',
        f'<title id="{cid}-title">{escape(full_title)}</title>',
        f'<desc id="{cid}-desc">{escape(_description(bars, unit, empty))}</desc>',
        f'<defs><pattern id="{cid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{PALE}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BLUE}" stroke-width="2.5"/></pattern></defs>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    if heading:  # title, subtitle and unit, then the legend on a line of its own
        caption = " · ".join(part for part in (subtitle, unit) if part)  # no unit: no figures
        parts.append(
            f'<text x="{LEFT}" y="24" font-size="15" font-weight="600">{escape(title)}</text>'
            f'<text x="{LEFT}" y="42" fill="{MUTED}">{escape(caption)}</text>'
        )
        parts.extend(_legend(bars, cid, 64, right=False))
    else:  # the unit, and the legend on the same line
        parts.append(f'<text x="{LEFT}" y="18" fill="{MUTED}">{escape(unit)}</text>')
        parts.extend(_legend(bars, cid, 18, right=True))
    if bars:
        parts.extend(_plot(bars, top, cid, unit))
    else:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{top + PLOT / 2}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(empty)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _plot(bars: Sequence[Bar], top: int, cid: str, unit: str) -> list[str]:
    """Gridlines with their values, year labels, and a mark for each bar."""
    extent = [b.value for b in bars if b.value is not None]
    extent += [v for b in bars for v in (b.low, b.high) if v is not None]
    low, high = min([Decimal(0), *extent]), max([Decimal(0), *extent])
    if low < 0:  # room under the lowest bar for its label, above the years
        low -= (high - low) * Decimal("0.08")
    grid = ticks(low, high)
    scale = Scale(top, PLOT, grid[0], grid[-1])
    parts = []
    for tick in grid:
        y = _num(scale.y(tick))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" '
            f'stroke="{AXIS if tick == 0 else GRID}"/>'
            f'<text x="{LEFT - 6}" y="{_num(scale.y(tick) + 4)}" text-anchor="end" '
            f'fill="{MUTED}">{format_number(tick.normalize())}</text>'
        )

    years = range(min(b.year for b in bars), max(b.year for b in bars) + 1)
    slot = (WIDTH - LEFT - RIGHT) / len(years)
    label_every = max(1, round(44 / slot))  # keep year labels from touching
    by_year = {b.year: b for b in bars}
    for i, year in enumerate(years):
        centre = LEFT + slot * (i + 0.5)
        if i % label_every == 0:
            parts.append(
                f'<text x="{_num(centre)}" y="{top + PLOT + 20}" text-anchor="middle" '
                f'fill="{MUTED}">{year}</text>'
            )
        if year in by_year:
            parts.append(_mark(by_year[year], centre, slot, scale, cid, unit))
    return parts


def _mark(bar: Bar, centre: float, slot: float, scale: Scale, cid: str, unit: str) -> str:
    """One year's bar or range, with its tooltip and, where there is room, its value."""
    if bar.value is not None:
        high, low = max(bar.value, Decimal(0)), min(bar.value, Decimal(0))
        fill = f"url(#{cid}-hatch)" if bar.status == "derived" else BLUE
        style = f'fill="{fill}" stroke="{BLUE}"'
    else:  # an implied range, running to the plot's edge where the claim gives no bound
        high = bar.high if bar.high is not None else scale.high
        low = bar.low if bar.low is not None else scale.low
        style = f'fill="{PALE}" fill-opacity="0.6" stroke="{BLUE}" stroke-dasharray="4 3"'
    y_top, y_bottom = scale.y(high), scale.y(low)
    width = min(slot * 0.6, 72)
    tip = f"{bar.year}: {bar.label} {unit} ({bar.status})"
    mark = (
        f'<rect class="bar {escape(bar.status)}" x="{_num(centre - width / 2)}" '
        f'y="{_num(y_top)}" width="{_num(width)}" height="{_num(max(y_bottom - y_top, 1))}" '
        f'{style} stroke-width="1.5"><title>{escape(tip)}</title></rect>'
    )
    if slot < MIN_SLOT_FOR_LABELS:
        return mark
    below = bar.value is not None and bar.value < 0
    return mark + (
        f'<text x="{_num(centre)}" y="{_num(y_bottom + 15 if below else y_top - 6)}" '
        f'text-anchor="middle" font-weight="600">{escape(bar.label)}</text>'
    )


def _legend(bars: Sequence[Bar], cid: str, baseline: int, *, right: bool) -> list[str]:
    """A swatch and a name for each status shown, left- or right-aligned."""
    shown = [s for s in LEGEND if any(b.status == s for b in bars)]
    widths = [18 + len(LEGEND[s]) * 6.5 for s in shown]  # swatch, gap, text
    x = WIDTH - RIGHT - sum(widths) - 16 * (len(shown) - 1) if right else LEFT
    parts = []
    for status, width in zip(shown, widths, strict=True):
        fill = {
            "reported": f'fill="{BLUE}"',
            "derived": f'fill="url(#{cid}-hatch)"',
            "implied": f'fill="{PALE}" stroke-dasharray="3 2"',
        }[status]
        parts.append(
            f'<rect x="{_num(x)}" y="{baseline - 10}" width="12" height="12" {fill} '
            f'stroke="{BLUE}"/><text x="{_num(x + 18)}" y="{baseline}" fill="{MUTED}">'
            f"{LEGEND[status]}</text>"
        )
        x += width + 16
    return parts


def _description(bars: Sequence[Bar], unit: str, empty: str) -> str:
    if not bars:  # what the chart says in place of bars, for a screen reader too
        return f"{empty}."
    return "; ".join(f"{b.year}: {b.label} ({b.status})" for b in bars) + f". {unit}."


def series_bars(series: Series) -> list[Bar]:
    """A series' points as bars, all in the smallest multiplier among them.

    Values keep their published digits (375.2); implied ranges are rounded outward to one
    more decimal than the figures they come from (93.78–107.22).
    """
    finest = min((p.unit.multiplier for p in series.observations), default=0)
    bars = []
    for p in series.observations:
        shift = p.unit.multiplier - finest
        value, low, high = (
            None if v is None else v.scaleb(shift, EXACT)
            for v in (p.value, p.interval.low, p.interval.high)
        )
        if value is not None:
            label = format_number(value)
        else:
            implied = Interval(low, high, p.interval.low_inclusive, p.interval.high_inclusive)
            label = format_range(implied, max(0, p.precision + 1 - shift))
        bars.append(Bar(p.year, p.status.value, value, low, high, label, shift))
    return bars


def series_chart(series: Series, *, heading: bool = True) -> str:
    """The chart of one series for one pair, titled with the indicator and the pair."""
    points = series.observations
    mixed = len({p.unit.currency for p in points}) > 1
    return bar_chart(
        [] if mixed else series_bars(series),  # two currencies cannot share an axis
        title=series.indicator.name,
        subtitle=f"{series.reporter.name} – {series.partner.name}",
        # One unit, or none: "USD thousands" would misname the figures in EUR.
        unit=min(points, key=lambda p: p.unit.multiplier).unit.label
        if points and not mixed
        else "",
        chart_id=f"{series.indicator.code}-{series.reporter.alpha3}-{series.partner.alpha3}",
        heading=heading,
        empty="Values in several currencies: see the JSON series" if mixed else NO_FIGURES,
    )
