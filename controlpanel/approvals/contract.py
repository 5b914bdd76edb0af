"""The one contract every approval follows, as pure rules around the services' compare-and-set.

The service runs one conditional update (``status='pending' AND expires_at > now``). When it changes a
row, the caller's decision won. When it changes nothing, :func:`after_lost_race` tells what to answer,
from the re-read row (``docs/refactor/operator-approvals.md``; ux-security §4.10):

* not visible to this user: 404, never reveal that it exists;
* past its deadline while still pending: it is expired (mark it) and that is the answer (410);
* already decided the same way: harmless repeat, 200 naming the winner;
* decided differently, expired or cancelled: 409 naming the outcome.

Expiry and cancellation mean deny. Terminal states never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from controlpanel.approvals.expiry import is_expired

PENDING = "pending"
# What each terminal state means for execution: only an approval lets anything happen.
GRANTING_STATES = frozenset({"approved", "allowed"})


class Answer(StrEnum):
    """How the service answers a decision that did not win the compare-and-set."""

    NOT_FOUND = "not_found"
    EXPIRED = "expired"
    ALREADY_DECIDED_SAME = "already_decided_same"
    ALREADY_DECIDED_OTHER = "already_decided_other"
    RETRY = "retry"  # still pending and live: the update lost to nothing we can see; try again


HTTP_STATUS = {
    Answer.NOT_FOUND: 404,
    Answer.EXPIRED: 410,
    Answer.ALREADY_DECIDED_SAME: 200,
    Answer.ALREADY_DECIDED_OTHER: 409,
    Answer.RETRY: 409,
}


@dataclass(frozen=True)
class LostRace:
    """The answer to a decision that changed no row, with the message shown to the user."""

    answer: Answer
    message: str

    @property
    def http_status(self) -> int:
        """Return the HTTP status the API and htmx views use for this answer."""
        return HTTP_STATUS[self.answer]


def grants(status: str) -> bool:
    """Return True only for a state that lets the action run (expired/cancelled/unknown mean deny)."""
    return status in GRANTING_STATES


def after_lost_race(
    *,
    visible: bool,
    status: str | None,
    expires_at: datetime | None,
    now: datetime,
    requested_status: str,
    decided_by: str = "",
) -> LostRace:
    """Return what to answer when the conditional update out of ``pending`` changed no row."""
    if not visible or status is None:
        return LostRace(Answer.NOT_FOUND, "No such request.")
    if status == PENDING:
        if is_expired(expires_at, now):
            return LostRace(Answer.EXPIRED, "This request expired before it was decided; it was denied.")
        return LostRace(Answer.RETRY, "The request changed while you decided; reload and try again.")
    if status in ("expired", "cancelled"):
        return LostRace(
            Answer.EXPIRED, f"This request is {status}; it was denied and can no longer be decided."
        )
    who = f" by {decided_by}" if decided_by else ""
    if status == requested_status:
        return LostRace(Answer.ALREADY_DECIDED_SAME, f"Already {status}{who}.")
    return LostRace(Answer.ALREADY_DECIDED_OTHER, f"Already decided{who}: {status}.")


def check_self_approval(requester: str | None, decider: str, *, allow_self_approval: bool = False) -> bool:
    """Return True when ``decider`` may decide a request raised by ``requester``.

    Self-approval is off by default: whoever raised a request (a device, a user) does not approve it.
    An unknown requester cannot be the decider.
    """
    return allow_self_approval or requester is None or requester != decider
