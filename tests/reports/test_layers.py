"""The apps depend one way: outbox <- surveys <- feedback <- followups <- reports. A lower app never
imports a higher one, names it in a string (a dotted path, a URL name) or includes,
extends or links to its templates by name. What calls what is an import you can follow."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["outbox", "surveys", "feedback", "followups", "reports"]  # each may use the ones before it

TEMPLATE_NAME = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"']+)["']""")
URL_NAME = re.compile(r"""{%\s*url\s+["']([^"']+)["']""")


def _higher(app: str) -> list[str]:
    return APPS[APPS.index(app) + 1:]


def _names_higher(text: str, higher: list[str]) -> bool:
    """A dotted path (`followups.services.x`), URL name (`reports:org_home`) or template
    path (`reports/_rollup.html`) of a higher app."""
    return any(re.match(rf"{app}([.:/]|$)", text) for app in higher)


def _python_files(app: str):
    # Migrations are history: the one that moved the outbox's rows names their old handlers.
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("app", APPS[:-1])
def test_no_import_or_string_reaches_a_higher_app(app):
    higher = _higher(app)
    found = []
    for path in _python_files(app):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value]
            else:
                continue
            found += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in names if _names_higher(n, higher)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("app", APPS[:-1])
def test_no_template_reaches_a_higher_app(app):
    higher = _higher(app)
    found = []
    for path in sorted((ROOT / "templates" / app).rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text()
        for name in TEMPLATE_NAME.findall(text) + URL_NAME.findall(text):
            if _names_higher(name, higher):
                found.append(f"{path.relative_to(ROOT)}: {name}")
    assert not found, "\n".join(found)


def test_no_template_slot_or_tag_that_queries():
    """No optional slot fills a page from another app, and no template tag library reads the
    database: the views pass what the templates show."""
    for path in ROOT.glob("*/templatetags/*.py"):
        text = path.read_text()
        assert "get_template" not in text and ".objects" not in text and "selectors" not in text, path
    for path in (ROOT / "templates").rglob("*.html"):
        assert "optional_include" not in path.read_text(), path


def test_the_checks_see_a_violation():
    assert _names_higher("followups.services.x", ["followups", "reports"])
    assert _names_higher("reports:org_home", ["reports"]) and _names_higher("reports/_rollup.html", ["reports"])
    assert not _names_higher("feedback:inbox", ["followups", "reports"])
    assert not _names_higher("reportsx.y", ["reports"])
