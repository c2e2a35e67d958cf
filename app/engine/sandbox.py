"""Diagram code runs here: RestrictedPython, a named whitelist, and a bound on time and size.

Analysts write Python in the diagram (scripts, gateway conditions, timer expressions), but they are
not server administrators, so their code gets no imports, no dunder access, no `open`, and only the
builtins named in `ALLOWED_BUILTINS` plus the desk's own functions (calendar, `now`, `send_message`).
Every run is bounded: a line tracer stops a script that runs longer than its time limit, and the
operations that can build a huge value in one step (`*`, `**`, `<<`, `+`, `str.join`, `str.replace`,
padding, `list.extend`) are checked before they run. The deploy gate additionally runs its scenarios in a
separate process with an address-space limit (`app.engine.isolation`).
"""

from __future__ import annotations

import ast
import dis
import math
import operator
import re
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, wraps

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from .messages import Text

SCRIPT_FILENAME = "<diagram>"
MAX_ITEMS = 1_000_000  # characters of a string, items of a list/tuple/set, elements of a range
MAX_INT_BITS = 64  # diagram code counts days and attempts: big numbers only serve slow C-level arithmetic
MAX_ROUND_DIGITS = 30
MAX_MESSAGES_PER_RUN = 3
MAX_DEPTH = 20
MAX_DETAIL = 300
# Characters the task data of one step may hold once written out (it is serialized with the workflow):
# a list of a million references to one long string is small in memory but not as JSON.
MAX_DATA_CHARS = 5_000_000
CLOCK_CHECK_EVERY = 64  # bytecode instructions between two looks at the clock
MEMORY_CHECK_EVERY = 256  # ... and at the resident set size


class DiagramCodeError(BaseException):
    """Diagram code was refused or stopped by the sandbox (not an ordinary error in its logic).

    A BaseException, so the script's own `except Exception:` cannot swallow the stop (a tracer that
    raised is gone for the rest of the run); bare `except:` and `finally:` are refused at compile time."""


class ScriptTimeout(DiagramCodeError):
    pass


class ScriptTooLarge(DiagramCodeError):
    pass


class ScriptRefused(DiagramCodeError):
    pass


@dataclass(frozen=True)
class Limits:
    seconds: float = 1.0
    memory_mb: int = 256


def _too_large(what: str) -> ScriptTooLarge:
    return ScriptTooLarge(f"{what} would exceed {MAX_ITEMS:,} items; diagram code may not build values that large")


def _size(value) -> int | None:
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return None


def _checked_int(value):
    """Integers stay within 64 bits: bigger ones only serve slow arithmetic and hash collisions."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise ScriptTooLarge(f"numbers in diagram code must fit in {MAX_INT_BITS} bits")
    return value


def _checked_mul(left, right):
    for seq, times in ((left, right), (right, left)):
        length = _size(seq)
        if length is not None and isinstance(times, int) and length * max(times, 0) > MAX_ITEMS:
            raise _too_large("repeating a sequence")
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
        raise ScriptTooLarge(f"numbers in diagram code must fit in {MAX_INT_BITS} bits")
    return _checked_int(left * right)


def _checked_add(left, right):
    a, b = _size(left), _size(right)
    if a is not None and b is not None and a + b > MAX_ITEMS:
        raise _too_large("joining two sequences")
    return _checked_int(left + right)


def _checked_pow(base, exponent):
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1 \
            and exponent * (abs(base).bit_length() - 1) > MAX_INT_BITS:
        raise ScriptTooLarge(f"{base} ** {exponent} is too large a number for diagram code")
    return _checked_int(base ** exponent)


def estimated_size(value, budget: int = MAX_DATA_CHARS) -> int:
    """Roughly how many characters `value` becomes as text or JSON; stops counting past `budget`."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            stack.extend(item)
        else:
            total += 24
        if total > budget:
            return total
    return total


def _checked_text(value):
    """A value about to become text (str(), an f-string, % formatting) must not become a huge one."""
    if estimated_size(value, MAX_ITEMS) > MAX_ITEMS:
        raise _too_large("writing a value as text")
    return value


def _checked_str(*args, **kwargs):
    if args:
        _checked_text(args[0])
    return str(*args, **kwargs)


_WIDTH = re.compile(r"\d+")


def _checked_spec(spec: str) -> None:
    if any(int(n) > MAX_ITEMS for n in _WIDTH.findall(spec)):
        raise _too_large("a format width")


