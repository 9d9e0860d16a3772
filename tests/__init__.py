"""kerker's test suite, a package so that ``tests.reference`` is importable.

Because this file exists, pytest (default ``prepend`` import mode) puts the repository root
on ``sys.path`` when it loads ``tests/conftest.py``; tests then import the shared
references as ``from tests.reference import ...``. Benchmarks put the root there themselves.
"""
