"""Text columns on their way into the measurement table, whatever pandas dtype they arrive in."""

from __future__ import annotations

import pandas as pd
import pytest

from tracker.services.measurements import _text_column


@pytest.mark.parametrize("dtype", ["str", "object", "string", "category"])
def test_empty_and_missing_text_becomes_the_default_in_every_dtype(dtype):
    frame = pd.DataFrame({"area": pd.Series(["WK036301", "", None], dtype=dtype)})
    assert _text_column(frame, "area", "").tolist() == ["WK036301", "", ""]
    assert _text_column(frame, "area", "pilot").tolist() == ["WK036301", "pilot", "pilot"]


def test_a_missing_column_is_all_default():
    assert _text_column(pd.DataFrame({"x": [1, 2]}), "group", "pilot").tolist() == [
        "pilot",
        "pilot",
    ]
