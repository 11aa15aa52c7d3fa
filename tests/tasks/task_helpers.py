"""Response builders shared by the task and env tests."""


def wrap(answer: str, think: str = "reasoning") -> str:
    return f"<think>{think}</think>\n<answer>{answer}</answer>"


def proposal(program: str, arguments: str) -> str:
    return wrap(f"```python\n{program}\n```\n```input\n{arguments}\n```")
