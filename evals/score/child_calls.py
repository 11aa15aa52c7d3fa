"""Child-side harness: call one solution's entry point on many inputs inside ONE sandboxed execution.

Its source text is sent to the executor as the head of the program, followed by assignments of `_SOLUTION`,
`_ENTRY`, `_INPUTS`, `_LIMITS` and `_SEGMENTS`; the expression `_azr_main()` then runs it (the parent imports
it only for `digest`, see evalplus_score.digests_equal). Running all inputs of a (problem, solution) pair in
one child is what makes scoring fast (one fork per pair instead of one per input); each input still gets its
own time limit, via `setitimer` inside the child.

Time is CPU time of the child (`time.process_time`, limits via `ITIMER_PROF`), so a verdict does not depend
on how busy the machine is; a wall-clock guard of `_WALL_FACTOR` times the limit catches sleeping programs.

Contract (keep it self-contained: standard library only, nothing from azr_*):
- the solution is exec'd in a fresh, empty namespace (as evalplus does: `__name__` is not "__main__");
- printing is swallowed; inputs arrive as "m" + hex of zlib-compressed marshal data (marshal and zlib are
  already loaded in the zygote, so decoding them costs no import), or "p" + base64 of a pickle for values marshal
  cannot hold (they are benchmark data, never model output);
- the child never sees expected outputs: it returns, per input, `[status, output, seconds]` as JSON, where
  status is "ok" | "error" | "timeout", and output is the repr of the value (numpy scalars made Python), or for a
  repr over `_BIG` characters, "#sha256:" + a digest of a canonical form (so equal dicts/sets with different
  orders agree, [2, 3] and [2.0, 3.0] agree as == says, and huge ints are never converted to decimal); float
  sequences are always sent in full because they are compared with a tolerance.
- `_SEGMENTS` is a list of [count, budget_s]: consecutive inputs (base, then plus) sharing a total time budget
  (evalplus: min(60 s, sum of limits) per test set); running out of it is a "timeout" on the current input;
- it stops at the first "error" or "timeout" (evalplus's fast check), so the list may be shorter than the inputs;
- the result is `{"load_error": str | None, "records": [...]}` (load_error: the solution itself did not run).
"""

# Imports cost CPU in every child (about 5 ms for hashlib, pickle and base64 together, against 2 ms for the
# whole job otherwise): the child is forked from a zygote that has json, marshal, zlib, signal, sys, time, io and
# itertools loaded already; hashlib, array and pickle are imported only where a large output needs a digest.
import io
import itertools
import json
import marshal
import signal
import sys
import time
import zlib

_BIG = 4096
_INT_DIGITS = 640  # the smallest int-to-str digit limit Python allows
_WALL_FACTOR = 5.0  # wall-clock guard per input: this many times its CPU-time limit (plus 1 s)


class _AzrTimeout(BaseException):
    pass


class _Sink:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def _alarm(signum, frame):
    raise _AzrTimeout()


