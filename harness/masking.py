"""The secrets of a run (the bot token, the webhook and callback secrets, the ElevenLabs key, and
every [target.env] value whose name looks secret) masked in what soak writes, since run
directories end up as CI artifacts; and the one file the mocks must read them from, kept private."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import TargetSection

SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|AUTH", re.IGNORECASE)
# Valid wherever the masked value was (the token and secret fields have patterns), so a masked
# run.json still validates when `soak report` reads it back.
MASK = "__masked__"
# A shorter value is masked where it is named (a field, an env variable) but not in free text,
# where it would mangle ordinary words.
MIN_TEXT_MASK_CHARS = 6


def looks_secret(name: str) -> bool:
    return SECRET_NAME.search(name) is not None


@dataclass(frozen=True)
class Secrets:
    values: tuple[str, ...] = ()  # longest first, so a secret containing another is masked whole

    @classmethod
    def of(cls, values: Iterable[str]) -> Secrets:
        return cls(tuple(sorted({v for v in values if v and v != MASK}, key=len, reverse=True)))

    @classmethod
    def of_target(cls, target: TargetSection) -> Secrets:
        named = [target.telegram_token, target.webhook_secret, target.callback_secret, target.elevenlabs_api_key]
        return cls.of([*named, *(value for name, value in target.env.items() if looks_secret(name))])

    def text(self, text: str) -> str:
        for value in self.values:
            if len(value) >= MIN_TEXT_MASK_CHARS:
                text = text.replace(value, MASK)
        return text

    def data(self, data: Any) -> Any:
        """A copy of a JSON-like document: strings under secret-looking keys, and any known
        secret inside any string, masked."""
        if isinstance(data, Mapping):
            return {key: self._field(str(key), value) for key, value in data.items()}
        if isinstance(data, list | tuple):
            return [self.data(item) for item in data]
        if isinstance(data, str):
            return self.text(data)
        return data

    def _field(self, key: str, value: Any) -> Any:
        if isinstance(value, str) and value and looks_secret(key):
            return MASK
        return self.data(value)

    def file(self, path: Path) -> bool:
        """Mask a file in place, line by line (a night's log does not fit in memory twice);
        True when something was masked."""
        needles = [(v.encode(), MASK.encode()) for v in self.values if len(v) >= MIN_TEXT_MASK_CHARS]
        if not needles or not path.is_file():
            return False
        partial = path.with_name(path.name + ".masking")
        changed = False
        with path.open("rb") as source, partial.open("wb") as target:
            for line in source:
                masked = line
                for needle, mask in needles:
                    masked = masked.replace(needle, mask)
                changed = changed or masked != line
                target.write(masked)
        if changed:
            os.replace(partial, path)
        else:
            partial.unlink()
        return changed

    def run_files(self, run_dir: Path) -> list[str]:
        """Mask the outputs soak captured from its processes (target, mocks, Redis, Locust, proxy)
        and the events log, once they have stopped; the names of the files that held a secret."""
        paths = [*sorted(run_dir.glob("*.log")), run_dir / "events.jsonl"]
        return [path.name for path in paths if self.file(path)]


def write_private(path: Path, text: str) -> None:
    """A file only our user can read (0600 from its creation, never briefly wider)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
