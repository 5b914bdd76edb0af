"""Quantity parsing: Kubernetes-style byte units, plain bytes and percentages."""

from __future__ import annotations

import pytest

from controlpanel.events.quantities import MAX_BYTES, QuantityError, parse_bytes, parse_percent, percent_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2048Mi", 2048 * 2**20),
        ("2Gi", 2**31),
        ("2147483648 bytes", 2**31),
        ("2147483648", 2**31),
        ("1 byte", 1),
        ("512 Mi", 512 * 2**20),
        ("1.5Gi", 3 * 2**29),
        ("4GiB", 4 * 2**30),
        ("64MB", 64_000_000),
        ("1k", 1000),
        ("1G", 10**9),
        ("0.5Ki", 512),
        ("0.1", 1),  # fractions round up to whole bytes
        (" 7Ti ", 7 * 2**40),
    ],
)
def test_it_parses_byte_quantities(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Mi",
        "-1Mi",
        "2048Xi",
        "128m",
        "12 parsecs",
        "0x10",
        "1e9",
        "nan",
        "inf",
        "1,000",
        "9" * 30,
        "8Ei" * 1,
    ],
)
def test_it_rejects_bad_quantities(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_bytes(text)


def test_it_accepts_the_largest_int64_and_rejects_one_more() -> None:
    assert parse_bytes(str(MAX_BYTES)) == MAX_BYTES
    with pytest.raises(QuantityError, match="too large"):
        parse_bytes(str(MAX_BYTES + 1))


@pytest.mark.parametrize(
    ("text", "expected"), [("85%", 85.0), ("85.5 %", 85.5), ("0%", 0.0), ("104%", 104.0)]
)
def test_it_parses_percentages(text: str, expected: float) -> None:
    assert parse_percent(text) == expected


@pytest.mark.parametrize("text", ["85", "%", "-5%", "eighty%", "100001%"])
def test_it_rejects_bad_percentages(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_percent(text)


def test_it_computes_percent_of_the_real_limit_only() -> None:
    assert percent_of(1740 * 2**20, 2048 * 2**20) == pytest.approx(84.96, abs=0.01)
    assert percent_of(10, 0) is None