def _plain(value):
    """numpy scalars -> Python scalars, recursively through lists/tuples/dicts (evalplus compares them with ==)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


def _canon(value):
    """A form equal for == values whatever their order or int/float/bool spelling; ints as hex (linear time)."""
    if isinstance(value, bool | int) or (isinstance(value, float) and value.is_integer()):
        return ("int", hex(int(value)))
    if isinstance(value, dict):
        return ("dict", sorted(((_canon(k), _canon(v)) for k, v in value.items()), key=repr))
    if isinstance(value, set | frozenset):
        return ("set", sorted((_canon(v) for v in value), key=repr))
    if isinstance(value, list):
        return ("list", [_canon(v) for v in value])
    if isinstance(value, tuple):
        return ("tuple", [_canon(v) for v in value])
    return value


def _floats(value):
    return isinstance(value, float) or (
        isinstance(value, list | tuple) and len(value) > 0 and all(isinstance(v, float) for v in value))


# Reprs without these can only hold ints, strings, None, lists and tuples, whose repr is canonical.
_NUMBER_TYPES = {int, float}
_PLAIN_LEAVES = {str, int, type(None)}
_SEQUENCES = {list, tuple}
_EXACT = 2**53  # ints below this are exactly representable as doubles
_MARKERS = ("{", ".", "e+", "e-", "inf", "nan", "True", "False", "np.", "numpy")


def _pack_numbers(value):
    """A flat sequence of ints and floats as raw doubles, so that [2, 3] and [2.0, 3.0] agree as == says; None
    when an int is too large to be a double exactly."""
    high, low = max(value), min(value)  # C speed; a nan first makes them nan: then check the ints one by one
    if not (high == high and low == low and high < _EXACT and low > -_EXACT):
        ints = value if float not in set(map(type, value)) else [v for v in value if type(v) is int]
        if ints and (max(ints) >= _EXACT or min(ints) <= -_EXACT):
            return None
    import array

    return (b"L" if isinstance(value, list) else b"T") + array.array("d", value).tobytes()


def _plain_structure(value):
    """Elements are str/int/None, or lists/tuples of those: such values are equal exactly when their reprs are."""
    kinds = set(map(type, value))
    if kinds <= _PLAIN_LEAVES:
        return True
    return kinds <= _SEQUENCES and set(map(type, itertools.chain.from_iterable(value))) <= _PLAIN_LEAVES


def _fast_pickle(value):
    import pickle

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=4)
    pickler.fast = True  # no memo: the bytes depend on the values only, not on which objects are shared
    pickler.dump(value)
    return b"P" + buffer.getvalue()


def _feed(hasher, value):
    """Hash a large value without building its whole repr: long sequences in chunks of 256 elements; a flat chunk
    of numbers as raw doubles; chunks of strings/ints/None (one nesting level) pickled; other chunks by repr,
    unless the repr could depend on order or spelling (sets, dicts, floats, bools), then through `_canon`.
    Known limit: a nested int/float spelling difference ([(1, 2)] vs [(1.0, 2.0)]) is not equal here."""
    if isinstance(value, list | tuple) and len(value) > 256:
        hasher.update(b"[" if isinstance(value, list) else b"(")
        for start in range(0, len(value), 256):
            _feed(hasher, value[start : start + 256])
        hasher.update(b"]")
        return
    if isinstance(value, str | bytes):
        text = repr(value)  # canonical already
    elif isinstance(value, list | tuple) and set(map(type, value)) <= _NUMBER_TYPES:
        packed = _pack_numbers(value)
        if packed is not None:
            hasher.update(packed)
            return
        text = None
    elif isinstance(value, list | tuple) and _plain_structure(value):
        hasher.update(_fast_pickle(value))  # strings, ints, None (one nesting level): pickling is canonical, fast
        return
    else:
        text = _canon_scalar_rows(value) if isinstance(value, list | tuple) else None
        if text is None:
            text = _repr(value)
            if text is not None and any(marker in text for marker in _MARKERS):
                text = None
    if text is None:
        text = repr(_canon(_plain(value)))
    hasher.update(text.encode("utf-8", "backslashreplace"))


_SCALARS = {int, float, bool, str, type(None)}


def _canon_scalar_rows(seq):
    """`repr(_canon(_plain(seq)))`, fast, for a list/tuple of scalars or of lists/tuples of scalars (exact types;
    these reach here only with a float or bool inside, so the repr path would go through `_canon` anyway); None
    for any other shape. Each distinct leaf is canonicalised once (equal scalars share their canonical form:
    1 == 1.0 == True all become ("int", "0x1")), then rows are rebuilt with C-level maps."""
    kinds = set(map(type, seq))
    if kinds <= _SCALARS:
        rows = None
        leaves = seq
    elif kinds <= _SEQUENCES:
        rows = seq
        leaves = list(itertools.chain.from_iterable(seq))
        if not set(map(type, leaves)) <= _SCALARS:
            return None
    else:
        return None
    canon = {leaf: _canon(leaf) for leaf in set(leaves)}
    get = canon.__getitem__
    if rows is None:
        body = list(map(get, seq))
    else:
        body = [("list" if type(row) is list else "tuple", list(map(get, row))) for row in rows]
    return repr(("list" if type(seq) is list else "tuple", body))


def _repr(value):
    try:
        return repr(value)
    except ValueError:  # an int over the digit limit: hashed via hex instead (linear time)
        return None


def _encode(value):
    """The repr of an output, or for a large one "#sha256:" + a digest (see module docstring). Ints over
    `_INT_DIGITS` digits are never turned into decimal (quadratic time): the repr fails fast and the digest path
    writes them in hex."""
    saved = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(_INT_DIGITS)
    try:
        if isinstance(value, str) and len(value) > _BIG:
            return digest(value)  # its repr is longer still: skip building it twice
        if isinstance(value, list | tuple | dict | set | frozenset) and len(value) > _BIG and not _floats(value):
            text = None
        else:
            text = _repr(value)
            if text is not None and ("np." in text or "numpy" in text):
                value = _plain(value)
                text = _repr(value)
            if text is not None and (len(text) <= _BIG or _floats(value)):
                return text
        return digest(value)
    finally:
        sys.set_int_max_str_digits(saved)


def digest(value):
    """ "#sha256:" + the digest of a value's canonical form (also used by the parent on parsed float lists)."""
    import hashlib

    hasher = hashlib.sha256()
    _feed(hasher, value)
    return "#sha256:" + hasher.hexdigest()


