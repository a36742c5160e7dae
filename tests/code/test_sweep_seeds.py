"""`fairgate sweep --seeds`: the seeds it trains, and the lists it refuses because their spread would mean nothing."""

import pytest

from fairgate.core.sweep import parse_seeds


def test_lists_and_ranges_give_distinct_seeds_in_order():
    assert parse_seeds("3,1,2") == [3, 1, 2]
    assert parse_seeds("1-4") == [1, 2, 3, 4]
    assert parse_seeds(" 7, 9-10 ") == [7, 9, 10]


@pytest.mark.parametrize(("text", "message"), [
    ("1,1", "repeats [1]: the same seed trains the same model"),
    ("1-3,2", "repeats [2]"),
    ("5", "is one seed, which has no spread"),
    ("", "--seeds is empty"),
    ("one,two", "use numbers like 1,2,3"),
])
def test_a_list_whose_spread_would_mean_nothing_is_refused(text, message):
    with pytest.raises(ValueError, match=message.replace("[", "\\[").replace("]", "\\]")):
        parse_seeds(text)
