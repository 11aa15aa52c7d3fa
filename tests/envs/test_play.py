import io

import pytest

from azr_env.commands.play_cmd import play
from azr_env.errors import ConfigError


def test_a_person_plays_a_solver_episode():
    out = io.StringIO()
    total = play("AZR-Deduction-v0", seed=0, stdin=io.StringIO("```output\n'nope'\n```\n.\n"), stdout=out)
    text = out.getvalue()
    assert "role: solve" in text and "Work out what" in text and "--> reward -0.5 (wrong)" in text
    assert total == -0.5


def test_raw_mode_and_end_of_input():
    out = io.StringIO()
    assert play("AZR-Propose-Deduction-v0", raw=True, stdin=io.StringIO("not formatted\n.\n"), stdout=out) == -1.0
    assert "bad_format" in out.getvalue()
    out = io.StringIO()
    assert play("AZR-Deduction-v0", episodes=3, stdin=io.StringIO(""), stdout=out) == 0.0
    assert "(end of input)" in out.getvalue()


def test_unknown_env_lists_the_known_ones():
    with pytest.raises(ConfigError, match="AZR-Deduction-v0"):
        play("AZR-Nope-v0", stdin=io.StringIO(""), stdout=io.StringIO())
