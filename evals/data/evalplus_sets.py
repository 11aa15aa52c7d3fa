"""HumanEval+ and MBPP+ through the `evalplus` package's own loaders (same files, same input decoding).

evalplus downloads its release files itself (`get_human_eval_plus` / `get_mbpp_plus`) and honours
`HUMANEVAL_OVERRIDE_PATH` / `MBPP_OVERRIDE_PATH`; it reads those variables at import time, so for a local file we
set the module attribute it consults instead. Going through evalplus matters for MBPP+: its loader turns JSON
lists back into the tuples, sets and complex numbers that 60-odd tasks take (`mbpp_deserialize_inputs`).

Each `Problem.meta` is the evalplus record: `prompt`, `entry_point`, `canonical_solution`, `base_input`,
`plus_input`, `atol`, plus `dataset` ("humaneval" | "mbpp", which selects evalplus's special oracles).

Pinning: evalplus downloads the release asset of its fixed version tag (v0.1.10 / v0.2.0); we check the file it
caches against the sha256 of that release's (decompressed) file, the same content as ../shared/data's copy.
A download failure is a one-line DataError suggesting `--data-dir`, not a urllib traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

from azr_evals.data.fetch import note_read, resolve, verify_sha256
from azr_evals.registry import BenchmarkSpec
from azr_evals.types import Problem

from azr_env.errors import DataError, require

_FILES = {"humanevalplus": "HumanEvalPlus.jsonl.gz", "mbppplus": "MbppPlus.jsonl.gz"}
# sha256 of the decompressed release file (what evalplus caches): HumanEval+ v0.1.10, MBPP+ v0.2.0.
SHA256 = {"humanevalplus": "42526ec0e7d5f3ee0b06d6ced98f8c8bae3d76519151bfb3d36f79010645bd7f",
          "mbppplus": "b54e762755248ca411b523c917fa9f93c07b5ff2966bf60b3917b853926a3dad"}
_READY = {"humanevalplus": "_ready_human_eval_plus_path", "mbppplus": "_ready_mbpp_plus_path"}


def _import_data_module(module: str) -> Any:
    """Import `evalplus.data.<x>` without running `evalplus/data/__init__.py`, which imports `datasets` (pandas,
    pyarrow: about 1 s) only for EvalPerf. The package is stood in for while the submodule loads and removed
    afterwards, so a later `import evalplus.data` runs the real one; any surprise falls back to the plain import."""
    if "evalplus.data" in sys.modules:
        return importlib.import_module(module)
    try:
        origin = importlib.util.find_spec("evalplus").origin  # type: ignore[union-attr]
        stand_in = types.ModuleType("evalplus.data")
        stand_in.__path__ = [str(Path(origin).parent / "data")]  # type: ignore[arg-type]
    except (ImportError, AttributeError, TypeError):
        return importlib.import_module(module)
    sys.modules["evalplus.data"] = stand_in
    try:
        return importlib.import_module(module)
    except ImportError:
        sys.modules.pop("evalplus.data", None)
        return importlib.import_module(module)
    finally:
        if sys.modules.get("evalplus.data") is stand_in:
            del sys.modules["evalplus.data"]


def _load(spec: BenchmarkSpec, dataset: str, module: str, attr: str, getter: str,
          path: str | Path | None, data_dir: str | Path | None) -> list[Problem]:
    require("evalplus", "eval", f"{spec.name} data")
    mod = _import_data_module(module)
    local = resolve(path, data_dir, f"{spec.local_dir}/{_FILES[spec.name]}")
    saved = getattr(mod, attr)
    try:
        if local is not None:
            setattr(mod, attr, str(local))
        else:
            cached = Path(getattr(mod, _READY[spec.name])())  # downloads on first use
            verify_sha256(cached, SHA256[spec.name], f"evalplus {spec.name} release")
            note_read(cached, f"{spec.local_dir}/{cached.name}")
        records = getattr(mod, getter)()
    except OSError as exc:  # urllib's URLError and friends, from evalplus's own download
        raise DataError(f"could not get the {spec.name} data through evalplus ({type(exc).__name__}: {exc}). "
                        "Offline? Pass --data-dir with a local copy (e.g. ../shared/data)") from exc
    finally:
        setattr(mod, attr, saved)
    problems = []
    for task_id, record in records.items():
        meta = dict(record, dataset=dataset)
        problems.append(Problem(spec.name, task_id, record["prompt"], None, meta))
    return problems


def load_humanevalplus(spec: BenchmarkSpec, *, path: str | Path | None = None,
                       data_dir: str | Path | None = None, **_: Any) -> list[Problem]:
    """HumanEval+ v0.1.10 (164 problems)."""
    return _load(spec, "humaneval", "evalplus.data.humaneval", "HUMANEVAL_OVERRIDE_PATH", "get_human_eval_plus",
                 path, data_dir)


def load_mbppplus(spec: BenchmarkSpec, *, path: str | Path | None = None,
                  data_dir: str | Path | None = None, **_: Any) -> list[Problem]:
    """MBPP+ v0.2.0 (378 problems)."""
    return _load(spec, "mbpp", "evalplus.data.mbpp", "MBPP_OVERRIDE_PATH", "get_mbpp_plus", path, data_dir)
