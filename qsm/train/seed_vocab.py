"""Word pools the seed templates draw from. Project, person and service names are invented so that no
model can know the facts the grounded (WeQ) tasks ask about: it has to read them from the notes."""

from __future__ import annotations

__all__ = [
    "AGENT_TEAMS",
    "BOOKS",
    "CITIES",
    "COMPARISONS",
    "CONCEPTS",
    "COUNTRIES",
    "DEFINITIONS",
    "ELEMENTS",
    "HOWTOS",
    "HOWTO_ANSWERS",
    "JUNK",
    "LIST_THINGS",
    "MONTHS",
    "OFF_TOPIC",
    "PEOPLE",
    "PROJECTS",
    "SERVICES",
    "TEAMS",
    "TOPICS",
    "VENDORS",
    "WORLD_FACTS",
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

# Facts for short general-knowledge requests (public knowledge, written for these templates).
BOOKS = (
    ("Romeo and Juliet", "William Shakespeare"), ("Pride and Prejudice", "Jane Austen"),
    ("1984", "George Orwell"), ("War and Peace", "Leo Tolstoy"), ("Don Quixote", "Miguel de Cervantes"),
    ("The Odyssey", "Homer"), ("Hamlet", "William Shakespeare"), ("Moby-Dick", "Herman Melville"),
    ("Oliver Twist", "Charles Dickens"), ("Frankenstein", "Mary Shelley"), ("Dracula", "Bram Stoker"),
    ("The Divine Comedy", "Dante Alighieri"), ("Crime and Punishment", "Fyodor Dostoevsky"),
    ("Jane Eyre", "Charlotte Bronte"), ("The Origin of Species", "Charles Darwin"),
)  # fmt: skip
ELEMENTS = (
    ("oxygen", "O"), ("hydrogen", "H"), ("carbon", "C"), ("iron", "Fe"), ("gold", "Au"), ("silver", "Ag"),
    ("sodium", "Na"), ("helium", "He"), ("nitrogen", "N"), ("copper", "Cu"), ("calcium", "Ca"),
    ("potassium", "K"), ("lead", "Pb"), ("neon", "Ne"), ("zinc", "Zn"),
)  # fmt: skip
# (question, short answer, a plausible wrong answer of the same kind)
WORLD_FACTS = (
    ("Which planet is the largest in the solar system?", "Jupiter", "Saturn"),
    ("Which planet is closest to the Sun?", "Mercury", "Venus"),
    ("Which planet is known as the red planet?", "Mars", "Venus"),
    ("What is the largest ocean on Earth?", "the Pacific Ocean", "the Atlantic Ocean"),
    ("What is the boiling point of water at sea level in degrees Celsius?", "100 degrees Celsius",
     "90 degrees Celsius"),
    ("How many continents are there?", "seven", "six"),
    ("How many legs does a spider have?", "eight", "six"),
    ("What gas do plants take in from the air?", "carbon dioxide", "oxygen"),
    ("What is the hardest natural material?", "diamond", "granite"),
    ("Which organ pumps blood through the body?", "the heart", "the liver"),
    ("What is the longest river in Africa?", "the Nile", "the Congo"),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci", "Michelangelo"),
    ("Who developed the theory of relativity?", "Albert Einstein", "Isaac Newton"),
    ("What is the freezing point of water in degrees Celsius?", "0 degrees Celsius", "10 degrees Celsius"),
    ("How many days are in a leap year?", "366", "365"),
    ("What is the chemical formula of water?", "H2O", "CO2"),
    ("Which animal is the largest mammal?", "the blue whale", "the elephant"),
    ("What language has the most native speakers?", "Mandarin Chinese", "English"),
)  # fmt: skip
DEFINITIONS = {
    "a Merkle tree": "A Merkle tree is a tree of hashes where each parent hashes its children; the root covers all.",
    "photosynthesis": "Photosynthesis is how plants turn sunlight, water and carbon dioxide into sugar and oxygen.",
    "a hash function": "A hash function maps any input to a fixed-size value; equal inputs give equal hashes.",
    "recursion": "Recursion is when a function solves a problem by calling itself on a smaller part of it.",
    "the water cycle": "The water cycle: water evaporates, forms clouds, falls as rain and flows back to the sea.",
    "gravity": "Gravity is the force that pulls masses towards each other, such as objects towards the Earth.",
    "binary search": "Binary search finds an item in a sorted list by halving the search range at every step.",
    "DNS": "DNS translates domain names such as example.com into the IP addresses computers use.",
    "a compiler": "A compiler translates source code into machine code before the program runs.",
    "a database index": "A database index lets queries find rows quickly without scanning the whole table.",
    "version control": "Version control records every change to files so you can review or undo them later.",
    "a transistor": "A transistor is a tiny electronic switch that controls current; chips are built from them.",
    "a rainbow": "A rainbow appears when raindrops refract and reflect sunlight, splitting it into colours.",
    "natural selection": "Natural selection means living things with helpful traits survive and reproduce more often.",
    "an operating system": "An operating system manages a computer's hardware and runs programs on it.",
    "a black hole": "A black hole is a region of space whose gravity is so strong that not even light escapes.",
    "plate tectonics": "Plate tectonics says Earth's crust is split into plates that slowly move over the mantle.",
    "the greenhouse effect": "The greenhouse effect: gases in the air trap the Sun's heat and warm the Earth.",
    "HTTP": "HTTP is the protocol web browsers and servers use to request and send web pages.",
    "a virus": "A virus is a tiny agent that can only multiply inside the living cells of another organism.",
}  # fmt: skip
HOWTO_ANSWERS = {
    "reverse a string in Python": "Use slicing: text[::-1] returns the string reversed.",
    "make a cup of green tea": "Heat water to about 80 degrees Celsius, steep the tea for 2 minutes, then remove it.",
    "write a good commit message": "Write a short summary line in the imperative, then a blank line and the why.",
    "remove a stuck screw": "Press a rubber band between the screwdriver and the screw, then turn slowly.",
    "back up my photos": "Copy them to an external drive and to a cloud service, so you keep two copies.",
    "read a CSV file in Python": "Use the csv module: open the file and loop over csv.reader(f).",
    "set up a Git repository": "Run git init in the project folder, then git add and git commit your files.",
    "keep basil alive": "Give it sun for six hours a day, water when the soil is dry and pinch off flowers.",
    "take better notes": "Write key ideas in your own words, keep them short and review them the same day.",
    "boil an egg": "Put the egg in boiling water for 7 to 9 minutes, then cool it in cold water.",
    "sort a list in Python": "Call sorted(items) for a new list, or items.sort() to sort it in place.",
}  # fmt: skip
# Text that runs on past the answer: the junk a small model appends (plan fragments, numbers, noise).
JUNK = (
    "1048576", "A.J.S.", "./DORRIETWEENHOLT", "{{message}}}", "Step 2: search memory.", "#include <stdio.h>",
    "The user is asking about the cost of a trip.", "assistant assistant", "qwerty zxcv 77 88",
    "Plan: answer directly; give an example.", "[3] [4] [5]", "Thank you for your purchase!",
    "lorem ipsum dolor", "SELECT * FROM users;", "Route to SOM.",
)  # fmt: skip
# Replies that answer some other request.
OFF_TOPIC = (
    "The weather in Lisbon is sunny today.", "Here is a recipe for pancakes: flour, eggs and milk.",
    "The cost of a 17-day trip depends on flights and hotels.", "Football is played by two teams of eleven.",
    "I like to read books about space.", "Budgets should be reviewed every quarter.",
    "Cats sleep for about 15 hours a day.", "The meeting is moved to Thursday.",
)  # fmt: skip
