"""The base of every kerker configuration: a frozen-dataclass mixin and one set of validators.

Foundational: imports nothing from kerker, so every stage builds its configs on it. A
config is a ``@dataclass(frozen=True)`` that inherits :class:`Config`; its
``__post_init__`` normalises and checks each field once, with the validators below
(usually through :meth:`Config._check`), so a config either describes something runnable
or is refused with an error that names the field, the rule and the value received:
``TypeError`` for a value of the wrong type, ``ValueError`` for one that breaks the rule.

Every validator has the signature ``validator(name, value, ...) -> normalised value``,
where ``name`` is the label used in the message (``"DatasetConfig.seed"``).

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class RunConfig(Config):
...     epochs: int = 10
...     lr: float = 1e-3
...     def __post_init__(self):
...         self._check("epochs", positive_int)
...         self._check("lr", positive_float)
>>> RunConfig.from_dict({"epochs": 3}).to_dict()
{'epochs': 3, 'lr': 0.001}
>>> RunConfig(epochs=0)
Traceback (most recent call last):
...
ValueError: RunConfig.epochs must be a positive int; received 0
>>> RunConfig.from_dict({"epoch": 3})
Traceback (most recent call last):
...
ValueError: unknown RunConfig fields ['epoch']; known: ['epochs', 'lr']
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "Config",
    "choice",
    "integer",
    "int_tuple",
    "interval",
    "non_negative_float",
    "number",
    "number_tuple",
    "positive_float",
    "positive_int",
    "probability",
    "string",
]


class Config:
    """Mixin of the frozen configuration dataclasses: dict round trip, field checks, differences.

    ``to_dict`` gives plain JSON-able values (tuples become lists); ``from_dict`` is its
    inverse (lists become tuples) and refuses unknown keys, naming them.
    """

    def _check(self, name: str, validator: Callable, /, *args, **kwargs):
        """Validate field ``name`` with ``validator`` and store its normalised value (frozen-safe)."""
        value = validator(f"{type(self).__name__}.{name}", getattr(self, name), *args, **kwargs)
        object.__setattr__(self, name, value)
        return value

    def _set(self, name: str, value) -> None:
        """Store a normalised field value in the frozen instance."""
        object.__setattr__(self, name, value)

    def to_dict(self) -> dict:
        """Plain JSON-able dict of the fields (tuples become lists); inverse of :meth:`from_dict`."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping):
        """The config of a :meth:`to_dict` output (lists become tuples).

        Raises
        ------
        TypeError
            ``data`` is not a mapping.
        ValueError
            ``data`` has keys that are not fields (named, with the known ones), or a value
            breaks a field's rule.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}.from_dict needs a dict of fields; received {type(data).__name__}")
        known = sorted(f.name for f in dataclasses.fields(cls) if f.init)
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {unknown}; known: {known}")
        return cls(**{k: _tuples(v) for k, v in data.items()})

    def differences(self, other: Config) -> list[str]:
        """Human-readable ``field: self -> other`` lines for every field that differs."""
        a, b = self.to_dict(), other.to_dict()
        return [f"{k}: {a[k]!r} -> {b[k]!r}" for k in a if a[k] != b.get(k)]


def _plain(value):
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _tuples(value):
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _or_none(none: bool) -> str:
    return " or None" if none else ""


def _received(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def _int_rule(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f"an int in [{minimum}, {maximum}]"
    if minimum == 1:
        return "a positive int"
    if minimum is not None:
        return f"an int >= {minimum}"
    if maximum is not None:
        return f"an int <= {maximum}"
    return "an int"


def integer(name: str, value, *, minimum: int | None = None, maximum: int | None = None, none: bool = False):
    """``value`` as an int (bools refused) in ``[minimum, maximum]``; None passes if ``none``."""
    if value is None and none:
        return None
    rule = _int_rule(minimum, maximum) + _or_none(none)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {rule}; received {_received(value)}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {rule}; received {value}")
    return value


def positive_int(name: str, value, *, none: bool = False):
    """``value`` as an int >= 1; None passes if ``none``."""
    return integer(name, value, minimum=1, none=none)


def int_tuple(name: str, value, *, minimum: int = 1, allow_empty: bool = False,
              empty_rule: str = "must not be empty") -> tuple[int, ...]:
    """``value`` (any sequence) as a tuple of ints >= ``minimum``; empty only if ``allow_empty``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        kind = "positive ints" if minimum == 1 else f"ints >= {minimum}"
        raise TypeError(f"{name} must be a sequence of {kind}; received {_received(value)}")
    values = tuple(value)
    if not values and not allow_empty:
        raise ValueError(f"{name} {empty_rule}; received {value!r}")
    return tuple(integer(f"each entry of {name}", v, minimum=minimum) for v in values)


