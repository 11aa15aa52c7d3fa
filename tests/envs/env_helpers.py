"""Tasks and responses shared by the env tests."""

from azr_env.tasks import Task

DED = Task("deduction", "def f(x):\n    return x * 2", ("'ab'",), ("'abab'",))
DED_UNICODE = Task("deduction", "def f(x):\n    return x + '中文🙂'", ("'é'",), ("'é中文🙂'",))
ABD = Task("abduction", "def f(x):\n    return x + 1", ("2",), ("3",))
IND = Task("induction", "def f(x):\n    return x * 3", tuple(map(str, range(10))), tuple(str(3 * i) for i in range(10)),
           message="triples")  # fmt: skip
ERR = Task("error_type", "def f(x):\n    return [1][x]", ("4",), ("IndexError",))
TASKS = {"deduction": [DED, DED_UNICODE], "abduction": [ABD], "induction": [IND], "error_type": [ERR]}


def wrap(answer: str) -> str:
    return f"<think>reasoning</think>\n<answer>{answer}</answer>"


def block(lang: str, text: str) -> str:
    return wrap(f"```{lang}\n{text}\n```")
