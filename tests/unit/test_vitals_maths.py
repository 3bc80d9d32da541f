"""The web-vitals rules: buckets, the nearest-rank 75th percentile, ratings, and what a
beacon may say."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qkart.analytics.vitals import METRICS, BadBeaconError, parse_beacon, percentile

LCP, INP, CLS = METRICS["LCP"], METRICS["INP"], METRICS["CLS"]


@pytest.mark.parametrize(
    ("metric", "raw", "upper"),
    [
        (LCP, "0", 0),
        (LCP, "1", 100),
        (LCP, "2500", 2500),  # a threshold is an edge: 2.5 s is still good
        (LCP, "2500.01", 2600),
        (LCP, "10001", 11000),
        (LCP, "45000", 60000),
        (INP, "200", 200),
        (INP, "201", 210),
        (INP, "1040", 1100),
        (CLS, "0", 0),
        (CLS, "0.1", 100),  # exact: a binary float would put 0.1 * 1000 past the edge
        (CLS, "0.1001", 110),
        (CLS, "0.29", 290),
        (CLS, "1.2", 1500),
    ],
)
def test_a_value_lands_in_the_bucket_of_its_upper_edge(metric, raw, upper):
    assert metric.bucket(Decimal(raw)) == upper


def test_the_thresholds_are_bucket_edges_so_ratings_are_exact():
    for metric in METRICS.values():
        assert metric.good in metric.edges and metric.poor in metric.edges
        assert list(metric.edges) == sorted(set(metric.edges))
    assert [LCP.rating(v) for v in (2500, 2600, 4000, 4100)] == [
        "good",
        "needs improvement",
        "needs improvement",
        "poor",
    ]
    assert [INP.rating(v) for v in (200, 500, 510)] == ["good", "needs improvement", "poor"]
    assert [CLS.rating(v) for v in (100, 250, 260)] == ["good", "needs improvement", "poor"]


def test_figures_are_shown_in_their_own_units():
    assert (LCP.show(2500), INP.show(200), CLS.show(100)) == ("2.50 s", "200 ms", "0.100")


@pytest.mark.parametrize(
    ("histogram", "p75"),
    [
        ([(100, 1)], 100),  # one value is every percentile
        ([(100, 3), (200, 1)], 100),  # rank ceil(4 * 0.75) = 3: the third value
        ([(100, 2), (200, 2)], 200),  # rank 3 is in the second bucket
        ([(300, 1), (100, 1), (200, 1), (400, 1)], 300),  # order of rows does not matter
        ([(100, 74), (200, 26)], 200),  # rank 75 of 100
        ([(100, 75), (200, 25)], 100),
        ([(100, 7), (200, 0), (900, 3)], 900),  # rank ceil(7.5) = 8
        ([(0, 5), (2500, 0)], 0),  # empty buckets are skipped
    ],
)
def test_the_nearest_rank_75th_percentile(histogram, p75):
    assert percentile(histogram) == p75


def test_other_shares_and_an_empty_histogram():
    assert percentile([(10, 1), (20, 1), (30, 1), (40, 1)], (1, 2)) == 20
    assert percentile([(10, 1), (20, 1), (30, 1), (40, 1)], (99, 100)) == 40
    with pytest.raises(ValueError):
        percentile([(10, 0)])


def fields(**values):
    return {name: [value] for name, value in values.items()}


def test_a_good_beacon_is_read_exactly():
    beacon = parse_beacon(fields(page="product", device="mobile", LCP="1834", CLS="0.0500"))
    assert (beacon.page, beacon.device) == ("product", "mobile")
    assert beacon.values == {"LCP": Decimal("1834"), "CLS": Decimal("0.0500")}


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (fields(page="product", device="mobile"), "Send at least one of LCP, INP and CLS."),
        (fields(page="admin", device="mobile", LCP="1"), "Unknown page type."),
        (fields(device="mobile", LCP="1"), "Unknown page type."),
        (fields(page="home", device="fridge", LCP="1"), "Unknown device class."),
        (fields(page="home", device="mobile", FID="1"), "Unknown field 'FID'."),
        (fields(page="home", device="mobile", LCP="-1"), "LCP must be a plain number."),
        (fields(page="home", device="mobile", LCP="1e3"), "LCP must be a plain number."),
        (fields(page="home", device="mobile", INP="NaN"), "INP must be a plain number."),
        (fields(page="home", device="mobile", INP=" 12"), "INP must be a plain number."),
        (fields(page="home", device="mobile", INP="١٢"), "INP must be a plain number."),
        (fields(page="home", device="mobile", CLS=""), "CLS must be a plain number."),
        (fields(page="home", device="mobile", LCP="120001"), "LCP is out of range."),
        (fields(page="home", device="mobile", INP="60001"), "INP is out of range."),
        (fields(page="home", device="mobile", CLS="10.001"), "CLS is out of range."),
        ({"page": ["home"], "device": ["mobile"], "LCP": ["1", "2"]}, "Send each field once."),
    ],
)
def test_a_bad_beacon_says_what_is_wrong(sent, message):
    with pytest.raises(BadBeaconError) as refused:
        parse_beacon(sent)
    assert str(refused.value) == message
