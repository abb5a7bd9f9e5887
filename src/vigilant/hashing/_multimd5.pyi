from collections.abc import Sequence
from typing import Final

LANES: Final[int]
KERNELS: Final[tuple[str, ...]]

class Md5:
    def __init__(self) -> None: ...
    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...
    def digest(self) -> bytes: ...

def update_many(
    pairs: Sequence[tuple[Md5, bytes | bytearray | memoryview]], kernel: str | None = None
) -> None: ...