def _arm(limit):
    signal.setitimer(signal.ITIMER_PROF, limit)
    signal.setitimer(signal.ITIMER_REAL, limit * _WALL_FACTOR + 1.0)


def _disarm():
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)


def _run_inputs(fn, inputs, records):
    position = 0
    for count, budget in _SEGMENTS:  # noqa: F821 - assigned after this source
        spent = 0.0
        for index in range(position, position + count):
            limit = min(_LIMITS[index], budget - spent)  # noqa: F821
            start = time.process_time()
            try:
                if limit <= 0:
                    raise _AzrTimeout()
                _arm(limit)
                out = fn(*inputs[index])
                _disarm()
                elapsed = time.process_time() - start
                records.append(["ok", _encode(out), elapsed])
                spent += elapsed
            except _AzrTimeout:
                _disarm()
                records.append(["timeout", None, time.process_time() - start])
                return
            except BaseException as exc:  # noqa: BLE001 - any failure of the solution is a record
                _disarm()
                records.append(["error", (type(exc).__name__ + ": " + str(exc))[:300], time.process_time() - start])
                return
        position += count


def _load_inputs(blob):
    if blob[:1] == "m":
        return marshal.loads(zlib.decompress(bytes.fromhex(blob[1:])))
    import base64
    import pickle

    return pickle.loads(base64.b64decode(blob[1:]))


def _azr_main():
    inputs = _load_inputs(_INPUTS)  # noqa: F821
    records, load_error = [], None
    stdout, stderr = sys.stdout, sys.stderr
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGPROF, _alarm)
    try:
        sys.stdout = sys.stderr = _Sink()
        namespace = {}
        try:
            exec(_SOLUTION, namespace)  # noqa: F821
            fn = namespace[_ENTRY]  # noqa: F821
        except BaseException as exc:  # noqa: BLE001 - includes SyntaxError and SystemExit
            load_error = (type(exc).__name__ + ": " + str(exc))[:300]
        else:
            _run_inputs(fn, inputs, records)
    except BaseException as exc:  # noqa: BLE001 - the solution broke the harness itself (e.g. a late alarm)
        _disarm()
        records.append(["error", (type(exc).__name__ + ": " + str(exc))[:300], 0.0])
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return json.dumps({"load_error": load_error, "records": records})
