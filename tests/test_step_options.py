"""The step's reference-behaviour switches (issue 12 items 1, 2, 3, 9; azr_env.step.StepConfig): each test shows
the reference's behaviour (the default) and ours where an option changes it."""

from __future__ import annotations

import itertools

import numpy as np

from azr_env import step as step_lib
from azr_env.buffer import BufferSet
from azr_env.rounds import Referee, RoundConfig
from azr_env.step import StepConfig, StepPlan
from azr_env.tasks import Task
from azr_env.tasks.base import TaskConfig

TASK = Task("deduction", "def f(x):\n    return x + 1", ("1",), ("2",))
counter = itertools.count(1000)


def referee_with(executor, **options) -> Referee:
    return Referee(RoundConfig(n_rollouts=8, step=StepConfig(**options)), executor=executor)


def proposal(i: int, *, formatted: bool = True) -> str:
    answer = f"```python\ndef f(a):\n    return a * {i % 5 + 2} + {i}\n```\n```input\n{i}\n```"
    return f"x</think><answer>{answer}</answer>" if formatted else f"x<answer>{answer}</answer>"


def test_learnability_rollouts_are_scored_on_the_answer_alone(executor):
    """Reference (item 1): 8 correct answers, 4 of them without </think>: p = 1.0 (-0.5); ours with the format
    check: p = 0.5 (+0.5)."""
    answers = ["x</think><answer>```output\n2\n```</answer>"] * 4 + ["<answer>```output\n2\n```</answer>"] * 4
    solver = step_lib.Samplers(propose=lambda ps: [], solve=lambda ps, n: [answers[:n] for _ in ps])
    rates = {}
    for check in (False, True):
        with referee_with(executor, rollout_format_check=check) as ref:
            [p], _ = step_lib.learnability(ref, solver, step_lib.TextJudge(ref), [TASK], 8)
            [valid] = ref.validate([("deduction", proposal(1), [])])
            rates[check] = (p, ref.proposer_rewards([valid], [p])[0])
    assert rates == {False: (1.0, -0.5), True: (0.5, 0.5)}
    with referee_with(executor) as ref:  # training answers keep the format check
        [scored] = ref.score([TASK], ["<answer>```output\n2\n```</answer>"])
        assert not scored.format_ok and scored.reward == -1.0
        [empty] = ref.score([TASK], ["no answer tag at all"], purpose="rollout")
        assert not empty.correct


def _samplers():
    def propose(prompts):
        return [proposal(next(counter)) for _ in prompts]

    return step_lib.Samplers(propose=propose, solve=lambda ps, n: [["x</think><answer>0</answer>"] * n for _ in ps])


def test_the_solver_batch_is_the_previous_steps_tasks(executor):
    """Reference (item 2): step t solves the tasks added at step t-1 (its loader is built before the step's
    proposals are validated), topped up from the buffer as it was; ours with "current": step t's own tasks."""
    plan = StepPlan(("deduction",), 3)
    for source in ("previous", "current"):
        with referee_with(executor, solver_batch_source=source) as ref:
            buffers = BufferSet(("deduction",))
            first = step_lib.play_step(ref, buffers, _samplers(), np.random.default_rng(0), step=0, plan=plan)
            second = step_lib.play_step(ref, buffers, _samplers(), np.random.default_rng(1), step=1, plan=plan)
        new = {0: {p.result.task for p in first.proposals}, 1: {p.result.task for p in second.proposals}}
        solved = {0: {s.prompt.task for s in first.solutions}, 1: {s.prompt.task for s in second.solutions}}
        if source == "previous":
            assert solved[0] == set(BufferSet(("deduction",))["deduction"].tasks)  # step 0: the seeds (step -1)
            assert solved[1] == new[0] and not solved[1] & new[1]
        else:
            assert solved[0] == new[0] and solved[1] == new[1]


def test_a_valid_task_in_a_badly_formatted_response_enters_the_buffer(executor):
    """Reference (item 9): the task enters the buffer, the proposer still gets -1; ours with the option off:
    dropped."""
    samplers = step_lib.Samplers(propose=lambda ps: [proposal(7, formatted=False) for _ in ps],
                                 solve=lambda ps, n: [["x"] * n for _ in ps])  # fmt: skip
    sizes = {}
    for admit in (True, False):
        with referee_with(executor, admit_badly_formatted=admit) as ref:
            buffers = BufferSet(("deduction",))
            out = step_lib.play_step(ref, buffers, samplers, np.random.default_rng(0), step=0,
                                     plan=StepPlan(("deduction",), 1))  # fmt: skip
        assert [p.reward for p in out.proposals] == [-1.0] and out.proposals[0].result.reason == "bad_format"
        sizes[admit] = len(buffers["deduction"])
    assert sizes == {True: 2, False: 1}


