"""The deployment package is the app and nothing else.

azd (1.18 and later) and Core Tools zip the project folder less what ``.funcignore`` names,
read with gitignore rules (azd uses a gitignore library for it: Azure/azure-dev #4381,
#5383). This lists the package the same way, with pathspec's gitignore rules, from the
folder as it stands (virtualenvs, caches and symlinks included), and holds it to the app:
function_app.py, host.json, requirements.txt and every module function_app.py imports at
run time, through its imports, and the page its ``web_page`` function serves (web/, with the
browser bundles and the JS client that scripts/build-web.mjs copies in before packaging).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pathspec
import pytest

from devstack.stack import build_web

ROOT = Path(__file__).resolve().parents[2]
#: The files the platform reads besides the code: the host's settings, and the dependencies
#: the remote build installs.
PLATFORM_FILES = {"host.json", "requirements.txt"}
ENTRY = "function_app.py"
#: docchat's code is about 0.5 MB and its page 0.3 MB; a package far past that carries
#: something it should not.
MAX_BYTES = 2_000_000
#: The page's folder, served by functions/web.py: it ships whole but for its tooling.
WEB = "web"
#: What the page loads (web/index.html names them), which must all be in the package.
PAGE_FILES = {
    "web/index.html",
    "web/styles.css",
    "web/favicon.svg",
    "web/js/app.js",
    "web/vendor/signalr.min.js",
    "web/vendor/web-pubsub-client.js",
    "web/lib/docchat-client/index.js",
}
#: web/'s tooling, which stays behind: Node's module marker for tests/web, TypeScript's types.
WEB_TOOLING = ("web/package.json", "web/js/globals.d.ts")


@pytest.fixture(scope="module")
def built() -> None:
    """web/vendor and web/lib, as azd's prepackage hook fills them."""
    build_web(ROOT, timeout=60)


def ignore_rules(root: Path) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines((root / ".funcignore").read_text().splitlines())


def package(root: Path) -> list[str]:
    """The files the package holds, as paths relative to root. An ignored folder is not
    entered (gitignore: nothing under it can be taken back); a symlink is an entry of its
    own, folder or not, as a zip walk that does not follow links sees it."""
    rules = ignore_rules(root)
    shipped: list[str] = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root)
        kept = []
        for name in sorted(dirs):
            path = (base / name).as_posix()
            if (root / path).is_symlink():
                files.append(name)
            elif not rules.match_file(path + "/"):
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = (base / name).as_posix()
            suffix = "/" if (root / path).is_dir() else ""
            if not rules.match_file(path + suffix):
                shipped.append(path)
    return sorted(shipped)


def local_imports(root: Path, entry: str) -> set[str]:
    """The project's own modules entry imports, directly or through them, as file paths."""
    found: set[str] = set()
    pending = [entry]
    while pending:
        path = pending.pop()
        if path in found:
            continue
        found.add(path)
        tree = ast.parse((root / path).read_text(), filename=path)
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            pending.extend(module for name in names if (module := _module_file(root, name)))
    return found


def _module_file(root: Path, dotted: str) -> str | None:
    parts = dotted.split(".")
    for candidate in (Path(*parts).with_suffix(".py"), Path(*parts) / "__init__.py"):
        if (root / candidate).is_file():
            return candidate.as_posix()
    return None


def test_the_package_is_the_app_and_everything_it_imports(built: None) -> None:
    shipped = set(package(ROOT))
    needed = local_imports(ROOT, ENTRY) | PLATFORM_FILES
    assert needed <= shipped, sorted(needed - shipped)
    # A module of one of those packages that nothing imports may ship with its package.
    packages = {path.split("/")[0] for path in needed if "/" in path}
    whole = {path for path in shipped if path.split("/")[0] in packages and path.endswith(".py")}
    page = {path for path in shipped if path.split("/")[0] == WEB}
    assert shipped <= needed | whole | page, sorted(shipped - needed - whole - page)


def test_the_package_holds_the_page_and_what_it_loads_but_not_its_tooling(built: None) -> None:
    shipped = set(package(ROOT))
    assert shipped >= PAGE_FILES, sorted(PAGE_FILES - shipped)
    assert not shipped & set(WEB_TOOLING)
    page = (ROOT / "web" / "index.html").read_text()
    for loaded in ("/styles.css", "/vendor/signalr.min.js", "/js/", "/lib/docchat-client/"):
        assert f'"{loaded}' in page, loaded


def test_the_app_spans_the_eight_packages() -> None:
    """What the comment in .funcignore and docs/deploy.md say the app is."""
    tops = {path.split("/")[0] for path in local_imports(ROOT, ENTRY) if "/" in path}
    assert tops == {
        "functions",
        "chat",
        "realtime",
        "storage",
        "webhooks",
        "telemetry",
        "signalr",
        "shared",
    }


def test_the_package_stays_small(built: None) -> None:
    size = sum((ROOT / path).stat().st_size for path in package(ROOT))
    assert 0 < size < MAX_BYTES, size


@pytest.mark.parametrize(
    "stray",
    [
        ".venv-checkov/bin/checkov",
        ".venv/lib/site.py",
        "chat/__pycache__/store.cpython-311.pyc",
        "scripts/wire-realtime.sh",
        "requirements-checkov.txt",
        "local.settings.json",
        "node_modules/x/index.js",
        ".azure/dev/.env",
    ],
)
def test_local_things_stay_behind(tmp_path: Path, stray: str) -> None:
    (tmp_path / ".funcignore").write_text((ROOT / ".funcignore").read_text())
    for path in (ENTRY, stray):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    assert package(tmp_path) == [ENTRY]


def test_a_symlinked_virtualenv_stays_behind(tmp_path: Path) -> None:
    """As in a git worktree whose .venv-checkov links to a shared one."""
    root, shared = tmp_path / "project", tmp_path / "shared"
    (shared / "bin").mkdir(parents=True)
    (shared / "bin" / "checkov").write_text("x")
    root.mkdir()
    (root / ".funcignore").write_text((ROOT / ".funcignore").read_text())
    (root / ".venv-checkov").symlink_to(shared, target_is_directory=True)
    (root / ENTRY).write_text("x")
    assert package(root) == [ENTRY]
