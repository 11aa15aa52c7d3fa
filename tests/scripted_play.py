"""A scripted model for whole-round tests (tests/envs/test_rounds.py, tests/test_step.py): answers any AZR
prompt by its kind, with no model and no randomness."""

import itertools

counter = itertools.count()


def scripted(prompts: list[str]) -> list[str]:
    """Valid, distinct proposals for proposer prompts; a wrong but well formatted answer for solver prompts."""
    out = []
    for prompt in prompts:
        i = next(counter)
        if "PLUGGED HERE" in prompt:
            blocks = "".join(f"```input\n{i + k}\n```\n" for k in range(10))
            out.append(f"<think>x</think><answer>{blocks}```message\nhint\n```</answer>")
        elif "Design a new Python program" in prompt:
            out.append(f"<think>x</think><answer>```python\ndef f(a):\n    return a * {i % 7 + 2}\n```\n"
                       f"```input\n{i}\n```</answer>")  # fmt: skip
        else:
            blocks = "```output\n'wrong'\n```\n```input\n'wrong'\n```\n```python\ndef f(x):\n    return None\n```"
            out.append(f"<think>x</think><answer>{blocks}</answer>")
    return out
