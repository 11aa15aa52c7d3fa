"""The paper's benchmark table (SPEC §7, arXiv 2505.03335 Table 1 rows), for side-by-side reports."""

from __future__ import annotations

COLUMNS = ["humanevalplus", "mbppplus", "livecodebench", "aime24", "aime25", "amc23", "math500", "minerva",
           "olympiadbench"]
_ROWS = {
    "Qwen2.5-7B": [73.2, 65.3, 17.5, 6.7, 3.3, 37.5, 64.8, 25.0, 27.7, 52.0, 27.5, 39.8],
    "Qwen2.5-7B-Coder": [80.5, 69.3, 19.9, 6.7, 3.3, 40.0, 54.0, 17.3, 21.9, 56.6, 23.9, 40.2],
    "AZR-Base-7B": [71.3, 69.1, 25.3, 13.3, 13.3, 52.5, 74.4, 38.2, 38.5, 55.2, 38.4, 46.8],
    "AZR-Coder-7B": [83.5, 69.6, 31.7, 20.0, 10.0, 57.5, 72.6, 36.4, 38.2, 61.6, 39.1, 50.4],
}
PAPER_ROWS: dict[str, dict[str, float]] = {
    name: dict(zip([*COLUMNS, "CAvg", "MAvg", "AVG"], values)) for name, values in _ROWS.items()
}
# base model -> (its paper row, the AZR model trained from it)
_FAMILIES = {"coder": ("Qwen2.5-7B-Coder", "AZR-Coder-7B"), "base": ("Qwen2.5-7B", "AZR-Base-7B")}


def rows_for(model: str) -> list[str]:
    """Paper rows to print beside `model`: its base and AZR rows when the name says which 7B model it is,
    otherwise all four."""
    name = model.lower().replace("_", "-")
    if "7b" in name and ("qwen2.5" in name or "azr" in name):
        return list(_FAMILIES["coder" if "coder" in name else "base"])
    return list(PAPER_ROWS)
