"""Child-side harness for LiveCodeBench: run one program on all tests of a problem in ONE sandboxed execution.

Not imported by the parent: its source is sent to the executor, followed by `_CODE`, `_MODE` ("stdin" |
"functional"), `_FUNC` (method name for functional tests), `_INPUTS` (test inputs only: the child never sees the
expected outputs) and `_LIMIT` (seconds per test); the expression `_azr_main()` runs it.

- stdin tests: the program runs as `__main__` once per test with the input on `sys.stdin`, `input()` and
  `open(0)`; what it prints is captured (`exit()` ends a run normally).
- functional tests: the program is exec'd once; each test calls `Solution().<func>(*args)`, the arguments being
  the JSON values on the input's lines; the value is returned as JSON (tuples become lists, as in LCB).
- Result (JSON): `{"compile_error": str | None, "records": [[status, output], ...]}`, status "ok" | "error" |
  "timeout"; outputs over `_BIG` characters are replaced by "#sha256:" + digest of their normalized form (stdin:
  stripped lines; functional: canonical JSON). Stops at the first error or timeout, as LCB does.
"""

import builtins
import hashlib
import io
import json
import signal
import sys

_BIG = 1 << 20


class _AzrTimeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _AzrTimeout()


def _digest(text):
    return "#sha256:" + hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


def _stdin_output(text):
    if len(text) <= _BIG:
        return text
    lines = [line.strip() for line in text.strip().split("\n")]
    return _digest("\n".join(lines))


def _json_output(value):
    text = json.dumps(value)
    if len(text) <= _BIG:
        return text
    return _digest(json.dumps(value, sort_keys=True, separators=(",", ":")))


def _stream(data):
    return io.TextIOWrapper(io.BytesIO(data.encode("utf-8")), encoding="utf-8")


def _run_stdin(compiled, data):
    real_open, stdin, stdout = builtins.open, sys.stdin, sys.stdout
    sys.stdin, sink = _stream(data), io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    sys.stdout = sink

    def fake_open(file, mode="r", *args, **kwargs):
        if file in (0, "/dev/stdin"):
            return io.BytesIO(data.encode("utf-8")) if "b" in mode else _stream(data)
        return real_open(file, mode, *args, **kwargs)

    builtins.open = fake_open
    try:
        try:
            exec(compiled, {"__name__": "__main__", "__builtins__": builtins})
        except SystemExit:
            pass
        sink.flush()
        return sink.buffer.getvalue().decode("utf-8", "backslashreplace")
    finally:
        builtins.open, sys.stdin, sys.stdout = real_open, stdin, stdout


def _run_functional(namespace, data):
    args = [json.loads(line) for line in data.split("\n") if line.strip()]
    value = getattr(namespace["Solution"](), _FUNC)(*args)  # noqa: F821 - assigned after this source
    return _json_output(list(value) if isinstance(value, tuple) else value)


def _azr_main():
    records, compile_error, namespace = [], None, {}
    signal.signal(signal.SIGALRM, _alarm)
    stdout = sys.stdout
    try:
        compiled = compile(_CODE, "<solution>", "exec")  # noqa: F821
        if _MODE == "functional":  # noqa: F821
            sys.stdout = io.StringIO()
            signal.setitimer(signal.ITIMER_REAL, _LIMIT)  # noqa: F821
            exec(compiled, namespace)
            signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as exc:  # noqa: BLE001 - syntax errors and failing top-level code alike
        signal.setitimer(signal.ITIMER_REAL, 0)
        compile_error = (type(exc).__name__ + ": " + str(exc))[:300]
    finally:
        sys.stdout = stdout
    if compile_error is None:
        for data in _INPUTS:  # noqa: F821
            try:
                signal.setitimer(signal.ITIMER_REAL, _LIMIT)  # noqa: F821
                if _MODE == "functional":  # noqa: F821
                    sys.stdout = io.StringIO()
                    output = _run_functional(namespace, data)
                else:
                    output = _stdin_output(_run_stdin(compiled, data))
                signal.setitimer(signal.ITIMER_REAL, 0)
                records.append(["ok", output])
            except _AzrTimeout:
                records.append(["timeout", None])
                break
            except BaseException as exc:  # noqa: BLE001 - a runtime error of the program
                signal.setitimer(signal.ITIMER_REAL, 0)
                records.append(["error", (type(exc).__name__ + ": " + str(exc))[:300]])
                break
            finally:
                sys.stdout = stdout
    return json.dumps({"compile_error": compile_error, "records": records})
