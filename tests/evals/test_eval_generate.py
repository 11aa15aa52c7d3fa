"""The generate stage's per-sample cache (azr_evals.generate): an interrupted run resumes without regenerating."""

from __future__ import annotations

import pytest
from azr_evals.generate import GenerationConfig, generate
from azr_evals.types import Problem

from azr_env.errors import ConfigError


class CountingAgent:
    def __init__(self, fail_after: int | None = None):
        self.calls, self.prompts, self.fail_after = 0, [], fail_after

    def generate(self, prompts, *, n=1, temperature=1.0, top_p=1.0, max_new_tokens=512, stop=None, seed=None):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt
        self.calls += 1
        self.prompts += prompts
        return [[f"answer {i} to {p}" for i in range(n)] for p in prompts]


def test_resume_after_interruption(tmp_path):
    problems = [Problem("aime24", f"aime24/{i}", f"q{i}") for i in range(5)]
    prompts = [f"prompt {i}" for i in range(5)]
    cache = tmp_path / "gen.jsonl"
    config = GenerationConfig(batch_size=2)
    with pytest.raises(KeyboardInterrupt):
        generate(CountingAgent(fail_after=1), problems, prompts, model_id="m", max_new_tokens=8, config=config,
                 cache_path=cache, progress=False)
    with open(cache, "a") as fh:
        fh.write('{"key": "half a line')  # a write cut short by the interruption
    agent = CountingAgent()
    samples = generate(agent, problems, prompts, model_id="m", max_new_tokens=8, config=config, cache_path=cache,
                       progress=False)
    assert agent.prompts == prompts[2:]  # the first batch came from the cache
    assert [s.response for s in samples] == [f"answer 0 to prompt {i}" for i in range(5)]
    again = CountingAgent()
    generate(again, problems, prompts, model_id="m", max_new_tokens=8, config=config, cache_path=cache,
             progress=False)
    assert again.calls == 0
    other = CountingAgent()  # a changed setting is a different sample
    generate(other, problems[:1], prompts[:1], model_id="m", max_new_tokens=16, config=config, cache_path=cache,
             progress=False)
    assert other.calls == 1


def test_sampling_settings_are_checked():
    with pytest.raises(ConfigError, match="temperature"):
        GenerationConfig(n=4, temperature=0.0)
    assert GenerationConfig(n=4, temperature=0.8).n == 4
