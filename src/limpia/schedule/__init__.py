"""Pure functions for the network's dates: when a commitment is due, late or met, and whether a
body is operating, from dates alone (no Django imports; limpia.network reads the rows and
calls these). docs/network.md explains the readings with worked examples."""

from limpia.schedule.method import (
    CommitmentState,
    Period,
    PeriodResult,
    RecurringState,
    active_on,
    activity_changes,
    one_off_state,
    periods,
    recurring_state,
)

__all__ = [
    "CommitmentState",
    "Period",
    "PeriodResult",
    "RecurringState",
    "active_on",
    "activity_changes",
    "one_off_state",
    "periods",
    "recurring_state",
]