def test_seeding_fills_one_shared_pool_for_deduction_and_abduction(executor):
    """Reference (item 3): one pool copied into both buffers, induction seeded after it; ours with the option
    off: each buffer on its own."""
    def propose(prompts):
        out = []
        for p in prompts:
            i = next(counter)
            if "PLUGGED HERE" in p.prompt:  # induction: ten inputs and a message
                blocks = "".join(f"```input\n{i + k}\n```\n" for k in range(10))
                out.append(f"x</think><answer>{blocks}```message\nhint\n```</answer>")
            else:
                out.append(proposal(i))
        return out

    for shared in (True, False):
        with referee_with(executor, seed_shared_pool=shared) as ref:
            buffers = BufferSet()
            counts = step_lib.seed_buffers(ref, buffers, propose, np.random.default_rng(0), target=5, batch=2)
        assert counts == {"deduction": 5, "abduction": 5, "induction": 5}
        programs = {t: [(x.program, x.inputs) for x in buffers[t]] for t in ("deduction", "abduction")}
        assert (programs["deduction"] == programs["abduction"]) is shared


def test_seeding_strips_comments_and_stray_statements_from_programs(executor):
    """Reference (item 3): seeding cleans raw programs (remove_comments, remove_after_return) before validating;
    ours with the option off: the program is kept as written."""
    program = "# a helper\nLIMIT = 3\ndef f(a):\n    '''Doc.'''\n    return a * 2  # twice\nprint(f(1))"
    response = f"x</think><answer>```python\n{program}\n```\n```input\n5\n```</answer>"
    kept = {}
    for strip in (True, False):
        with referee_with(executor, seed_strip_programs=strip) as ref:
            buffers = BufferSet(("deduction",))
            step_lib.seed_buffers(ref, buffers, lambda ps: [response] * len(ps), np.random.default_rng(0),
                                  target=2, task_types=("deduction",), batch=1, max_rounds=1)  # fmt: skip
        [task] = [t for t in buffers["deduction"] if t.source != "zero"]
        kept[strip] = task.program
    assert kept[True] == "def f(a):\n    return a * 2"
    assert "# twice" in kept[False] and "LIMIT = 3" in kept[False]
    deep = "x = " + "(" * 5000 + ")" * 5000
    assert step_lib.strip_program(deep) == deep  # unparsable (too deep): left as it is


def test_prompts_over_the_length_limit_are_left_out_of_the_step(executor):
    """Reference (item 10): its datasets drop prompts over max_prompt_length; the trainer passes that test as
    StepPlan.keep_prompt (tokens of the policy's tokenizer)."""
    seen: list[str] = []

    def propose(prompts):
        seen.extend(p.prompt for p in prompts)
        return [proposal(next(counter)) for _ in prompts]

    samplers = step_lib.Samplers(propose=propose, solve=lambda ps, n: [["x"] * n for _ in ps])
    with referee_with(executor) as ref:
        keep = lambda prompt: "predicting the program's output" not in prompt  # deduction proposals "too long"  # noqa: E731
        plan = StepPlan(("deduction", "abduction"), 2, keep_prompt=keep)
        out = step_lib.play_step(ref, BufferSet(("deduction", "abduction")), samplers, np.random.default_rng(0),
                                 step=0, plan=plan)  # fmt: skip
    assert {p.prompt.task_type for p in out.proposals} <= {"abduction"}
    assert all(keep(p) for p in seen) and all(keep(s.prompt.prompt) for s in out.solutions)


def test_the_selfplay_env_reads_its_rollouts_as_the_step_does(executor):
    """AZR-SelfPlay-v0's solver steps are the learnability rollouts: a correct answer without </think> is rewarded
    -1 as a solver answer but counts as solved for p (reference); with the format check it does not."""
    import gymnasium as gym

    good = "x</think><answer>```python\ndef f(a):\n    return a + 1\n```\n```input\n1\n```</answer>"
    rewards = {}
    for check in (False, True):
        with referee_with(executor, rollout_format_check=check) as ref:
            env = gym.make("AZR-SelfPlay-v0", task_types=["deduction"], n_rollouts=2, referee=ref)
            env.reset(seed=0)
            env.step(good)
            _, first, *_ = env.step("x</think><answer>```output\n2\n```</answer>")
            _, second, _, _, info = env.step("<answer>```output\n2\n```</answer>")
            env.close()
        rewards[check] = (first, second, info["solve_rate"], info["proposer_reward"])
    assert rewards == {False: (1.0, -1.0, 1.0, -0.5), True: (1.0, -1.0, 0.5, 0.5)}


def test_an_over_long_rollout_still_fails_the_response_cap(executor):
    with Referee(RoundConfig(task=TaskConfig(max_response_chars=100)), executor=executor) as ref:
        long = "x" * 200 + "<answer>```output\n2\n```</answer>"
        [scored] = ref.score([TASK], [long], purpose="rollout")
        [short] = ref.score([TASK], ["<answer>```output\n2\n```</answer>"], purpose="rollout")
    assert not scored.correct and short.correct
