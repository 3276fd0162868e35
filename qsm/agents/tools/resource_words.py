"""The words that say what a resource question asks and what each amount in it is (used by
:mod:`qsm.agents.tools.resource_text`). A phrase is a tuple of lower-case tokens, longest first; ``<s>``
marks the start of a sentence."""

from __future__ import annotations

__all__ = [
    "ASK_CAN",
    "AUX",
    "AVAILABLE_AFTER",
    "AVAILABLE_BEFORE",
    "CHECK_CLAUSES",
    "COMPARISONS",
    "CONTAINERS",
    "DISTRIBUTIVE",
    "EXCEEDS",
    "FILLERS",
    "FITS",
    "GROUPS",
    "LIST_JOINS",
    "NEGATIONS",
    "PERIODS",
    "PLAIN_WITHOUT",
    "PRODUCT_LINKS",
    "REQUIRED_BEFORE",
    "SENTENCE_ENDS",
    "TIME_NAMES",
    "USED_AFTER",
    "USED_BEFORE",
    "WEAK_AVAILABLE_BEFORE",
    "WH",
    "phrases",
]


def phrases(*texts: str) -> tuple[tuple[str, ...], ...]:
    """Each text as a phrase (its words), longest first so that the longest match wins."""
    return tuple(sorted((tuple(text.split()) for text in texts), key=len, reverse=True))


SENTENCE_ENDS = {".", "?", "!", ";"}
WH = {"what", "how", "which", "who", "whom", "whose", "when", "where", "why", "what's", "how's"}
AUX = {
    "is", "are", "was", "were", "will", "would", "can", "could", "does", "do", "did", "should", "shall",
    "has", "have", "am", "may", "might", "whether", "if",
}  # fmt: skip
NEGATIONS = {"not", "no", "never", "nor", "cannot", "neither", "none", "without"}
PLAIN_WITHOUT = phrases(
    "without refuelling", "without refueling", "without refilling", "without recharging", "without charging",
    "without stopping", "without a break", "without breaks", "without a stop", "without stops",
)  # fmt: skip
"""``without`` that does not negate what is asked: ``can it drive 450 km without refuelling?``"""
GROUPS = {"group", "team", "class", "party", "family", "crew", "squad", "table", "busload", "delegation"}
"""Counted nouns whose members are people: ``11 groups of 22`` are 242 people."""
DISTRIBUTIVE = ((",", "each"), ("each",))
"""How a count says that each of its members gives an amount: ``3 developers, each working 30 hours``."""
CHECK_CLAUSES = phrases("check whether", "check if", "tell me whether", "tell me if", "say whether")
COMPARISONS = phrases(
    "more than", "less than", "fewer than", "bigger than", "larger than", "smaller than", "greater than",
    "cheaper than", "higher than", "lower than", "longer than", "shorter than", "as much as", "as many as",
)  # fmt: skip
FITS = phrases(
    "enough", "sufficient", "suffice", "suffices", "fit", "fits", "afford", "affordable", "cover", "covers",
    "within", "hold", "room", "space", "accommodate", "seat", "handle", "store", "stay under", "stay below",
    "under budget", "under the limit", "under the cap", "below the limit", "last", "able to", "ok", "okay",
    "manage", "pay for", "make it", "possible", "doable", "feasible", "achievable", "manageable", "realistic",
    "in time", "on time", "finish", "be done", "be finished", "be complete", "be completed",
)  # fmt: skip
EXCEEDS = phrases(
    "exceed", "exceeds", "exceeding", "exceeded", "go over", "goes over", "going over", "be over", "over budget",
    "over the", "overrun", "overspend", "overflow", "overflows", "run out", "runs out", "running out",
    "too much", "too many", "too little", "too few", "too small", "too big", "too large", "too expensive",
    "too costly", "too long", "short", "shortfall", "insufficient", "surpass", "overbooked", "overbook",
    "beyond", "above the", "break the budget", "blow the budget", "over capacity",
)  # fmt: skip
ASK_CAN = {"can", "could"}

