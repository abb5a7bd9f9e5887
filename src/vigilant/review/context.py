"""What the review services share: the database, the sealing key, the clock, the reader, the classifier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from vigilant.review.classifier import Scorer
from vigilant.review.media import Reader, read_files
from vigilant.security.secretbox import SecretBox
from vigilant.store import Database
from vigilant.store.models import utcnow


@dataclass(frozen=True)
class ReviewContext:
    db: Database
    box: SecretBox  # seals thumbnails at rest (the installation key, as for TOTP seeds)
    clock: Callable[[], datetime] = utcnow
    reader: Reader = field(default=read_files)  # reads files back from the evidence, read-only
    # Orders new pictures in the queue (classifier.installed_classifier() where the extra is installed);
    # None: the queue is ordered by the library, camera and folder factors alone.
    classifier: Scorer | None = None
