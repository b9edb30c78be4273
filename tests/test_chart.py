"""The benchmark chart: a well-formed SVG whose points follow the figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from eval.chart import Panel, panels

SVG = "{http://www.w3.org/2000/svg}"


def test_each_series_is_one_line_through_its_points_and_higher_values_sit_higher() -> None:
    xs = [3_340.0, 33_400.0, 334_000.0]
    svg = ET.fromstring(panels([
        Panel("latency (ms)", xs, {"p50": [9.0, 14.0, 40.0], "p95": [10.0, 16.0, 60.0]}, goal=150),
        Panel("memory (GB)", xs, {"RSS": [0.4, 0.9, 5.7]}),
    ]))
    assert svg.get("width") == "840"
    lines = svg.findall(f".//{SVG}polyline")
    assert len(lines) == 3
    points = [[tuple(map(float, p.split(","))) for p in str(line.get("points")).split()] for line in lines]
    p50, p95, _ = points
    assert [x for x, _ in p50] == sorted(x for x, _ in p50)  # x grows with the chunk count
    assert all(y95 < y50 for (_, y50), (_, y95) in zip(p50, p95, strict=True))  # SVG y grows downwards
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "goal 150" in texts and "334k" in texts and "latency (ms)" in texts
