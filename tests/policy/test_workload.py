"""Seed 003 workload memory: quantities, usage against the real limit, limit/request advice."""

from __future__ import annotations

import pytest

from controlpanel.policy.workload import (
    GI,
    MI,
    format_quantity,
    nice_round_up,
    parse_quantity,
    parse_resources,
    percentile,
    pressure_level,
    recommend,
    usage_percent,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2048Mi", 2048 * MI),
        ("4Gi", 4 * GI),
        ("2147483648", 2147483648),
        (2147483648, 2147483648),
        ("1.5Gi", 1536 * MI),
        ("512Ki", 512 * 1024),
        ("1G", 10**9),
        ("100M", 10**8),
        ("1k", 1000),
        (" 64Mi ", 64 * MI),
    ],
)
def test_it_parses_quantities(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "Mi", "12XB", "-5Mi", "1,5Gi", None, True, -1, "2048 MiB"])
def test_it_rejects_malformed_quantities(text):
    with pytest.raises(ValueError, match="invalid memory quantity"):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("num", "text"), [(2048 * MI, "2048Mi"), (3 * GI, "3072Mi"), (1536, "1536"), (2048, "2Ki"), (0, "0")]
)
def test_it_formats_quantities_in_mi(num, text):
    assert format_quantity(num) == text


@pytest.mark.parametrize(
    ("usage", "limit", "rounded", "level"),
    [
        ("1843245056", "3221225472", 57, "ok"),  # seed 003 `clw metrics`: OK (57%)
        ("1811939328", "3221225472", 56, "ok"),  # seed 003 working set: OK (56%)
        ("1740Mi", "2048Mi", 85, "warning"),  # seed 003 clw-memory-pressure: 85% of limit
        ("2048Mi", "2048Mi", 100, "critical"),  # seed 003 clw-memory-oom
        ("2148Mi", "2048Mi", 105, "critical"),  # seed 003 kubectl: usage exceeds limit
        (2147483648, 2147483648, 100, "critical"),  # seed 003 runtime log in bytes
    ],
)
def test_usage_percent_against_the_real_limit(usage, limit, rounded, level):
    percent = usage_percent(usage, limit)
    assert round(percent) == rounded
    assert pressure_level(percent) == level


def test_usage_without_a_limit_has_no_percentage():
    assert usage_percent("1Gi", None) is None
    assert usage_percent("1Gi", 0) is None
    assert pressure_level(None) == "unknown"


def test_seed_003_advice_exact_and_rounded():
    advice = recommend(["1843Mi"])
    assert advice.p95 == 1843 * MI
    assert advice.limit_exact == pytest.approx(2764.5 * MI)
    assert advice.request_exact == pytest.approx(2027.3 * MI)
    assert advice.as_json() == {
        "p95": "1843Mi",
        "limitExactMi": 2764.5,
        "requestExactMi": 2027.3,
        "limit": "3072Mi",
        "request": "2048Mi",
    }


def test_p95_is_nearest_rank_over_samples():
    samples = [f"{v}Mi" for v in range(1, 101)]  # 1..100 Mi
    assert recommend(samples).p95 == 95 * MI
    assert percentile([5, 1, 3], 95) == 5
    with pytest.raises(ValueError):
        percentile([], 95)


@pytest.mark.parametrize(
    ("value_mi", "nice_mi"),
    [
        (1, 64),
        (100, 128),
        (511, 512),
        (512, 512),
        (513, 768),
        (2027.3, 2048),
        (2048, 2048),
        (2049, 3072),
        (2764.5, 3072),
        (5000, 5120),
    ],
)
def test_nice_rounding_table(value_mi, nice_mi):
    assert nice_round_up(value_mi * MI) == nice_mi * MI


@pytest.mark.parametrize(
    ("resources", "limit", "req", "problem"),
    [
        ({"limits": {"memory": "2048Mi"}, "requests": {"memory": "1024Mi"}}, 2048 * MI, 1024 * MI, None),
        ({"limits": {"memory": "2048Mi"}, "requests": {"memory": "2048Mi"}}, 2048 * MI, 2048 * MI, "equals"),
        ({"limits": {"memory": "1Gi"}, "requests": {"memory": "2Gi"}}, GI, 2 * GI, "above the limit"),
        ({"requests": {"memory": "1Gi"}}, None, GI, "no memory limit"),
    ],
)
def test_resources_and_their_problems(resources, limit, req, problem):
    parsed = parse_resources(resources)
    assert (parsed.limit, parsed.request) == (limit, req)
    if problem is None:
        assert parsed.problems == ()
    else:
        assert any(problem in p for p in parsed.problems)