def _checked_mod(left, right):
    if isinstance(left, str | bytes):
        spec = left.decode("latin-1") if isinstance(left, bytes) else left
        if "*" in spec:
            raise ScriptRefused("% formatting with a * width is not allowed in diagram code")
        _checked_spec(spec)
        _checked_text(right)
    return left % right


def _checked_lshift(value, shift):
    if isinstance(value, int) and isinstance(shift, int) and shift + value.bit_length() > MAX_INT_BITS:
        raise ScriptTooLarge(f"{value} << {shift} is too large a number for diagram code")
    return _checked_int(value << shift)


def _safe_int(*args):
    return _checked_int(int(*args))


def _safe_round(number, ndigits=None):
    if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > MAX_ROUND_DIGITS):
        raise ScriptRefused(f"round() takes at most {MAX_ROUND_DIGITS} digits in diagram code")
    return round(number, ndigits)


def _safe_sum(items, start=0):
    if not isinstance(start, int | float) or isinstance(start, bool):
        raise ScriptRefused("sum() adds numbers only in diagram code")
    total = start
    for item in items:
        if not isinstance(item, int | float) or isinstance(item, bool):
            raise ScriptRefused("sum() adds numbers only in diagram code")
        total = _checked_add(total, item)
    return total


_BINARY_GUARDS = {ast.Mult: "_cf_mul_", ast.Add: "_cf_add_", ast.Pow: "_cf_pow_", ast.LShift: "_cf_lshift_",
                  ast.Mod: "_cf_mod_"}
_INPLACE = {"+=": _checked_add, "*=": _checked_mul, "**=": _checked_pow, "<<=": _checked_lshift,
            "-=": operator.sub, "/=": operator.truediv, "//=": operator.floordiv, "%=": _checked_mod,
            ">>=": operator.rshift, "&=": operator.and_, "|=": operator.or_, "^=": operator.xor}


def _inplacevar(op: str, target, value):
    try:
        return _INPLACE[op](target, value)
    except KeyError:
        raise ScriptRefused(f"the operator {op} is not allowed in diagram code") from None


class _DiagramPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus a size check on every operator that can blow a value up."""

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        guard = _BINARY_GUARDS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(id=guard, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_ExceptHandler(self, node):
        if node.type is None:
            self.error(node, "A bare 'except:' is not allowed; name the errors to catch (e.g. except ValueError:).")
        return self.node_contents_visit(node)

    def visit_Try(self, node):
        if node.finalbody:
            self.error(node, "'finally' is not allowed in diagram code.")
        return self.node_contents_visit(node)

    def visit_TryStar(self, node):
        self.error(node, "'except*' is not allowed in diagram code.")
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, bytes):
            self.error(node, "Byte strings are not allowed in diagram code.")
        return self.node_contents_visit(node)

    def visit_FormattedValue(self, node):
        """f"{value:spec}": the value is size-checked, the spec may not be computed or name a huge width."""
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if any(not isinstance(part, ast.Constant) for part in parts):
                self.error(node, "A computed format specification in an f-string is not allowed.")
            elif any(int(n) > MAX_ITEMS for part in parts for n in _WIDTH.findall(str(part.value))):
                self.error(node, "A format width larger than a million in an f-string is not allowed.")
        call = ast.Call(func=ast.Name(id="_cf_text_", ctx=ast.Load()), args=[node.value], keywords=[])
        node.value = ast.fix_missing_locations(ast.copy_location(call, node.value))
        return node


def _limited_range(*args):
    result = range(*args)
    if len(result) > MAX_ITEMS:
        raise _too_large("range")
    return result


def _check_width(width) -> None:
    if isinstance(width, int) and width > MAX_ITEMS:
        raise _too_large("padding a string")


def _guard_method(owner, name: str, method: Callable) -> Callable:
    """Wrap the methods of str/list that can multiply a value's size in one call."""
    if name in _REFUSED_METHODS or isinstance(owner, bytes | bytearray):
        raise ScriptRefused(f"{type(owner).__name__}.{name} is not allowed in diagram code")
    if isinstance(owner, str):
        if name in ("ljust", "rjust", "center", "zfill"):
            def padded(width, *rest):
                _check_width(width)
                return method(width, *rest)
            return padded
        if name == "expandtabs":
            def expanded(tabsize=8):
                _check_width(owner.count("\t") * tabsize + len(owner))
                return method(tabsize)
            return expanded
        if name == "replace":
            def replaced(old, new, count=-1):
                hits = owner.count(old) if count < 0 else min(count, owner.count(old))
                if isinstance(new, str) and len(owner) + hits * max(len(new) - len(old), 0) > MAX_ITEMS:
                    raise _too_large("replacing text")
                return method(old, new, count)
            return replaced
        if name == "join":
            def joined(items):
                items = list(items)
                if sum(len(i) for i in items if isinstance(i, str)) + len(owner) * len(items) > MAX_ITEMS:
                    raise _too_large("joining text")
                return method(items)
            return joined
    if isinstance(owner, list) and name == "extend":
        def extended(items):
            items = list(items)
            if len(owner) + len(items) > MAX_ITEMS:
                raise _too_large("extending a list")
            return method(items)
        return extended
    return method


