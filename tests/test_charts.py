"""The SVG renderer: bars, labels, statuses, ranges, negative values and escaping."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from app.stats.intervals import Interval
from app.web.charts import (
    BLUE,
    NO_FIGURES,
    PALE,
    PLOT,
    Bar,
    bar_chart,
    format_number,
    format_range,
    ticks,
)

SVG = "{http://www.w3.org/2000/svg}"
D = Decimal


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    return root


def bars_of(root: ET.Element, status: str | None = None) -> list[ET.Element]:
    return [
        r
        for r in root.iter(f"{SVG}rect")
        if "bar" in r.get("class", "").split() and (status is None or status in r.get("class", ""))
    ]


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def chart(*bars: Bar, heading: bool = True, subtitle: str = "") -> ET.Element:
    svg = bar_chart(
        bars, title="Trade turnover", unit="USD millions", subtitle=subtitle, heading=heading
    )
    return parse(svg)


def title_of(root: ET.Element) -> str | None:
    element = root.find(f"{SVG}title")
    return None if element is None else element.text


def reported(year: int, value: str) -> Bar:
    return Bar(year, "reported", D(value), label=format_number(D(value)))


def top_and_bottom(rect: ET.Element) -> tuple[float, float]:
    y = float(rect.get("y", "nan"))
    return y, y + float(rect.get("height", "nan"))


def test_one_bar_a_year_with_its_value_written_on_it() -> None:
    root = chart(reported(2023, "4.2"), reported(2024, "7.8"))
    assert len(bars_of(root)) == 2
    assert {"4.2", "7.8", "2023", "2024", "USD millions", "Trade turnover"} <= set(texts(root))
    tips = [t.text for r in bars_of(root) for t in r.iter(f"{SVG}title")]
    assert tips == ["2023: 4.2 USD millions (reported)", "2024: 7.8 USD millions (reported)"]


def test_taller_value_taller_bar() -> None:
    small, large = bars_of(chart(reported(2023, "4.2"), reported(2024, "7.8")))
    assert float(large.get("height", 0)) > float(small.get("height", 0))
    assert top_and_bottom(small)[1] == pytest.approx(top_and_bottom(large)[1])  # one baseline


def test_statuses_look_different_and_the_legend_names_them() -> None:
    root = chart(
        reported(2022, "375.2"),
        Bar(2023, "derived", D("71.6"), label="71.6"),
        Bar(2024, "implied", None, D("93.7875"), D("104.236112"), "93.78–104.24"),
    )
    (solid,) = bars_of(root, "reported")
    (hatched,) = bars_of(root, "derived")
    (outlined,) = bars_of(root, "implied")
    assert solid.get("fill") == BLUE
    assert hatched.get("fill") == "url(#chart-hatch)"
    assert root.find(f".//{SVG}pattern[@id='chart-hatch']") is not None
    assert (outlined.get("fill"), outlined.get("stroke-dasharray")) == (PALE, "4 3")
    assert {"Reported", "Derived", "Implied range"} <= set(texts(root))


def test_legend_lists_only_the_statuses_shown() -> None:
    assert "Derived" not in texts(chart(reported(2024, "1")))


def test_implied_range_spans_its_bounds() -> None:
    # Gridlines run 0 to 400, so the plot maps 400 units onto PLOT pixels.
    root = chart(
        Bar(2023, "implied", None, D("93.7875"), D("104.236112"), "93.78–104.24"),
        reported(2024, "375.2"),
    )
    (implied,) = bars_of(root, "implied")
    top, bottom = top_and_bottom(implied)
    assert bottom - top == pytest.approx((104.236112 - 93.7875) / 400 * PLOT, abs=0.2)
    assert "93.78–104.24" in texts(root)


def test_open_ended_range_runs_to_the_edge_of_the_plot() -> None:
    root = chart(Bar(2023, "implied", None, None, D("40"), "< 40"), reported(2024, "-150"))
    (implied,) = bars_of(root, "implied")
    (negative,) = bars_of(root, "reported")
    assert top_and_bottom(implied)[1] > top_and_bottom(negative)[1]  # past the lowest value


def test_negative_values_hang_below_zero_with_their_label_underneath() -> None:
    root = chart(reported(2023, "120"), reported(2024, "-80.5"))
    positive, negative = bars_of(root)
    assert top_and_bottom(negative)[0] == pytest.approx(top_and_bottom(positive)[1])  # zero
    label = next(t for t in root.iter(f"{SVG}text") if t.text == "−80.5")
    assert float(label.get("y", 0)) > top_and_bottom(negative)[1]
    assert "−50" in texts(root)  # a gridline below zero, with a real minus sign


def test_missing_years_keep_their_place() -> None:
    root = chart(reported(2020, "1"), reported(2024, "2"))
    assert [t for t in texts(root) if t.isdigit() and len(t) == 4] == [
        "2020",
        "2021",
        "2022",
        "2023",
        "2024",
    ]
    assert len(bars_of(root)) == 2


def test_many_years_thin_their_labels_and_keep_values_in_tooltips() -> None:
    root = chart(*(reported(1990 + i, str(i)) for i in range(40)))
    assert len(bars_of(root)) == 40
    years = [t for t in texts(root) if t.isdigit() and len(t) == 4]
    assert 5 < len(years) < 20
    assert "39" not in texts(root)
    assert all(r.find(f"{SVG}title") is not None for r in bars_of(root))


def test_empty_series_says_so() -> None:
    root = chart()
    assert bars_of(root) == []
    assert NO_FIGURES in texts(root)


@pytest.mark.parametrize(
    ("subtitle", "unit", "caption"),
    [
        ("Kazakhstan – Bulgaria", "USD millions", "Kazakhstan – Bulgaria · USD millions"),
        ("Kazakhstan – Bulgaria", "", "Kazakhstan – Bulgaria"),  # a series with no figures
        ("", "USD millions", "USD millions"),
    ],
)
def test_the_caption_joins_only_what_there_is(subtitle: str, unit: str, caption: str) -> None:
    root = parse(bar_chart([], title="Exports", unit=unit, subtitle=subtitle))
    assert texts(root)[1] == caption


def test_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & co'
    svg = bar_chart(
        [Bar(2024, "reported", D("1"), label=hostile)],
        title=hostile,
        subtitle=hostile,
        unit=hostile,
        chart_id='"><script>',
    )
    assert "<script>" not in svg
    root = parse(svg)
    assert title_of(root) == f"{hostile}: {hostile}"
    assert hostile in texts(root)
    assert [p.get("id") for p in root.iter(f"{SVG}pattern")] == ["script-hatch"]


def test_title_is_written_only_with_a_heading() -> None:
    root = chart(reported(2024, "1"), heading=False, subtitle="Kazakhstan – Bulgaria")
    assert "Trade turnover" not in texts(root)
    assert title_of(root) == "Trade turnover: Kazakhstan – Bulgaria"


@pytest.mark.parametrize(
    ("value", "text"),
    [("375.2", "375.2"), ("232.0", "232.0"), ("1234.5", "1,234.5"), ("-80", "−80"), ("0", "0")],
)
def test_format_number(value: str, text: str) -> None:
    assert format_number(D(value)) == text


@pytest.mark.parametrize(
    ("low", "high", "closed", "places", "text"),
    [
        ("93.7875", "104.236112", (True, True), 2, "93.78–104.24"),  # rounded outward
        ("93.78", "104.24", (True, True), 2, "93.78–104.24"),
        # A bound the range stops short of: still short of it once shown.
        ("0", "27.604546", (False, False), 2, "> 0, < 27.61"),
        ("0", "27.6", (False, True), 2, "> 0, ≤ 27.6"),
        ("1", "2", (True, False), 1, "≥ 1, < 2"),
        (None, "5", (True, True), 1, "≤ 5"),
        (None, "5", (True, False), 1, "< 5"),
        ("3.05", None, (False, True), 1, "> 3"),
        ("3", None, (True, True), 1, "≥ 3"),
        (None, None, (True, True), 1, "any value"),
    ],
)
def test_format_range(
    low: str | None, high: str | None, closed: tuple[bool, bool], places: int, text: str
) -> None:
    implied = Interval(D(low) if low else None, D(high) if high else None, *closed)
    assert format_range(implied, places) == text


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("0", "375.2", ["0", "100", "200", "300", "400"]),
        ("0", "7.8", ["0", "2", "4", "6", "8"]),
        ("-80", "232", ["-100", "0", "100", "200", "300"]),
        ("0", "0", ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
    ],
)
def test_ticks_are_round_and_cover_the_values(low: str, high: str, expected: list[str]) -> None:
    assert [D(t) for t in expected] == ticks(D(low), D(high))
