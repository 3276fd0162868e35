"""Word pools the seed templates draw from. Project, person and service names are invented so that no
model can know the facts the grounded (WeQ) tasks ask about: it has to read them from the notes."""

from __future__ import annotations

__all__ = [
    "AGENT_TEAMS",
    "CITIES",
    "COMPARISONS",
    "CONCEPTS",
    "COUNTRIES",
    "HOWTOS",
    "LIST_THINGS",
    "MONTHS",
    "PEOPLE",
    "PROJECTS",
    "SERVICES",
    "TEAMS",
    "TOPICS",
    "VENDORS",
    "WRITING",
]

PROJECTS = (
    "Atlas", "Borealis", "Cedar", "Dune", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Prism", "Quartz", "Raven", "Sierra", "Tundra",
    "Umber", "Vortex", "Willow", "Xenon", "Yarrow", "Zephyr", "Aurora", "Basalt", "Comet", "Delta",
)  # fmt: skip
PEOPLE = (
    "Ada Brennan", "Bo Castell", "Cleo Dunmore", "Dev Arklow", "Esme Valtor", "Finn Okafor", "Gia Morrow",
    "Hugo Lindqvist", "Ines Farrow", "Jonah Whitlock", "Kira Nakamura", "Leo Marchetti", "Mina Rahal",
    "Nils Becker", "Orla Quint", "Pavel Sorin", "Quinn Adair", "Rosa Delgado", "Sami Haddad", "Tess Kowal",
    "Uma Patil", "Vik Lorne", "Wren Ashby", "Yara Solberg", "Zane Corrigan",
)  # fmt: skip
SERVICES = (
    "the billing API", "the search index", "the chat gateway", "the metrics collector", "the auth service",
    "the report builder", "the upload queue", "the model router", "the cache layer", "the mail relay",
    "the scheduler", "the ledger node", "the vector store", "the web frontend", "the backup job",
)  # fmt: skip
TEAMS = ("platform", "research", "design", "support", "data", "security", "mobile", "finance", "sales")
CITIES = (
    "Lisbon", "Oslo", "Tallinn", "Porto", "Ghent", "Krakow", "Bergen", "Turin", "Lyon", "Graz", "Aarhus",
    "Leeds", "Utrecht", "Malmo", "Bilbao", "Cork",
)  # fmt: skip
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip
VENDORS = (
    "Northwind Cloud", "Helio Compute", "Bluebay Hosting", "Arcline GPUs", "Stratus Data", "Kelp Networks",
    "Orbit Storage", "Pinecrest Labs", "Tidewater IT", "Foxglove Systems",
)  # fmt: skip
AGENT_TEAMS = ("the research team", "the support bot", "the nightly batch", "the WeQ agent", "the demo runs")
CONCEPTS = (
    "a Merkle tree", "photosynthesis", "a hash function", "recursion", "the water cycle", "gravity",
    "binary search", "public-key encryption", "a neural network", "DNS", "an operating system",
    "a black hole", "plate tectonics", "version control", "a compiler", "the immune system", "a database index",
    "natural selection", "an electric motor", "a rainbow", "sorting algorithms", "the greenhouse effect",
    "a blockchain", "machine learning", "HTTP", "a virus", "the moon's phases", "a transistor",
)  # fmt: skip
COMPARISONS = (
    ("TCP", "UDP"), ("a list", "a tuple"), ("weather", "climate"), ("a virus", "a bacterium"),
    ("RAM", "a hard disk"), ("speed", "velocity"), ("a lake", "a sea"), ("Python", "C"),
    ("an atom", "a molecule"), ("a process", "a thread"), ("mitosis", "meiosis"), ("AC", "DC"),
)  # fmt: skip
HOWTOS = (
    "reverse a string in Python", "make a cup of green tea", "write a good commit message",
    "remove a stuck screw", "start learning to draw", "back up my photos", "read a CSV file in Python",
    "plan a short presentation", "take better notes", "set up a Git repository", "keep basil alive",
)  # fmt: skip
WRITING = (
    ("poem", "the sea"), ("thank-you note", "a helpful colleague"), ("story", "a lost robot"),
    ("haiku", "autumn"), ("limerick", "a sleepy cat"), ("paragraph", "why sleep matters"),
    ("toast", "a friend's birthday"), ("product blurb", "a paper notebook"),
)  # fmt: skip
TOPICS = (
    "the onboarding flow", "the logo redesign", "the data retention policy", "the release checklist",
    "the office move", "the API rate limits", "the hiring plan", "the incident review", "the test matrix",
    "the customer survey", "the pricing page", "the on-call rota",
)  # fmt: skip
COUNTRIES = (
    ("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Egypt", "Cairo"),
    ("Canada", "Ottawa"), ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Norway", "Oslo"), ("Greece", "Athens"),
    ("Germany", "Berlin"), ("Poland", "Warsaw"), ("Chile", "Santiago"), ("India", "New Delhi"),
)  # fmt: skip
LIST_THINGS = {
    "fruits": ("apple", "banana", "cherry", "mango", "pear", "plum", "grape", "orange", "kiwi", "lemon"),
    "colours": ("red", "blue", "green", "yellow", "purple", "orange", "white", "black", "pink", "brown"),
    "animals": ("dog", "cat", "horse", "owl", "tiger", "whale", "rabbit", "fox", "eagle", "frog"),
    "planets": ("Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"),
    "programming languages": ("Python", "Java", "Rust", "Go", "C", "Ruby", "Haskell", "Kotlin", "Swift"),
    "musical instruments": ("piano", "violin", "guitar", "flute", "drum", "cello", "trumpet", "harp"),
    "vegetables": ("carrot", "onion", "potato", "leek", "pea", "spinach", "cabbage", "pepper", "bean"),
    "metals": ("iron", "copper", "gold", "silver", "tin", "zinc", "lead", "nickel", "aluminium"),
}