# Byte strings and codecs serve no purpose in a procedure and escape the text size checks.
_REFUSED_METHODS = frozenset({"translate", "maketrans", "encode", "decode", "to_bytes", "from_bytes"})


def _getattr(obj, name, default=None):
    value = safer_getattr(obj, name, default)
    return _guard_method(obj, name, value) if callable(value) else value


def _getiter(obj):
    return iter(obj)


# What diagram code may call besides the desk's own functions; the README names the same list.
ALLOWED_BUILTINS: dict[str, object] = {
    "None": None, "True": True, "False": False,
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "divmod": divmod, "enumerate": enumerate,
    "filter": filter, "float": float, "frozenset": frozenset, "int": _safe_int, "isinstance": isinstance,
    "len": len, "list": list, "map": map, "max": max, "min": min, "range": _limited_range,
    "reversed": reversed, "round": _safe_round, "set": set, "sorted": sorted, "str": _checked_str, "sum": _safe_sum,
    "tuple": tuple, "zip": zip,
    "ArithmeticError": ArithmeticError, "Exception": Exception, "IndexError": IndexError, "KeyError": KeyError,
    "LookupError": LookupError, "TypeError": TypeError, "ValueError": ValueError,
    "ZeroDivisionError": ZeroDivisionError,
}

_GUARDS = {
    "_getattr_": _getattr, "_getitem_": default_guarded_getitem, "_getiter_": _getiter,
    "_write_": full_write_guard, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence, "_inplacevar_": _inplacevar,
    "_cf_mul_": _checked_mul, "_cf_add_": _checked_add, "_cf_pow_": _checked_pow, "_cf_lshift_": _checked_lshift,
    "_cf_mod_": _checked_mod, "_cf_text_": _checked_text,
}
GUARD_NAMES = frozenset(_GUARDS) | {"__builtins__"}


