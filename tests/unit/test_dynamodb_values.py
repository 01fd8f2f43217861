"""The store's attribute values are exactly what boto3's TypeSerializer would write."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.dynamodb.codec import serialize


class Colour(StrEnum):
    RED = "red"


SCALARS = st.one_of(
    st.text(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.none(),
    st.binary(max_size=8),
    st.just(Colour.RED),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
        st.frozensets(st.text(max_size=4), min_size=1, max_size=3),
    ),
    max_leaves=12,
)


def boto3_serialize(values: dict[str, Any]) -> dict[str, Any]:
    ser = TypeSerializer()
    return {k: ser.serialize(v) for k, v in values.items() if v is not None}


def outcome(fn: Any, values: dict[str, Any]) -> Any:
    try:
        return fn(values)
    except (TypeError, ArithmeticError) as exc:
        return type(exc)


@given(st.dictionaries(st.text(max_size=8), VALUES, max_size=6))
def test_any_value_serializes_as_typeserializer_does(values: dict[str, Any]) -> None:
    assert outcome(serialize, values) == outcome(boto3_serialize, values)


@pytest.mark.parametrize(
    "value",
    [
        "",
        0,
        -1,
        10**38 - 1,
        10**38,
        -(10**38),
        True,
        Decimal("1.50"),
        Binary(b"x"),
        {"nested": [1, "a", {"deep": None}]},
        (1, 2),
        {1, 2},
    ],
)
def test_edge_values_serialize_as_typeserializer_does(value: Any) -> None:
    values = {"v": value}
    assert outcome(serialize, values) == outcome(boto3_serialize, values)


@pytest.mark.parametrize("value", [1.5, float("nan"), {"m": [0.1]}])
def test_floats_are_refused_as_typeserializer_refuses_them(value: Any) -> None:
    with pytest.raises(TypeError):
        serialize({"v": value})
