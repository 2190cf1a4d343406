import pytest

from kooperationssim import KooperationsModel


@pytest.fixture(scope="session")
def short_run():
    """A default model run for 156 weeks (shared by read-only tests)."""
    m = KooperationsModel(rng=11, weeks=156)
    m.run_model()
    return m


def step_with_checks(model, check, weeks=None):
    """Step a model week by week and call ``check(model)`` after every week."""
    n = model.weeks if weeks is None else weeks
    for _ in range(n):
        model.step()
        check(model)
