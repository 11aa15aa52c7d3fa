import pytest

from azr_env.rounds import Referee, RoundConfig


@pytest.fixture(scope="session")
def referee(executor):
    """A referee on the session's real executor (plus its own second-seed executor for the hash check)."""
    with Referee(RoundConfig(), executor=executor) as ref:
        yield ref
