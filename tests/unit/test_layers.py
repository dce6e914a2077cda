"""The layer rules of DESIGN.md, checked by parsing every import (``ast``, nothing is imported).

One dependency direction, top to bottom: pages and the router → tracker.ui / tracker.cli →
services → models and db; the pure layers (analysis, reports, charts, io) know no database,
no Streamlit and no caller above them. A violation is reported as ``file:line``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DATABASE = (
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "sqlite3",
    "tracker.db",
    "tracker.migrate",
    "tracker.migrations",
    "tracker.models",
)


def _under(*prefixes: str) -> Callable[[str], bool]:
    return lambda path: any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def _is_streamlit_side(path: str) -> bool:
    return path == "streamlit_app.py" or _under("tracker/ui", "pages")(path)


def _is_pure(path: str) -> bool:
    return _under("tracker/analysis", "tracker/reports", "tracker/io")(path) or path.startswith(
        "tracker/charts"
    )


@dataclass(frozen=True)
class Rule:
    name: str
    applies_to: Callable[[str], bool]
    forbidden: tuple[str, ...]


RULES = (
    Rule(
        "only tracker/ui, pages/ and streamlit_app.py import streamlit",
        lambda path: not _is_streamlit_side(path),
        ("streamlit",),
    ),
    Rule(
        "analysis, reports, charts and io are pure: no database, services, UI or CLI",
        _is_pure,
        (*DATABASE, "tracker.services", "tracker.ui", "tracker.cli"),
    ),
    Rule(
        "services, models, db (all of tracker below ui/cli) never import tracker.ui or tracker.cli",
        lambda path: path.startswith("tracker/") and not _under("tracker/ui", "tracker/cli")(path),
        ("tracker.ui", "tracker.cli"),
    ),
    Rule(
        "the CLI does not import the Streamlit UI",
        _under("tracker/cli"),
        ("tracker.ui",),
    ),
    Rule(
        "the Streamlit UI does not import the CLI",
        _under("tracker/ui", "pages", "streamlit_app.py"),
        ("tracker.cli",),
    ),
    Rule(
        "pages go through services and tracker.ui, never the database directly",
        _under("pages"),
        DATABASE,
    ),
)


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    module: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.module} ({self.rule})"


def _module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, path: str) -> Iterator[tuple[int, str]]:
    """Every module a file may import, with its line: ``import a.b``, ``from a import b``
    (both ``a`` and ``a.b``, since b may be a submodule), relative imports resolved, and
    ``importlib.import_module("x")`` / ``__import__("x")`` with a literal name."""
    package = _module_name(path).split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{module}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _matches(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(forbidden + ".")


def check_layers(root: Path, files: Iterable[Path] | None = None) -> list[Violation]:
    """All layer violations in ``files`` (default: tracker/, pages/ and streamlit_app.py)."""
    if files is None:
        files = python_files(root)
    violations = []
    for file in files:
        path = file.relative_to(root).as_posix()
        rules = [rule for rule in RULES if rule.applies_to(path)]
        if not rules:
            continue
        seen = set()
        for line, module in imported_modules(file.read_text(encoding="utf-8"), path):
            for rule in rules:
                for forbidden in rule.forbidden:
                    key = (line, forbidden, rule.name)
                    if _matches(module, forbidden) and key not in seen:
                        seen.add(key)
                        violations.append(Violation(path, line, module, rule.name))
    return violations


def python_files(root: Path) -> list[Path]:
    files = sorted((root / "tracker").rglob("*.py")) + sorted((root / "pages").rglob("*.py"))
    app = root / "streamlit_app.py"
    return files + ([app] if app.exists() else [])


# --------------------------------------------------------------------------- the project
def test_the_project_keeps_its_layers():
    violations = check_layers(PROJECT_ROOT)
    assert violations == [], "layer violations:\n" + "\n".join(map(str, violations))


def test_the_check_sees_the_whole_project():
    paths = {f.relative_to(PROJECT_ROOT).as_posix() for f in python_files(PROJECT_ROOT)}
    assert {"tracker/models.py", "tracker/db.py", "tracker/services/pilots.py"} <= paths


# --------------------------------------------------------------------------- the checker itself
# (case, planted file, its source, line and module of the expected violation)
PLANTED = [
    ("streamlit in services", "tracker/services/x.py", "import streamlit as st\n", 1, "streamlit"),
    ("streamlit in models", "tracker/models.py", "\nfrom streamlit import cache\n", 2, "streamlit"),
    ("streamlit in the CLI", "tracker/cli/x.py", "import streamlit\n", 1, "streamlit"),
    (
        "sqlmodel in analysis",
        "tracker/analysis/its.py",
        "from sqlmodel import Session\n",
        1,
        "sqlmodel",
    ),
    (
        "sqlalchemy in reports",
        "tracker/reports/md.py",
        "import sqlalchemy.orm\n",
        1,
        "sqlalchemy.orm",
    ),
    (
        "db in charts.py",
        "tracker/charts.py",
        "from tracker.db import make_engine\n",
        1,
        "tracker.db",
    ),
    ("db via from-import", "tracker/charts/line.py", "from tracker import db\n", 1, "tracker.db"),
    (
        "services in io",
        "tracker/io/csv.py",
        "from tracker.services import audit\n",
        1,
        "tracker.services",
    ),
    ("models in io", "tracker/io/csv.py", "import tracker.models as m\n", 1, "tracker.models"),
    ("streamlit in analysis", "tracker/analysis/x.py", "import streamlit\n", 1, "streamlit"),
    ("relative import of db", "tracker/io/x.py", "from .. import db\n", 1, "tracker.db"),
    (
        "relative import of services",
        "tracker/io/x.py",
        "from ..services import pilots\n",
        1,
        "tracker.services",
    ),
    (
        "ui in services",
        "tracker/services/x.py",
        "from tracker.ui import widgets\n",
        1,
        "tracker.ui",
    ),
    (
        "cli in db",
        "tracker/db.py",
        "from tracker.cli.common import actor\n",
        1,
        "tracker.cli.common",
    ),
    (
        "ui inside a function",
        "tracker/services/x.py",
        "def f():\n    import tracker.ui\n",
        2,
        "tracker.ui",
    ),
    (
        "dynamic import",
        "tracker/models.py",
        "import importlib\nimportlib.import_module('streamlit')\n",
        2,
        "streamlit",
    ),
    ("sqlmodel in a page", "pages/home.py", "from sqlmodel import select\n", 1, "sqlmodel"),
    ("db in a page", "pages/home.py", "from tracker.db import session_scope\n", 1, "tracker.db"),
    (
        "models in a page",
        "pages/home.py",
        "from tracker.models import Pilot\n",
        1,
        "tracker.models",
    ),
    ("ui in the CLI", "tracker/cli/x.py", "from tracker.ui import tables\n", 1, "tracker.ui"),
]


@pytest.mark.parametrize(
    ("path", "source", "line", "module"),
    [case[1:] for case in PLANTED],
    ids=[case[0] for case in PLANTED],
)
def test_the_checker_catches_a_planted_violation(tmp_path, path, source, line, module):
    planted = tmp_path / path
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(source, encoding="utf-8")
    found = [str(v).split(" (")[0] for v in check_layers(tmp_path, [planted])]
    assert f"{path}:{line}: imports {module}" in found


# (case, file, source) that the rules allow
ALLOWED = [
    ("streamlit in tracker/ui", "tracker/ui/widgets.py", "import streamlit as st\n"),
    ("streamlit in a page", "pages/home.py", "import streamlit as st\n"),
    ("streamlit in the router", "streamlit_app.py", "import streamlit as st\n"),
    (
        "services in a page",
        "pages/home.py",
        "from tracker.services.pilots import list_pilot_summaries\n",
    ),
    ("db in tracker/ui", "tracker/ui/data.py", "from tracker.db import session_scope\n"),
    ("models in services", "tracker/services/x.py", "from tracker.models import Pilot\n"),
    ("analysis in services", "tracker/services/x.py", "from tracker.analysis import its\n"),
    ("pandas in analysis", "tracker/analysis/its.py", "import pandas as pd\n"),
    ("errors and i18n in io", "tracker/io/x.py", "from tracker.errors import ValidationError\n"),
    ("a name that only starts alike", "tracker/io/x.py", "import sqlmodel_helpers\n"),
    ("services in the CLI", "tracker/cli/x.py", "from tracker.services import pilots\n"),
]


@pytest.mark.parametrize(
    ("path", "source"), [case[1:] for case in ALLOWED], ids=[case[0] for case in ALLOWED]
)
def test_the_checker_allows_what_the_layers_allow(tmp_path, path, source):
    planted = tmp_path / path
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(source, encoding="utf-8")
    assert check_layers(tmp_path, [planted]) == []


def test_the_checker_reports_file_and_line(tmp_path):
    planted = tmp_path / "tracker" / "reports" / "docx.py"
    planted.parent.mkdir(parents=True)
    planted.write_text('"""Doc."""\n\nimport json\nimport streamlit\n', encoding="utf-8")
    [violation] = [v for v in check_layers(tmp_path, [planted]) if v.module == "streamlit"]
    assert str(violation).startswith("tracker/reports/docx.py:4: imports streamlit")
