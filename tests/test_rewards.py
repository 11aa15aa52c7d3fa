import pytest

from azr_env.errors import ConfigError
from azr_env.rewards import (
    RewardConfig,
    complexity_score,
    diversity_score,
    learnability,
    proposer_reward,
    solve_rate,
    solver_reward,
)


@pytest.mark.parametrize(
    "format_ok, correct, mode, reward",
    [
        (True, True, "train", 1.0),
        (True, False, "train", -0.5),
        (False, False, "train", -1.0),
        (False, True, "train", -1.0),  # format failure dominates
        (True, True, "eval", 1.0),
        (True, False, "eval", 0.0),
        (False, False, "eval", 0.0),
    ],
)
def test_solver_reward_branches(format_ok, correct, mode, reward):
    assert solver_reward(format_ok, correct, mode=mode) == reward


def test_solver_reward_rejects_unknown_mode():
    with pytest.raises(ConfigError, match="mode='test'"):
        solver_reward(True, True, mode="test")


@pytest.mark.parametrize("p, r", [(0.0, 0.0), (1.0, 0.0), (0.25, 0.75), (0.5, 0.5), (7 / 8, 1 / 8)])
def test_learnability(p, r):
    assert learnability(p) == pytest.approx(r)


def test_learnability_and_solve_rate_check_their_input():
    with pytest.raises(ConfigError):
        learnability(1.5)
    with pytest.raises(ConfigError, match="zero rollouts"):
        solve_rate([])
    assert solve_rate([True, False, False, True]) == 0.5


@pytest.mark.parametrize(
    "valid, p, reward",
    [
        (False, None, -1.0),
        (False, 0.5, -1.0),
        (True, 0.25, 0.75),
        (True, 0.0, -0.5),
        (True, 1.0, -0.5),
        (True, None, 1.0),
    ],
)
def test_proposer_reward_branches(valid, p, reward):
    assert proposer_reward(valid, p) == pytest.approx(reward)


def test_paper_zero_learnability_option():
    paper = RewardConfig(zero_learnability_reward=0.0)
    assert proposer_reward(True, 1.0, config=paper) == 0.0


def test_optional_terms_are_off_by_default_and_weighted_when_on():
    assert proposer_reward(True, 0.5, diversity=1.0, complexity=1.0) == 0.5
    cfg = RewardConfig(diversity_weight=0.1, complexity_weight=0.2)
    assert proposer_reward(True, 0.5, diversity=1.0, complexity=0.5, config=cfg) == pytest.approx(0.7)
    with pytest.raises(ConfigError, match="diversity_weight=-1"):
        RewardConfig(diversity_weight=-1)


def test_diversity_and_complexity_scores():
    a = "def f(a):\n    return a"
    b = "def f(x):\n    return sorted(set(x), key=lambda y: -y)[:3]"
    assert diversity_score(a, [a]) == 0.0
    assert diversity_score(a, []) == 1.0
    assert 0 < diversity_score(b, [a]) < 1
    assert complexity_score(b) > complexity_score(a) > 0
    assert complexity_score("def (") == 0.0
