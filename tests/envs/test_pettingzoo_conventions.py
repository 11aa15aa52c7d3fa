"""PettingZoo conventions (issue 13, item 4): module-level `env()` / `raw_env()` / `parallel_env()` factories and
`render_modes` lists that match what `render` does."""

import warnings

import pytest

pytest.importorskip("pettingzoo")
from pettingzoo.test import api_test, parallel_api_test, render_test
from pettingzoo.utils.wrappers import OrderEnforcingWrapper

from azr_env.envs import multiagent
from azr_env.errors import ConfigError

SMALL = {"task_types": ["deduction"], "n_rollouts": 1, "max_rounds": 3}


def test_module_factories_build_envs_that_pass_the_api_tests():
    aec = multiagent.env(**SMALL)
    assert isinstance(aec, OrderEnforcingWrapper) and isinstance(aec.unwrapped, multiagent.AZRSelfPlayAEC)
    assert isinstance(multiagent.raw_env(**SMALL), multiagent.AZRSelfPlayAEC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(aec, num_cycles=8)
        parallel_api_test(multiagent.parallel_env(**SMALL), num_cycles=8)
    with pytest.raises(Exception, match="reset"):  # the wrapper PettingZoo users expect: use before reset fails
        multiagent.env(**SMALL).step("x")


def test_render_modes_match_render(capsys):
    render_test(lambda render_mode=None: multiagent.env(render_mode=render_mode, **SMALL))
    assert "to act" in capsys.readouterr().out  # "human" printed
    for factory in [multiagent.raw_env, multiagent.parallel_env]:
        assert factory().metadata["render_modes"] == ["human", "ansi"]
        env = factory(render_mode="ansi", **SMALL)
        env.reset(seed=0)
        text = env.render()
        assert isinstance(text, str) and "Design a new Python program" in text
        assert factory(**SMALL).render() is None
        with pytest.raises(ConfigError, match="render_mode='rgb_array'"):
            factory(render_mode="rgb_array")
