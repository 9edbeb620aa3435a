"""Import a function app script and find its app object, as the Python worker does.

The worker imports the script (``function_app.py``) with the script's folder on ``sys.path``
and takes the one module-level instance of ``FunctionApp`` (or another function register);
none or several is an error.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from azure.functions.decorators.function_app import FunctionRegister

__all__ = ["FunctionAppLoadError", "load_function_app"]


class FunctionAppLoadError(Exception):
    """The script cannot be imported or defines no single function app."""


def load_function_app(script: Path) -> FunctionRegister:
    """Import ``script`` afresh and return its function app.

    Each call executes the script again, so each call yields a new app object: the
    decorators' ``get_functions()`` may be called only once per object.
    """
    script = script.resolve()
    if not script.is_file():
        raise FunctionAppLoadError(f"function app script {script} does not exist")
    folder = str(script.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(script.stem, script)
    if spec is None or spec.loader is None:
        raise FunctionAppLoadError(f"{script} is not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[script.stem] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(script.stem, None)
        raise FunctionAppLoadError(
            f"importing {script.name} failed: {type(error).__name__}: {error}"
        ) from error
    apps = [value for value in vars(module).values() if isinstance(value, FunctionRegister)]
    if len(apps) != 1:
        found = "no" if not apps else "more than one"
        raise FunctionAppLoadError(f"{script.name} defines {found} FunctionApp at module level")
    return apps[0]
