"""qsm.evals: the public, held-out team-level evaluation set and its scorer.

``load_team_set`` reads the packaged requests (six categories, see ``CARD.md``); ``score`` checks one final
answer against one item and says why it passed or failed. Nothing may train on this set.
"""

from qsm.evals.scoring import CHECKERS, Score, score
from qsm.evals.team_set import CATEGORIES, load_team_set

__all__ = ["CATEGORIES", "CHECKERS", "Score", "load_team_set", "score"]