FILLERS = {
    "a", "an", "the", "our", "my", "your", "their", "its", "his", "her", "only", "just", "about", "around",
    "roughly", "approximately", "nearly", "almost", "exactly", "some", "another", "total", "of", "still",
    "us", "me", "you", "them", "we", "i",
}  # fmt: skip
WEAK_AVAILABLE_BEFORE = phrases("have", "has", "had", "got", "have got", "there are", "there is")
CONTAINERS = (
    "host", "server", "machine", "node", "laptop", "computer", "pc", "phone", "disk", "drive", "card", "plan",
    "account", "budget", "room", "hall", "venue", "bus", "van", "truck", "car", "gpu", "instance", "vm",
)  # fmt: skip
AVAILABLE_BEFORE = phrases(
    *(f"{container} with" for container in CONTAINERS), "budget of", "budget is", "budget", "quota of", "quota is",
    "limit of", "limit is", "cap of", "cap is", "capped at", "limited to", "capacity of", "capacity is",
    "allowance of", "allowance is", "balance of", "balance is", "<s> with", "seats", "sleeps", "holds",
    "fits", "accommodates", "can hold", "can store", "can fit", "can seat", "can take", "can carry",
    "can handle", "can accommodate", "at most", "up to", "no more than", "not more than", "maximum of",
    "maximum", "max", "can't spend more than", "cannot spend more than", "not spend more than",
    "can't exceed", "cannot exceed", "must not exceed", "mustn't exceed", "may not exceed", "not to exceed",
    "at the most", "left with", "saved", "earn", "earns", "includes", "include", "offers", "provides",
    "gives", "comes with", "allows", "allotted", "allocated", "set aside", "seating for", "budget :",
    "quota :", "limit :", "capacity :", "available :", "funds :", "cash :", "lasts", "lasts for",
    "battery life of", "battery life is",
)  # fmt: skip
USED_BEFORE = phrases(
    "used", "spent", "already used", "already spent", "consumed", "have used", "used up", "burned", "burnt",
    "booked", "taken", "sold", "occupied", "filled", "already",
)  # fmt: skip
REQUIRED_BEFORE = phrases(
    "need", "needs", "needed", "require", "requires", "required", "cost", "costs", "costing", "priced at",
    "bill is", "bill of", "comes to", "come to", "total is", "totals", "spend", "pay", "buy", "purchase",
    "hold", "store", "fit", "afford", "for", "uses", "use", "takes", "take", "want", "wants", "with", "of",
    "another", "extra", "additional", "more",
)  # fmt: skip
AVAILABLE_AFTER = phrases(
    "budget", "limit", "cap", "quota", "allowance", "free", "available", "left", "remaining", "spare",
    "disk", "drive", "ssd", "hdd", "hard drive", "card", "stick", "usb", "partition", "volume", "bucket",
    "plan", "server", "machine", "vm", "instance", "gpu", "room", "hall", "venue", "bus", "van", "car",
    "tank", "account", "wallet", "fund", "grant", "window", "phone", "laptop", "subscription",
    "in the bank", "in my account", "in the account", "in savings", "enough", "cover", "covers", "suffice",
    "last", "be enough", "is enough", "is sufficient", "to spend", "to spare", "in total to spend",
    "of capacity", "of headroom", "of space", "of storage", "of free space", "too little", "too small",
)  # fmt: skip
USED_AFTER = phrases(
    "used", "already", "spent", "are used", "is used", "have been used", "has been used", "taken",
    "are taken", "booked", "are booked", "sold", "gone", "occupied", "consumed", "in use", "are already",
    "is already", "were already", "have already been", "has already been",
)  # fmt: skip
PRODUCT_LINKS = {
    "at", "for", "costing", "cost", "costs", "priced", "which", "that", "who", "each", "of", "with",
    "need", "needs", "needing", "using", "use", "uses", "taking", "take", "takes", "would", "will",
    "require", "requires", "requiring", "a", "an",
}  # fmt: skip

PERIODS = {"week", "month", "year", "night", "time", "weekend", "quarter", "season", "summer", "winter"}

LIST_JOINS = ((",",), ("and",), (",", "and"), ("plus",), ("and", "another"))

TIME_NAMES = {"s": "seconds", "h": "hours", "d": "days", "wk": "weeks", "month": "months", "yr": "years"}
