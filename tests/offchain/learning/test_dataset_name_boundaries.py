"""A dataset is named on the command line: :func:`load_dataset` refuses any other name with the
toolkit's own error (issue 12)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from offchain.learning.datasets import DATASETS, load_dataset
from tests.offchain import fuzzing as fz


@fz.CHEAP
@given(name=st.one_of(fz.junk, st.text(max_size=10)).filter(lambda v: not isinstance(v, str) or v not in DATASETS))
def test_load_dataset_refuses_an_unknown_name(name):
    assert fz.project_errors_only(load_dataset, name) is fz.REFUSED
