"""A discharge criterion and the discharge decision made of them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Criterion:
    """One discharge criterion: its id, whether it is met, and a sentence saying why (not)."""

    id: str
    met: bool
    message: str


@dataclass(frozen=True)
class DischargeDecision:
    """The answer to "may the patient leave now?".

    Attributes
    ----------
    allowed : bool
        True when every criterion is met.
    blocking : list[str]
        One human sentence per unmet criterion, naming the values (empty when allowed).
    criteria : list[Criterion]
        Every criterion evaluated, met or not (for a checklist view).
    """

    allowed: bool
    blocking: list[str]
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def blocking_ids(self) -> list[str]:
        """Ids of the unmet criteria, e.g. ``["min_observation", "aldrete"]``."""
        return [c.id for c in self.criteria if not c.met]
