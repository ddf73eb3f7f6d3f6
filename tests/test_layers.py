"""The layers of bot/ hold: only bot.discordbot imports discord, and no layer imports one above it.

The README's map of the tree says the same in prose; this test is what keeps it true. Every import
counts, at module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "bot"

# package -> the packages of bot/ its modules may import (each may import itself).
MAY_IMPORT = {
    "bot.archive": set(),
    "bot.feeds": {"bot.archive"},
    "bot.services": {"bot.archive", "bot.feeds"},
    "bot.discordbot": {"bot.archive", "bot.feeds", "bot.services", "bot.config"},
    "bot.cli": {"bot.archive", "bot.feeds", "bot.services", "bot.discordbot", "bot.config"},
    "bot.config": {"bot.archive"},
}
DISCORD_PACKAGE = "bot.discordbot"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module a file's source imports, relative imports resolved."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def layer(module: str) -> str | None:
    for candidate in sorted(MAY_IMPORT, key=len, reverse=True):
        if module == candidate or module.startswith(candidate + "."):
            return candidate
    return None


def violations(module: str, targets: set[str]) -> list[str]:
    own = layer(module)
    if own is None:
        return []  # bot/__init__.py and __main__.py
    allowed = MAY_IMPORT[own] | {own}
    found = []
    for target in sorted(targets):
        if target.split(".")[0] == "discord" and own != DISCORD_PACKAGE:
            found.append(f"{module} imports {target}")
        other = layer(target) if target.startswith("bot.") else None
        if other is not None and other not in allowed:
            found.append(f"{module} ({own}) imports {target} ({other})")
    return found


MODULES = sorted(ROOT.rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    loose = [module_name(path) for path in MODULES if layer(module_name(path)) is None]
    assert set(loose) <= {"bot", "bot.__main__"}, f"modules outside every layer: {loose}"


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_imports_follow_the_layers(path):
    module = module_name(path)
    targets = imported(
        path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
    )
    assert violations(module, targets) == []


def test_an_import_inside_a_function_is_a_violation_too():
    source = "def late():\n    import discord\n    from ..feeds import models\n"
    targets = imported(source, "bot.archive.probe")
    assert violations("bot.archive.probe", targets) == [
        "bot.archive.probe (bot.archive) imports bot.feeds (bot.feeds)",
        "bot.archive.probe (bot.archive) imports bot.feeds.models (bot.feeds)",
        "bot.archive.probe imports discord",
    ]
    assert violations("bot.discordbot.probe", imported(source, "bot.discordbot.probe")) == []


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_every_module_says_what_it_is_for_and_may_import(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{module_name(path)} has no docstring"
    assert "may import" in doc.lower(), f"{module_name(path)}: say what it may import"
