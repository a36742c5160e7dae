import pytest

from fairgate.core.preprocess import encode_labels, fit_preprocessor, split


@pytest.fixture(scope="module")
def data(raw, schema, params):
    """The shared small frame, split, with its fitted preprocessor and encoded train/val arrays."""
    splits = split(raw, schema, params.preprocess)
    prep = fit_preprocessor(splits.train, schema)
    arrays = [prep.transform(splits.train), encode_labels(splits.train, schema),
              prep.transform(splits.val), encode_labels(splits.val, schema)]
    return prep, splits, arrays
