"""Reading a run directory's JSON documents that anyone may have edited or damaged: whatever is
off is one RunFileError naming the file and the field, never an exception from deep inside a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt, ValidationError

from harness.config import first_error
from harness.rundir import RunFileError

# A number or null, never a string or a boolean (JSON's true is no figure).
Figure = StrictFloat | StrictInt | None


class Open(BaseModel):
    """Fields soak reads are checked; anything else a document carries is kept as it is."""

    model_config = ConfigDict(extra="allow", frozen=True)


Doc = TypeVar("Doc", bound=BaseModel)


def require_run_dir(run_dir: Path) -> None:
    if not run_dir.is_dir():
        what = "a file" if run_dir.exists() else "missing"
        raise RunFileError(f"not a run directory: {run_dir} is {what}")


def read_json(path: Path, missing: str) -> Any:
    """The parsed file; `missing` is the message when it does not exist."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFileError(missing) from None
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise RunFileError(f"{path}: not valid JSON ({str(exc)[:120]})") from None


def checked(model: type[Doc], data: Any, where: str) -> Doc:
    """data as the model, or a RunFileError naming where and the first field that is off."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RunFileError(f"{where}: {first_error(exc, root='document')}") from None