def _bounds_rule(above, at_least, below, at_most) -> str:
    if (above is not None or at_least is not None) and (below is not None or at_most is not None):
        left = f"({above}" if above is not None else f"[{at_least}"
        right = f"{below})" if below is not None else f"{at_most}]"
        return f"in {left}, {right}"
    parts = []
    if above is not None:
        parts.append(f"> {above}")
    if at_least is not None:
        parts.append(f">= {at_least}")
    if below is not None:
        parts.append(f"< {below}")
    if at_most is not None:
        parts.append(f"<= {at_most}")
    return " and ".join(parts)


def _float(value: numbers.Real) -> float:
    """``float(value)``; an int beyond the float range (``10**400``) becomes +-inf, so it is refused as not finite."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def number(name: str, value, *, above=None, at_least=None, below=None, at_most=None, none: bool = False,
           what: str | None = None):
    """``value`` as a finite float within the given bounds; None passes if ``none``.

    ``above``/``below`` are exclusive bounds, ``at_least``/``at_most`` inclusive ones;
    ``what`` (e.g. ``"refractive index of the medium"``) is added to the name in messages.
    """
    if value is None and none:
        return None
    label = f"{name} ({what})" if what else name
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{label} must be a finite number{_or_none(none)}; received {_received(value)}")
    value = _float(value)
    rule = _bounds_rule(above, at_least, below, at_most)
    if not math.isfinite(value):
        raise ValueError(f"{label} must be a finite number{' ' + rule if rule else ''}; received {value}")
    bad = (
        (above is not None and not value > above)
        or (at_least is not None and not value >= at_least)
        or (below is not None and not value < below)
        or (at_most is not None and not value <= at_most)
    )
    if bad:
        raise ValueError(f"{label} must be {rule}{_or_none(none)}; received {value!r}")
    return value


def positive_float(name: str, value, *, none: bool = False, what: str | None = None):
    """``value`` as a finite float > 0."""
    return number(name, value, above=0, none=none, what=what)


def non_negative_float(name: str, value, *, none: bool = False, what: str | None = None):
    """``value`` as a finite float >= 0."""
    return number(name, value, at_least=0, none=none, what=what)


def probability(name: str, value, *, include_one: bool = True):
    """``value`` as a float in [0, 1] (or [0, 1) when ``include_one`` is False)."""
    if include_one:
        return number(name, value, at_least=0, at_most=1)
    return number(name, value, at_least=0, below=1)


def number_tuple(name: str, value, *, length: int, entry: Callable = number, **bounds) -> tuple[float, ...]:
    """``value`` as a tuple of ``length`` floats, each checked by ``entry`` (with ``bounds``)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be {length} numbers; received {_received(value)}")
    values = tuple(value)
    if len(values) != length:
        raise ValueError(f"{name} must be {length} numbers; received {value!r}")
    return tuple(entry(f"each entry of {name}", v, **bounds) for v in values)


def choice(name: str, value, options: tuple):
    """``value`` if it is one of ``options``."""
    if not any(isinstance(value, type(option)) and value == option for option in options):
        raise ValueError(f"{name} must be one of {tuple(options)}; received {value!r}")
    return value


def interval(name: str, value, *, strict_lower: bool, lower: float = 0.0, unit: str = "nm") -> tuple[float, float]:
    """``value`` as a finite ``(lo, hi)`` pair of floats with ``lower < lo <= hi`` (or ``<=`` if not strict)."""
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be two numbers (lo, hi) in {unit}; received {value!r}") from None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in (lo, hi)):
        raise TypeError(f"{name} must be two numbers (lo, hi) in {unit}; received {value!r}")
    lo, hi = _float(lo), _float(hi)
    # NaN fails every comparison, so NaN at either end is refused here too.
    ok = (lo > lower if strict_lower else lo >= lower) and hi >= lo and math.isfinite(hi)
    if not ok:
        rule = f"{lower:g} {'<' if strict_lower else '<='} lo <= hi"
        raise ValueError(f"{name} must satisfy {rule} ({unit}, finite); received {value!r}")
    return (lo, hi)


def string(name: str, value, *, what: str = "a non-empty str", none: bool = False):
    """``value`` if it is a non-empty str; None passes if ``none``. ``what`` names the expected value."""
    if value is None and none:
        return None
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be {what}{_or_none(none)}; received {_received(value)}")
    return value
