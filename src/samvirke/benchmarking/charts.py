"""Vega-Lite specifications of the benchmark charts, as plain dicts.

Pure functions: the caller passes the published numbers and every text already translated.
Each specification is self-contained (data inline, no URL, no external font or schema), so the
browser renders it with vega-embed and a PDF report renders the same dict to SVG with
vl-convert. Hidden cells are never drawn; the table beside each chart shows the marker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypedDict

from django.utils.safestring import SafeString, mark_safe

#: Series colours, each at least 4.5:1 against white (marks and their legend stay readable).
PALETTE = ("#0059b3", "#a4262c", "#2b6e2f", "#6a2c91", "#8a4b00", "#00646b", "#4d4d4d")
#: The organisation's own series: near black, drawn as a larger filled diamond.
OWN_COLOUR = "#1a1a1a"
TEXT_COLOUR = "#1a1a1a"
WIDTH = 560
SCALE = (0, 100)

Spec = dict[str, Any]


class Point(TypedDict):
    """One drawn value: an item (a row of the chart), a series (a colour) and the value."""

    item: str
    series: str
    value: float


def _config() -> dict[str, Any]:
    # `aria: false`: the page wraps the chart in role="img" with a label and shows the numbers
    # in a table, so the marks need no accessible names of their own.
    return {
        "aria": False,
        "mark": {"aria": False},
        "view": {"stroke": None},
        "axis": {
            "labelColor": TEXT_COLOUR,
            "titleColor": TEXT_COLOUR,
            "labelFontSize": 12,
            "titleFontSize": 12,
            "labelLimit": 280,
            "gridColor": "#d9d9d9",
        },
        "legend": {
            "labelColor": TEXT_COLOUR,
            "titleColor": TEXT_COLOUR,
            "labelFontSize": 12,
            "titleFontSize": 12,
            "labelLimit": 280,
            "orient": "bottom",
            "direction": "vertical",
        },
        "title": {"color": TEXT_COLOUR, "anchor": "start", "fontSize": 14},
    }


def _series_scale(series: Sequence[str], own: str | None) -> dict[str, Any]:
    colours = []
    others = iter(PALETTE * (len(series) // len(PALETTE) + 1))
    for name in series:
        colours.append(OWN_COLOUR if name == own else next(others))
    return {"domain": list(series), "range": colours}


def _shape_scale(series: Sequence[str], own: str | None) -> dict[str, Any]:
    # Shapes as well as colours, so the series are told apart without colour vision.
    shapes = ["circle", "square", "triangle-up", "triangle-down", "cross", "triangle-right"]
    others = iter(shapes * (len(series) // len(shapes) + 1))
    return {
        "domain": list(series),
        "range": ["diamond" if name == own else next(others) for name in series],
    }


def _score_axis(title: str) -> dict[str, Any]:
    """The 0 to 100 score axis every chart shares."""
    return {
        "field": "value",
        "type": "quantitative",
        "scale": {"domain": list(SCALE)},
        "title": title,
    }


def _series_channels(series: Sequence[str], own: str | None, title: str) -> dict[str, Any]:
    """Colour and shape per series, the organisation's own one set apart."""
    return {
        "color": {
            "field": "series",
            "type": "nominal",
            "scale": _series_scale(series, own),
            "title": title,
        },
        "shape": {
            "field": "series",
            "type": "nominal",
            "scale": _shape_scale(series, own),
            "title": title,
        },
    }


def _base(title: str, description: str, data: list[Any]) -> Spec:
    return {
        "title": title,
        "description": description,
        "width": WIDTH,
        "background": "#ffffff",
        "data": {"values": data},
        "config": _config(),
    }


def comparison_chart(
    points: Sequence[Point],
    *,
    title: str,
    description: str,
    items: Sequence[str],
    series: Sequence[str],
    own: str | None,
    item_title: str,
    value_title: str,
    series_title: str,
) -> Spec:
    """Dots on a 0 to 100 axis: per item (total, areas), the own score and each group's mean."""
    spec = _base(title, description, list(points))
    spec["height"] = {"step": 28}
    spec["mark"] = {"type": "point", "filled": True, "size": 110, "opacity": 1}
    spec["encoding"] = {
        "y": {"field": "item", "type": "nominal", "sort": list(items), "title": item_title},
        "x": _score_axis(value_title),
        **_series_channels(series, own, series_title),
    }
    return spec


def trend_chart(
    points: Sequence[Point],
    *,
    title: str,
    description: str,
    series: Sequence[str],
    own: str | None,
    year_title: str,
    value_title: str,
    series_title: str,
) -> Spec:
    """Lines with points over the years (`item` is the year as text), one per series."""
    spec = _base(title, description, list(points))
    spec["height"] = 240
    spec["mark"] = {"type": "line", "point": {"filled": True, "size": 80}, "strokeWidth": 2}
    spec["encoding"] = {
        "x": {"field": "item", "type": "ordinal", "title": year_title, "axis": {"labelAngle": 0}},
        "y": _score_axis(value_title),
        **_series_channels(series, own, series_title),
        "strokeDash": {
            "field": "series",
            "type": "nominal",
            "scale": {
                "domain": list(series),
                "range": [[1, 0] if name == own else [6, 3] for name in series],
            },
            "title": series_title,
        },
    }
    return spec


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    description: str,
    items: Sequence[str],
    item_title: str,
    value_title: str,
) -> Spec:
    """Horizontal bars on a 0 to 100 axis in the given item order (e.g. weakest area first)."""
    spec = _base(title, description, list(points))
    spec["height"] = {"step": 24}
    spec["mark"] = {"type": "bar", "color": PALETTE[0]}
    spec["encoding"] = {
        "y": {"field": "item", "type": "nominal", "sort": list(items), "title": item_title},
        "x": _score_axis(value_title),
    }
    return spec


def spec_json(spec: Spec) -> SafeString:
    """The specification as JSON for a `<script type="application/json">` element.

    `<`, `>` and `&` are escaped as in Django's `json_script`, so no label (group names are
    entered by coordinators) can close the element.
    """
    text = (
        json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        .replace("&", "\\u0026")
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
    )
    return mark_safe(text)  # noqa: S308  # arch: safe-ok (escaped above like json_script)
