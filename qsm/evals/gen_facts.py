"""Team-set category ``facts``: short general-knowledge questions a small model may know, written by hand,
each with one unambiguous answer and its accepted aliases; scored by ``contains_any``.

Left out on purpose: anything that changes over time (largest population, current leaders), anything with a
disputed answer (number of continents, closest star), and number facts whose answers are usually given
with a second number (boiling point in °C and °F).
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["FACTS", "fact_drafts"]

FACTS: list[tuple[str, list[str], str]] = [
    ("What is the capital of France?", ["Paris"], "The capital of France is Paris."),
    ("Which city is the capital of Japan?", ["Tokyo"], "Tokyo is the capital of Japan."),
    ("Name the capital city of Italy.", ["Rome", "Roma"], "Rome."),
    ("What is Canada's capital?", ["Ottawa"], "Ottawa is the capital of Canada."),
    ("What is the capital of Australia?", ["Canberra"], "Canberra."),
    ("Which city is the capital of Egypt?", ["Cairo"], "The capital of Egypt is Cairo."),
    ("Tell me the capital of Spain.", ["Madrid"], "Madrid."),
    ("What is the capital city of Kenya?", ["Nairobi"], "Nairobi is Kenya's capital."),
    ("Who wrote Romeo and Juliet?", ["Shakespeare", "William Shakespeare"], "William Shakespeare."),
    ("Who is the author of Pride and Prejudice?", ["Austen", "Jane Austen"], "Jane Austen wrote it."),
    ("Who wrote the novel 1984?", ["Orwell", "George Orwell", "Eric Blair"], "George Orwell."),
    ("Which ancient Greek poet is credited with the Odyssey?", ["Homer"], "Homer."),
    ("Who painted the Mona Lisa?", ["Leonardo da Vinci", "da Vinci", "Leonardo"], "Leonardo da Vinci."),
    ("What is the chemical symbol for gold?", ["Au"], "The chemical symbol for gold is Au."),
    ("Which element has the chemical symbol Na?", ["sodium"], "Na is sodium."),
    (
        "What gas do plants take in from the air for photosynthesis?",
        ["carbon dioxide", "CO2"],
        "Plants take in carbon dioxide (CO2).",
    ),
    ("What is the largest planet in our Solar System?", ["Jupiter"], "Jupiter is the largest planet."),
    ("Which planet is known as the Red Planet?", ["Mars"], "Mars."),
    ("Which planet is closest to the Sun?", ["Mercury"], "Mercury is closest to the Sun."),
    ("What is the name of the galaxy that contains our Solar System?", ["Milky Way"], "The Milky Way."),
    ("What is the largest ocean on Earth?", ["Pacific", "Pacific Ocean"], "The Pacific Ocean."),
    ("What is the longest river in Africa?", ["Nile", "River Nile", "Nile River"], "The Nile."),
    ("On which continent is Brazil?", ["South America"], "Brazil is in South America."),
    ("In which country are the Pyramids of Giza?", ["Egypt"], "They are in Egypt."),
    ("What is the tallest mountain above sea level?", ["Everest", "Mount Everest"], "Mount Everest."),
    ("Which desert is the largest hot desert in the world?", ["Sahara"], "The Sahara."),
    ("What is the hardest natural material?", ["diamond", "diamonds"], "Diamond."),
    ("Which organ pumps blood around the human body?", ["heart"], "The heart."),
    ("What is the largest mammal on Earth?", ["blue whale", "blue whales"], "The blue whale."),
    ("What sweet food do honeybees make?", ["honey"], "Honey."),
    ("What language is mainly spoken in Brazil?", ["Portuguese"], "Portuguese."),
    ("What is the main language spoken in Mexico?", ["Spanish"], "Spanish."),
    ("What is the currency of Japan?", ["yen", "Japanese yen"], "The yen."),
    ("Who was the first person to walk on the Moon?", ["Armstrong", "Neil Armstrong"], "Neil Armstrong."),
    ("Who developed the theory of general relativity?", ["Einstein", "Albert Einstein"], "Albert Einstein."),
    ("Which musical instrument has 88 keys?", ["piano", "pianoforte"], "The piano."),
]
"""(question, aliases, canonical answer): text facts."""

NUMBER_FACTS: list[tuple[str, float, list[str], str]] = [
    ("How many legs does a spider have?", 8, ["eight"], "A spider has 8 legs."),
    ("How many days are there in a leap year?", 366, [], "A leap year has 366 days."),
    ("How many sides does a hexagon have?", 6, ["six"], "A hexagon has 6 sides."),
    ("What is the smallest prime number?", 2, ["two"], "The smallest prime number is 2."),
]
"""(question, number, word aliases, canonical answer): facts whose answer is a number."""


def fact_drafts(rng: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    """Every fact as a draft in an order drawn from ``rng``, number facts spread evenly among the text facts
    so any prefix holds both kinds."""
    text = [(q, "contains_any", {"aliases": aliases, "answer": answer}) for q, aliases, answer in FACTS]
    rng.shuffle(text)
    numbers = [
        (q, "contains_any", {"number": value, "tol": 0, "aliases": aliases, "answer": answer})
        if aliases
        else (q, "contains_any", {"number": value, "tol": 0, "answer": answer})
        for q, value, aliases, answer in NUMBER_FACTS
    ]
    step = len(text) // len(numbers)
    drafts: list[tuple[str, str, dict[str, Any]]] = []
    for index, number in enumerate(numbers):
        drafts.extend(text[index * step : (index + 1) * step])
        drafts.append(number)
    drafts.extend(text[len(numbers) * step :])
    return drafts
