"""`fairgate/infra/` exists only for models pickled before the core/adapters/app layout: their pyfunc class is
named `fairgate.infra.pyfunc.FairgateModel`, and such a champion must still load after an upgrade."""

import pickle

from fairgate.adapters.infra.pyfunc import FairgateModel


def test_a_model_pickled_under_the_old_path_loads_as_todays_class():
    today = pickle.dumps(FairgateModel(), protocol=0)  # the text protocol names the class in the clear
    assert b"fairgate.adapters.infra.pyfunc" in today
    before_the_move = today.replace(b"fairgate.adapters.infra.pyfunc", b"fairgate.infra.pyfunc")
    assert isinstance(pickle.loads(before_the_move), FairgateModel)  # noqa: S301  (our own bytes)
