"""The disclosure policy: every parameter of the rules in one versioned, stored object.

The rules are those of ../shared/disclosure.md (R1 to R13). A release stores the policy it was
built with (`DisclosurePolicy.as_dict()`), so a later change of a parameter never changes what an
old release shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCALE_MIN = 0.0
SCALE_MAX = 100.0


@dataclass(frozen=True)
class DisclosurePolicy:
    """The parameters of the disclosure rules; `version` names the set."""

    version: str = "2026.1"
    #: R1: minimum counted organisations for a published score mean.
    min_contributors: int = 5
    #: R2: how many members an attacker may know (dropped before the dominance test).
    dominance_drop: int = 2
    #: W: 20 % of the scale; R2's slack and R13's narrowest allowed interval.
    width: float = 20.0
    #: R3: minimum answering organisations for a published answer distribution.
    min_distribution: int = 10
    #: R6: the grids a mean may be rounded to; the smallest with n * grid >= width is used.
    mean_grids: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0)
    #: R6: percentage grids: fine from `share_fine_from` answering organisations, else coarse.
    share_fine: float = 5.0
    share_coarse: float = 10.0
    share_fine_from: int = 20
    #: R7: quartiles only from this many contributors, rounded to twice the mean's grid.
    quartiles_from: int = 20
    #: R9: a correction release needs at least this many changed organisations.
    correction_min_changed: int = 5
    #: R9: during collection only the response count is shown, rounded to this.
    collecting_count_round: int = 5
    #: R13: coalitions of this many insiders are audited; all pairs in groups up to this size.
    coalition_size: int = 2
    coalition_all_pairs_up_to: int = 30
    #: Rounds of added suppression before a release gives up and fails closed.
    max_suppression_rounds: int = 200
    scale: tuple[float, float] = field(default=(SCALE_MIN, SCALE_MAX))

    def as_dict(self) -> dict[str, Any]:
        """The policy as stored with a release."""
        return asdict(self)


#: The policy in force. Change a parameter only with a new version.
CURRENT_POLICY = DisclosurePolicy()
