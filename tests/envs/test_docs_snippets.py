"""The runnable snippets of docs/envs.md (those after `<!-- runnable -->`) run as written."""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "envs.md"
SNIPPETS = re.findall(r"<!-- runnable -->\n```python\n(.*?\n)```\n", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_doc_has_runnable_snippets():
    assert len(SNIPPETS) >= 6


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_runs(code):
    if "azr_agents.micro" in code:
        pytest.importorskip("transformers")
    if "multiagent" in code:
        pytest.importorskip("pettingzoo")
    exec(compile(code, str(DOC), "exec"), {"__name__": "__main__"})
