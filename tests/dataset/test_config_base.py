"""The config base (kerker._config): dict round trip, unknown keys, and the validators' messages."""

import ast
import doctest
from dataclasses import dataclass
from pathlib import Path

import pytest

import kerker._config as base
from kerker._config import (
    Config,
    choice,
    int_tuple,
    integer,
    interval,
    number,
    number_tuple,
    positive_float,
    positive_int,
    probability,
    string,
)


@dataclass(frozen=True)
class Run(Config):
    epochs: int = 3
    widths: tuple[int, ...] = (8, 8)
    schedule: tuple[tuple[int, int], ...] = ((0, 16), (2, 32))
    mode: str = "a"
    note: str | None = None

    def __post_init__(self):
        self._check("epochs", positive_int)
        self._check("widths", int_tuple)
        self._check("mode", choice, ("a", "b"))
        self._check("note", string, none=True)


def test_round_trip_and_plain_dicts():
    run = Run(widths=[4, 5], mode="b")
    assert run.widths == (4, 5)  # normalised to a tuple
    data = run.to_dict()
    assert data == {"epochs": 3, "widths": [4, 5], "schedule": [[0, 16], [2, 32]], "mode": "b", "note": None}
    assert Run.from_dict(data) == run and Run.from_dict(data).schedule == ((0, 16), (2, 32))
    assert run.differences(Run()) == ["widths: [4, 5] -> [8, 8]", "mode: 'b' -> 'a'"]
    with pytest.raises(Exception):  # frozen
        run.epochs = 4


def test_unknown_keys_and_bad_input_are_named():
    with pytest.raises(ValueError, match=r"unknown Run fields \['epoch', 'lr'\]; known: \['epochs', 'mode', 'note', "
                                         r"'schedule', 'widths'\]"):
        Run.from_dict({"epoch": 3, "lr": 1.0})
    with pytest.raises(TypeError, match="Run.from_dict needs a dict of fields; received list"):
        Run.from_dict([("epochs", 3)])
    with pytest.raises(ValueError, match="Run.epochs must be a positive int; received 0"):
        Run.from_dict({"epochs": 0})
    with pytest.raises(ValueError, match=r"Run.mode must be one of \('a', 'b'\); received 'c'"):
        Run(mode="c")


@pytest.mark.parametrize(
    "call, err, message",
    [
        (lambda: integer("X.n", True), TypeError, "X.n must be an int; received True (bool)"),
        (lambda: integer("X.n", 1.0), TypeError, "X.n must be an int; received 1.0 (float)"),
        (lambda: integer("X.n", 5, minimum=0, maximum=3), ValueError, "X.n must be an int in [0, 3]; received 5"),
        (lambda: integer("X.n", -1, minimum=0, none=True), ValueError, "X.n must be an int >= 0 or None; received -1"),
        (lambda: positive_int("X.n", "3"), TypeError, "X.n must be a positive int; received '3' (str)"),
        (lambda: int_tuple("X.w", 8), TypeError, "X.w must be a sequence of positive ints; received 8 (int)"),
        (lambda: int_tuple("X.w", ()), ValueError, "X.w must not be empty; received ()"),
        (lambda: int_tuple("X.w", [], empty_rule="must name a layer"), ValueError, "X.w must name a layer; received []"),
        (lambda: int_tuple("X.w", (4, 0)), ValueError, "each entry of X.w must be a positive int; received 0"),
        (lambda: number("X.x", "1"), TypeError, "X.x must be a finite number; received '1' (str)"),
        (lambda: number("X.x", float("inf"), above=0), ValueError, "X.x must be a finite number > 0; received inf"),
        (lambda: positive_float("X.lr", 0.0), ValueError, "X.lr must be > 0; received 0.0"),
        (lambda: positive_float("X.env", -1, what="refractive index"), ValueError,
         "X.env (refractive index) must be > 0; received -1.0"),
        (lambda: probability("X.p", 1.5), ValueError, "X.p must be in [0, 1]; received 1.5"),
        (lambda: probability("X.b", 1.0, include_one=False), ValueError, "X.b must be in [0, 1); received 1.0"),
        (lambda: number_tuple("X.b", (0.5,), length=2), ValueError, "X.b must be 2 numbers; received (0.5,)"),
        (lambda: number_tuple("X.b", (0.5, 1.0), length=2, entry=probability, include_one=False), ValueError,
         "each entry of X.b must be in [0, 1); received 1.0"),
        (lambda: choice("X.c", 1, ("1", "2")), ValueError, "X.c must be one of ('1', '2'); received 1"),
        (lambda: interval("X.r", (5,), strict_lower=True), TypeError, "X.r must be two numbers (lo, hi) in nm; "
                                                                         "received (5,)"),
        (lambda: interval("X.r", (0, 5), strict_lower=True), ValueError,
         "X.r must satisfy 0 < lo <= hi (nm, finite); received (0, 5)"),
        (lambda: string("X.s", "", what="a path (str)"), TypeError, "X.s must be a path (str); received '' (str)"),
    ],
)
def test_validator_messages(call, err, message):
    with pytest.raises(err) as info:
        call()
    assert str(info.value) == message


def test_validators_normalise():
    assert integer("n", 3) == 3 and type(positive_float("x", 2)) is float
    assert int_tuple("w", [1, 2]) == (1, 2) and int_tuple("w", [], allow_empty=True) == ()
    assert number_tuple("b", [0, 0.9], length=2) == (0.0, 0.9)
    assert interval("r", [1, 2], strict_lower=True) == (1.0, 2.0)
    assert positive_int("n", None, none=True) is None


def test_doctests_and_no_kerker_imports():
    assert doctest.testmod(base).failed == 0
    tree = ast.parse(Path(base.__file__).read_text())
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert not [m for m in imported if m.split(".")[0] == "kerker"], imported
