"""What other packages contribute to the monthly monitoring (SPEC §8): their reviews, counted per town.

Reports register here (``backend.reports.review``); repairs and objections register the same way. This
module imports nothing of theirs, so any package can register without an import cycle.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Period:
    """A month as the figures see it: [start, end) as UTC instants, the moment the stock figures are taken
    (``as_of``: the end, or now for the running month) and the Asia/Shanghai date due dates are compared
    with (a review due on the month's last day is overdue at its end)."""

    month: str
    start: datetime
    end: datetime
    as_of: datetime
    on: date

    @property
    def complete(self) -> bool:
        return self.as_of == self.end


@dataclass(frozen=True)
class ReviewCounts:
    filed: int = 0
    decided: int = 0
    overdue: int = 0

    def __add__(self, other: "ReviewCounts") -> "ReviewCounts":
        return ReviewCounts(self.filed + other.filed, self.decided + other.decided, self.overdue + other.overdue)


# A source answers, for a period: {town id or None: ReviewCounts}. None holds what belongs to no known town.
ReviewSource = Callable[[Period], dict[int | None, ReviewCounts]]
_review_sources: dict[str, ReviewSource] = {}
_review_labels: dict[str, object] = {}


def register_review_source(name: str, counts: ReviewSource, label=None) -> None:
    """Let a package contribute a kind of review to the figures and the overdue warnings (reports register
    as ``reports``; repairs and objections as ``repairs`` and ``objections``). ``counts(period)`` answers
    per town with aggregate SQL: filed and decided within [period.start, period.end), and overdue as of
    ``period.as_of`` (still open then, and past a due date before ``period.on``). ``label`` names the kind
    of review in a warning's text (a ``_()`` message); without it the name is shown."""
    _review_sources[name] = counts
    _review_labels[name] = label or name


def review_label(name: str) -> str:
    """What a warning calls the kind of review ``name``, in the reader's language."""
    return str(_review_labels.get(name, name))


def review_sources() -> dict[str, ReviewSource]:
    return dict(_review_sources)


