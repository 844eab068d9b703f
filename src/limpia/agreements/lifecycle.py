"""The agreement's stages and the moves between them, in one table."""

from itertools import pairwise

from limpia.agreements.models import Stage

ORDER = (
    Stage.INTEREST,
    Stage.ADMISSIBILITY,
    Stage.DIAGNOSIS,
    Stage.NEGOTIATION,
    Stage.SIGNED,
    Stage.ADHESION,
    Stage.IMPLEMENTATION,
    Stage.FINAL_EVALUATION,
    Stage.CERTIFICATION,
    Stage.IMPACT_EVALUATION,
    Stage.CLOSED,
)

# stage → the stages it may move to. Each stage moves to the next one; any stage before
# `closed` may be cancelled (with a reason).
TRANSITIONS: dict[str, frozenset[str]] = {
    stage: frozenset({following, Stage.CANCELLED}) for stage, following in pairwise(ORDER)
}
TRANSITIONS[Stage.CLOSED] = frozenset()
TRANSITIONS[Stage.CANCELLED] = frozenset()

PUBLISHED_FROM = Stage.SIGNED


def is_allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def index(stage: str) -> int:
    return ORDER.index(stage) if stage in ORDER else len(ORDER)