@lru_cache(maxsize=2048)
def compile_diagram_code(source: str, mode: str):
    """Compile under the restricted policy; raises ScriptRefused with RestrictedPython's reasons."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename=SCRIPT_FILENAME, policy=_DiagramPolicy)
    if result.errors or result.code is None:
        raise ScriptRefused("; ".join(result.errors) or "the code cannot be compiled")
    return result.code


_current_bound: ContextVar[_Bound | None] = ContextVar("diagram_code_bound", default=None)


def desk_function(function: Callable) -> Callable:
    """Mark one of the desk's own functions: the time it takes is not charged to the script
    (the first business-day sum of a year builds that year's holidays)."""

    @wraps(function)
    def timed(*args, **kwargs):
        started = time.monotonic()
        try:
            return function(*args, **kwargs)
        finally:
            bound = _current_bound.get()
            if bound is not None:
                bound.refund(time.monotonic() - started)

    return timed


def restricted_globals(functions: dict[str, object]) -> dict:
    names = dict(_GUARDS)
    names.update(functions)
    names["__builtins__"] = dict(ALLOWED_BUILTINS)
    return names


def disallowed_builtins(source: str, mode: str) -> list[str]:
    """Python builtins a piece of code names that diagram code may not use (open, eval, getattr ...)."""
    import builtins

    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return []
    python_builtins = set(dir(builtins))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return sorted(n for n in names - assigned if n in python_builtins and n not in ALLOWED_BUILTINS)


def _resident_mb() -> float:
    try:
        with open("/proc/self/statm", "rb") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * 4096 / (1024 * 1024)


class _Bound:
    """A tracer that stops diagram code past its time or memory budget.

    It counts bytecode instructions, not lines: `while True: pass` jumps within one line and emits
    no line events.
    """

    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.rss_start = 0.0  # read when the tracer is installed: untraced code never checks memory
        self.steps = 0
        self.refunds_left = limits.seconds
        self.messages = 0

    def refund(self, seconds: float) -> None:
        """Give back time spent in the desk's own functions (a year's holiday table is built on first use),
        at most the limit once over: a loop of calendar calls is still stopped."""
        given = min(seconds, self.refunds_left)
        self.refunds_left -= given
        self.deadline += given

    def count_message(self) -> None:
        self.messages += 1
        if self.messages > MAX_MESSAGES_PER_RUN:
            raise ScriptRefused(f"a script may send at most {MAX_MESSAGES_PER_RUN} messages in one run")

    def __call__(self, frame, event, arg):
        if event == "call" and frame.f_code.co_filename == SCRIPT_FILENAME:
            frame.f_trace_opcodes = True
            frame.f_trace_lines = False
            return self._local
        return None

    def _local(self, frame, event, arg):
        if event == "opcode":
            self.steps += 1
            if self.steps % CLOCK_CHECK_EVERY == 0:
                if time.monotonic() > self.deadline:
                    raise ScriptTimeout(Text("did not finish in {seconds:g} s", seconds=self.limits.seconds))
                if self.steps % MEMORY_CHECK_EVERY == 0 and \
                        _resident_mb() - self.rss_start > self.limits.memory_mb:
                    raise ScriptTooLarge(Text("used more than {mb} MB", mb=self.limits.memory_mb))
        return self._local


@lru_cache(maxsize=2048)
def _needs_bound(code) -> bool:
    """False for straight-line code shorter than one clock check: no loop, no nested function,
    lambda or comprehension, and fewer than CLOCK_CHECK_EVERY instructions. Each instruction of such
    code runs at most once, so the tracer would never reach its first check; running it untraced
    changes nothing but the cost (most gateway conditions and timer expressions are like this)."""
    if any(hasattr(const, "co_code") for const in code.co_consts):
        return True
    instructions = list(dis.get_instructions(code))
    return len(instructions) >= CLOCK_CHECK_EVERY or any("BACKWARD" in i.opname for i in instructions)


def _run(code, namespace: dict, evaluate: bool):
    if evaluate:
        return eval(code, namespace)  # noqa: S307 - restricted code, restricted namespace
    exec(code, namespace)  # noqa: S102
    return None


def run_bounded(code, namespace: dict, limits: Limits, *, evaluate: bool):
    """exec/eval restricted code under a bound (the previous tracer is restored).

    The bound always counts messages and refunds; the tracer is installed only for code that could
    run long (`_needs_bound`)."""
    bound = _Bound(limits)
    token = _current_bound.set(bound)
    traced = _needs_bound(code)
    previous = sys.gettrace()
    if traced:
        bound.rss_start = _resident_mb()
        sys.settrace(bound)
    try:
        return _run(code, namespace, evaluate)
    except MemoryError:
        raise ScriptTooLarge(Text("used more than {mb} MB", mb=limits.memory_mb)) from None
    except RecursionError:
        raise ScriptTooLarge(Text("recursed too deeply")) from None
    except Exception as exc:
        # The script's own error, with its message cut short (it reaches pages and API answers).
        text = str(exc)
        if len(text) > MAX_DETAIL:
            raise type(exc)(text[:MAX_DETAIL] + " …") if _rebuildable(exc) else exc from None
        raise
    finally:
        if traced:
            sys.settrace(previous)
        _current_bound.reset(token)


def check_data_size(value, what: str) -> None:
    if estimated_size(value) > MAX_DATA_CHARS:
        raise ScriptTooLarge(f"{what} would be larger than {MAX_DATA_CHARS:,} characters")


def _rebuildable(exc: Exception) -> bool:
    try:
        type(exc)("")
    except Exception:  # noqa: BLE001 - an exception type that needs other arguments keeps its message
        return False
    return True


def current_bound() -> _Bound | None:
    return _current_bound.get()


_PLAIN = (str, int, float, bool, type(None))


def check_storable(data, what: str) -> None:
    """Task data is written out as JSON with the workflow: only plain values, finite numbers, bounded
    nesting. Anything else would fail when the step is saved, after the script has run."""
    from datetime import date, datetime, timedelta
    from uuid import UUID

    stack = [(name, value, 0) for name, value in data.items()] if isinstance(data, dict) else [(what, data, 0)]
    while stack:
        name, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScriptRefused(f"{name} is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, float) and not math.isfinite(value):
            raise ScriptRefused(f"{name} is {value}, which cannot be saved")
        if isinstance(value, _PLAIN + (datetime, date, timedelta, UUID)):
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str | int):
                    raise ScriptRefused(f"{name} has a key of type {type(key).__name__}, which cannot be saved")
                stack.append((name, item, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((name, item, depth + 1) for item in value)
        else:
            raise ScriptRefused(f"{name} holds a {type(value).__name__}, which cannot be saved")
