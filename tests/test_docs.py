"""Every ```python block in README.md and docs/**/*.md runs.

The blocks of one file run in order in one shared namespace (a later block may use the
names of an earlier one), with a fresh temporary directory as the working directory, so a
block that writes ``data/...`` or ``results/...`` writes nothing into the repository. Each
block is its own test, named ``<file>:block<i>:line<n>``; a traceback points at the
markdown file's own line numbers.

A block that cannot run in the test suite (it needs the full 122,500-particle dataset or a
long run) is opted out, visibly, by an HTML comment on the line before its fence::

    <!-- docs-test: skip (needs the 122,500-particle dataset) -->

The reason is required and is reported as the skip reason. Any other ``docs-test:``
comment is an error, so a misspelt opt-out cannot silently disable a block.
"""

from __future__ import annotations

import linecache
import re
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

# fences (also indented, inside list items): three or more backticks or tildes, closed by
# at least as many of the same character
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# a directive is an HTML comment on a line of its own
_DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test\b(?P<body>.*?)-->\s*$")
_SKIP = re.compile(r"^:\s*skip\s*\((?P<reason>[^()]*\S[^()]*)\)\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    index: int  # 0-based among the file's python blocks
    line: int  # 1-based line of the first code line
    code: str
    skip: str | None  # opt-out reason

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:block{self.index}:line{self.line}"


def _is_python(info: str) -> bool:
    return info.split()[:1] in (["python"], ["py"], ["python3"])


def parse(path: Path) -> list[Block]:
    """The python blocks of one markdown file; ValueError on malformed fences or directives."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rel = path.relative_to(ROOT).as_posix()
    blocks: list[Block] = []
    skip: str | None = None  # reason of an opt-out waiting for its block
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if m and m.group("fence")[0] == "`" and "`" in m.group("info"):
            m = None  # an inline code span such as ```` ``` ````, not a fence
        if not m:
            if lines[i].lstrip().startswith("<!--") and "docs-test" in lines[i]:
                d = _DIRECTIVE.match(lines[i])
                s = _SKIP.match(d.group("body").strip()) if d else None
                if s is None:
                    raise ValueError(
                        f"{rel}:{i + 1}: malformed docs-test directive {lines[i].strip()!r}; the only one is "
                        "'<!-- docs-test: skip (reason) -->' on the line before a ```python fence"
                    )
                skip = s.group("reason").strip()
            elif lines[i].strip() and skip is not None:
                raise ValueError(f"{rel}:{i + 1}: a docs-test skip directive must stand right before a ```python fence")
            i += 1
            continue
        indent, fence, info = m.group("indent"), m.group("fence"), m.group("info").strip()
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        start = i
        i += 1
        while i < len(lines) and not close.match(lines[i]):
            i += 1
        if i == len(lines):
            raise ValueError(f"{rel}:{start + 1}: code fence ```{info} is never closed")
        if _is_python(info):
            body = lines[start + 1 : i]
            if any(ln.strip() and not ln.startswith(indent) for ln in body):
                raise ValueError(f"{rel}:{start + 2}: a line of this python block is indented less than its fence")
            code = "\n".join(ln[len(indent) :] for ln in body)
            blocks.append(Block(path, len(blocks), start + 2, code, skip))
        elif skip is not None:
            raise ValueError(f"{rel}:{start + 1}: a docs-test skip directive stands before a ```{info} block")
        skip = None
        i += 1
    if skip is not None:
        raise ValueError(f"{rel}: a docs-test skip directive at the end of the file has no block")
    return blocks


def _collect() -> tuple[list[Block], list[tuple[Path, str]]]:
    blocks, errors = [], []
    for path in DOC_FILES:
        try:
            blocks.extend(parse(path))
        except ValueError as err:
            errors.append((path, str(err)))
    return blocks, errors


BLOCKS, PARSE_ERRORS = _collect()


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_markdown_fences_and_directives_are_well_formed(path):
    for p, err in PARSE_ERRORS:
        if p == path:
            pytest.fail(err, pytrace=False)


def test_the_docs_have_python_blocks():
    # guards the discovery itself: README and docs/ hold runnable examples
    files = {b.path for b in BLOCKS}
    assert ROOT / "README.md" in files
    assert len(files) >= 5, sorted(str(f) for f in files)


class _FileRun:
    """The shared namespace and working directory of one markdown file's blocks."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.namespace: dict = {"__name__": "__docs__"}
        self.done: set[int] = set()
        self.failed: Block | None = None


_RUNS: dict[Path, _FileRun] = {}


def _python_only(path: Path) -> str:
    """The markdown file with every line blanked except those of its python blocks."""
    lines = [""] * len(path.read_text(encoding="utf-8").splitlines())
    for b in BLOCKS:
        if b.path == path:
            for k, ln in enumerate(b.code.splitlines()):
                lines[b.line - 1 + k] = ln
    return "\n".join(lines) + "\n"


def _shift_lines(code: types.CodeType, by: int) -> types.CodeType:
    # line numbers are stored relative to co_firstlineno, also in nested functions' code
    consts = tuple(_shift_lines(c, by) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + by, co_consts=consts)


def _execute(block: Block, run: _FileRun, monkeypatch) -> None:
    __tracebackhide__ = True  # the traceback starts in the markdown file
    # the code is numbered by its markdown lines, so tracebacks name those; the file's
    # python-only text goes into linecache so that they show this block, not the prose
    filename = str(block.path)
    text = _python_only(block.path)
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    code = _shift_lines(compile(block.code, filename, "exec"), block.line - 1)
    with monkeypatch.context() as m:
        m.chdir(run.workdir)
        try:
            exec(code, run.namespace)
        except BaseException:
            run.failed = block
            raise
        finally:
            run.done.add(block.index)


def _refuse_after_failure(run: _FileRun) -> None:
    if run.failed is not None:
        pytest.fail(f"an earlier block of this file failed ({run.failed.name}); fix that one first", pytrace=False)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_doc_block_runs(block, tmp_path_factory, monkeypatch):
    __tracebackhide__ = True
    run = _RUNS.get(block.path)
    if run is None:
        workdir = tmp_path_factory.mktemp(re.sub(r"\W", "_", block.path.relative_to(ROOT).as_posix()))
        run = _RUNS[block.path] = _FileRun(workdir)
    # a block selected on its own (pytest -k) first runs the blocks above it
    for earlier in BLOCKS:
        if earlier.path != block.path or earlier.index >= block.index:
            continue
        _refuse_after_failure(run)
        if earlier.skip is None and earlier.index not in run.done:
            _execute(earlier, run, monkeypatch)
    _refuse_after_failure(run)
    if block.skip is not None:
        pytest.skip(f"{block.name} opted out in the markdown: {block.skip}")
    if block.index in run.done:
        return
    _execute(block, run, monkeypatch)
