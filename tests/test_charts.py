"""Charts people can read: tick labels that do not run into each other, numbers written short."""

from __future__ import annotations

import itertools

import pytest

from interdict.monitoring import charts


def tick_boxes(ax, axis):
    low, high = sorted(axis.get_view_interval())
    return sorted((t.label1.get_window_extent() for t in axis.get_major_ticks()
                   if low <= t.get_loc() <= high and t.label1.get_visible() and t.label1.get_text()),
                  key=lambda box: box.x0)


@pytest.mark.parametrize(("low", "high"), [(30, 45), (48, 230), (25, 250), (12, 2e3), (1, 1e7), (0.001, 2e4), (5e5, 4e9)])
def test_log_axis_labels_do_not_overlap_and_say_the_number(low, high):
    plt = charts._pyplot()
    fig, ax = plt.subplots(figsize=(3.1, 1.9))  # the brief's histogram size, the narrowest chart
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    charts.log_axis(ax.xaxis, low, high)
    fig.canvas.draw()
    boxes = tick_boxes(ax, ax.xaxis)
    texts = [t.label1.get_text() for t in ax.xaxis.get_major_ticks() if low <= t.get_loc() <= high]
    plt.close(fig)
    assert len(boxes) >= 2, texts  # at least two numbers to read a scale by
    assert all(a.x1 < b.x0 for a, b in itertools.pairwise(boxes)), texts
    assert not any("times" in t or "^" in t for t in texts), texts  # 30, not 3x10^1


def test_matplotlib_alone_would_overlap_on_a_narrow_range():
    """Why log_axis exists: the check above fails on matplotlib's own labels."""
    plt = charts._pyplot()
    fig, ax = plt.subplots(figsize=(3.1, 1.9))
    ax.set_xscale("log")
    ax.set_xlim(25, 250)
    fig.canvas.draw()
    minor = sorted((t.label1.get_window_extent() for t in ax.xaxis.get_minor_ticks()
                    if 25 <= t.get_loc() <= 250 and t.label1.get_text()), key=lambda box: box.x0)
    plt.close(fig)
    assert any(a.x1 >= b.x0 for a, b in itertools.pairwise(minor))


@pytest.mark.parametrize(("value", "text"), [(30, "30"), (2500, "2.5k"), (200_000, "200k"), (1.5e6, "1.5M"),
                                             (3e9, "3B"), (0.001, "0.001")])
def test_compact_numbers(value, text):
    assert charts.compact(value) == text


def test_the_route_map_draws_only_links_inside_its_frame():
    links = [("CHN", "AUS", 5), ("GBR", "AUS", 9), ("PRK", "JPN", 1)]
    assert charts.links_inside(links, (95.0, 180.0, -48.0, 52.0)) == [("CHN", "AUS", 5), ("PRK", "JPN", 1)]
    png = charts.route_map({"AUS": 5e4, "JPN": 2e3}, links, title="test", bbox=(95.0, 180.0, -48.0, 52.0),
                           highlight="PRK", not_reported=["PRK"])
    assert png.startswith(b"\x89PNG")
