"""Where uploaded files live: one interface, a local-disk implementation by default.

Every domain reads and writes files through ``storage()``; nothing else knows where they are, and no
file is ever reachable by a public URL (staff fetch attachments through authorised endpoints).

An S3-compatible store (MinIO, a cloud bucket) plugs in here: write a class with the three methods of
``Storage`` (``put`` streaming a file object up with ``upload_fileobj``, ``open`` returning the object's
streaming body, ``delete``), and return it from ``build_storage`` when the configuration names a bucket.
Keys are random and carry no personal data, so they can serve as object names unchanged.
"""

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

EXTENSION = "chengxin.uploads.storage"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CHUNK = 1024 * 1024


class Storage(Protocol):
    def put(self, key: str, source: BinaryIO) -> None:
        """Store the whole of ``source`` (read from its current position) under ``key``."""

    def open(self, key: str) -> BinaryIO:
        """The stored file for reading; ``FileNotFoundError`` when there is none."""

    def delete(self, key: str) -> None:
        """Remove the file; a missing one is not an error."""


class LocalDiskStorage:
    """Files under a folder of the instance path, two levels of sub-folders by key."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    def put(self, key: str, source: BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside its place and renamed, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def build_storage(config) -> Storage:
    """The storage of this configuration: local disk under ``<instance>/uploads``."""
    return LocalDiskStorage(Path(config["INSTANCE_PATH"]) / "uploads")


def storage() -> Storage:
    """The app's storage, built on first use."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        found = current_app.extensions[EXTENSION] = build_storage(current_app.config)
    return found
