"""multipart/form-data bodies split into named parts; None for a body that breaks the format."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    filename: str | None
    data: bytes


def _param(header_value: str, header: str, name: str) -> str | None:
    message = Message()
    message[header] = header_value
    value = message.get_param(name, header=header)
    return value if isinstance(value, str) else None


def boundary_of(content_type: str) -> str | None:
    if not content_type.lower().startswith("multipart/"):
        return None
    return _param(content_type, "content-type", "boundary")


def parse(body: bytes, content_type: str) -> list[Part] | None:
    """Every part in order; None without a boundary, a closing delimiter or a named disposition."""
    boundary = boundary_of(content_type)
    if not boundary:
        return None
    delimiter = b"--" + boundary.encode("latin-1")
    position = body.find(delimiter)
    if position < 0:
        return None
    parts = []
    position += len(delimiter)
    while not body.startswith(b"--", position):
        if not body.startswith(b"\r\n", position):
            return None
        end = body.find(b"\r\n" + delimiter, position + 2)
        if end < 0:
            return None
        part = _part(body[position + 2 : end])
        if part is None:
            return None
        parts.append(part)
        position = end + 2 + len(delimiter)
    return parts


def _part(raw: bytes) -> Part | None:
    head, separator, data = raw.partition(b"\r\n\r\n")
    if not separator:
        return None
    disposition = ""
    for line in head.decode("latin-1").split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-disposition":
            disposition = value.strip()
    name = _param(disposition, "content-disposition", "name") if disposition else None
    if not name:
        return None
    return Part(name=name, filename=_param(disposition, "content-disposition", "filename"), data=data)


def form(body: bytes, content_type: str) -> dict[str, str | Part] | None:
    """Parts by name: text parts decoded, file parts (with a filename) as they are; None if unreadable."""
    parts = parse(body, content_type)
    if parts is None:
        return None
    fields: dict[str, str | Part] = {}
    try:
        for part in parts:
            fields[part.name] = part if part.filename is not None else part.data.decode()
    except UnicodeDecodeError:
        return None
    return fields
