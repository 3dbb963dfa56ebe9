#!/usr/bin/env python3
"""Corpus generator for the bundled demo chat model (abstractllm-demo-chat).

Every example is a question -> answer pair produced by a small program, so answers are exact and
deterministic (one canonical answer per question string). Task families:

  arithmetic  add / subtract / multiply / divide with small numbers ("17 + 25 = 42.")
  compare     which is larger/smaller, is a > b, even or odd
  units       unit conversions both ways (hours <-> minutes, meters <-> centimeters, ...)
  letters     length of a word, how often a letter occurs, spelling, first/last letter
  sort        sort 3-5 numbers up or down, largest/smallest of a list
  days        day after/before, N days after/before a weekday, tomorrow/yesterday
  world       facts about Veloria, a small fictional island described below (WORLD / PEOPLE)
  smalltalk   greetings, identity, capabilities, thanks, goodbye
  refusal     out-of-scope questions (real-world knowledge, creative writing) and harmful ones

The held-out set is 200 questions (fixed count per family) whose *question strings* never occur
in the training data; they come from the same families (a held-out question can ask about an
instance the training data phrases differently). Answers never depend on the phrasing.

Pure Python, fixed seed, no set iteration (string hashing is randomized per process), so the
output is byte-identical on every machine:

  python3 tools/demo_model/make_corpus.py --out-dir .cache/demo/corpus
writes train.jsonl ({"messages": [...]} per line, ChatML roles) and heldout.jsonl
({"id", "family", "question", "answer"} per line) and prints their sizes and sha256.
"""

import argparse
import hashlib
import json
import os
import random

SEED = 20261126

# ---------------------------------------------------------------------------------------------
# Phrasing noise shared by most families: prefixes, suffixes, lower-casing, dropped "?".


PREFIXES = ["Hey, ", "Quick question: ", "Hi! ", "Question: ", "Please tell me: ",
            "I was wondering: ", "Can you help? ", "OK, "]
SUFFIXES = [" Thanks!", " Thank you.", " Please answer briefly.", " Quick, please."]


def noisy(rng, q):
    """Returns a surface variant of question q (same meaning, same answer)."""
    r = rng.random()
    if r < 0.12:
        q = q.lower()
    elif r < 0.18 and q.endswith("?"):
        q = q[:-1]
    if rng.random() < 0.22:
        q = rng.choice(PREFIXES) + q
    if rng.random() < 0.10:
        q = q + rng.choice(SUFFIXES)
    return q


# ---------------------------------------------------------------------------------------------
# Arithmetic


def fam_add(rng):
    a, b = rng.randint(0, 50), rng.randint(0, 50)
    q = rng.choice([
        "What is {a} + {b}?", "What is {a} plus {b}?", "What's {a} + {b}?", "Calculate {a} + {b}.",
        "Compute {a} plus {b}.", "How much is {a} + {b}?", "How much is {a} plus {b}?",
        "Add {a} and {b}.", "What is the sum of {a} and {b}?", "{a} + {b} = ?", "{a} + {b}",
        "{a}+{b}=?", "What is {a}+{b}?", "Please add {a} to {b}.", "Find the sum of {a} and {b}.",
        "What do you get if you add {a} and {b}?", "If I have {a} apples and get {b} more, "
        "how many apples do I have?", "Tell me what {a} plus {b} is.", "Sum {a} and {b}.",
    ]).format(a=a, b=b)
    return q, f"{a} + {b} = {a + b}."


def fam_sub(rng):
    a = rng.randint(0, 50)
    b = rng.randint(0, a)
    q = rng.choice([
        "What is {a} - {b}?", "What is {a} minus {b}?", "What's {a} - {b}?", "Subtract {b} from {a}.",
        "What is {b} subtracted from {a}?", "What is the difference between {a} and {b}?",
        "Take {b} away from {a}.", "{a} - {b} = ?", "{a}-{b}=?", "How much is {a} minus {b}?",
        "Compute {a} - {b}.", "Calculate {a} minus {b}.", "If I have {a} coins and spend {b}, "
        "how many coins are left?",
    ]).format(a=a, b=b)
    return q, f"{a} - {b} = {a - b}."


def fam_mul(rng):
    a, b = rng.randint(0, 12), rng.randint(0, 12)
    q = rng.choice([
        "What is {a} times {b}?", "What is {a} x {b}?", "What is {a} * {b}?", "Multiply {a} by {b}.",
        "What is the product of {a} and {b}?", "Calculate {a} × {b}.", "{a} * {b} = ?",
        "{a} x {b} = ?", "How much is {a} times {b}?", "Compute {a} multiplied by {b}.",
        "What is {a} multiplied by {b}?",
    ]).format(a=a, b=b)
    return q, f"{a} × {b} = {a * b}."


def fam_div(rng):
    b, c = rng.randint(1, 10), rng.randint(0, 10)
    a = b * c
    q = rng.choice([
        "What is {a} divided by {b}?", "What is {a} / {b}?", "Divide {a} by {b}.",
        "How much is {a} divided by {b}?", "{a} / {b} = ?", "Compute {a} / {b}.",
        "What do you get when you divide {a} by {b}?",
    ]).format(a=a, b=b)
    return q, f"{a} / {b} = {c}."


# ---------------------------------------------------------------------------------------------
# Comparisons and parity


def fam_compare(rng):
    a = rng.randint(0, 99)
    b = a if rng.random() < 0.05 else rng.randint(0, 99)
    kind = rng.randrange(4)
    if kind == 0:
        q = rng.choice(["Which is bigger, {a} or {b}?", "Which is larger: {a} or {b}?",
                        "Which number is greater, {a} or {b}?", "What is the larger of {a} and {b}?",
                        "Which is more, {a} or {b}?", "Which is the bigger number: {a} or {b}?"])
        ans = f"{a} and {b} are equal." if a == b else f"{max(a, b)} is larger than {min(a, b)}."
    elif kind == 1:
        q = rng.choice(["Which is smaller, {a} or {b}?", "Which number is less, {a} or {b}?",
                        "What is the smaller of {a} and {b}?", "Which is less: {a} or {b}?",
                        "Which is the smaller number: {a} or {b}?"])
        ans = f"{a} and {b} are equal." if a == b else f"{min(a, b)} is smaller than {max(a, b)}."
    elif kind == 2:
        q = rng.choice(["Is {a} greater than {b}?", "Is {a} bigger than {b}?",
                        "Is {a} larger than {b}?", "Is {a} > {b}?", "Is {a} more than {b}?"])
        if a > b:
            ans = f"Yes, {a} is greater than {b}."
        elif a < b:
            ans = f"No, {a} is less than {b}."
        else:
            ans = f"No, {a} is equal to {b}."
    else:
        q = rng.choice(["Is {a} less than {b}?", "Is {a} smaller than {b}?", "Is {a} < {b}?",
                        "Is {a} fewer than {b}?"])
        if a < b:
            ans = f"Yes, {a} is less than {b}."
        elif a > b:
            ans = f"No, {a} is greater than {b}."
        else:
            ans = f"No, {a} is equal to {b}."
    return q.format(a=a, b=b), ans


def fam_parity(rng):
    n = rng.randint(0, 99)
    q = rng.choice(["Is {n} even or odd?", "Is {n} odd or even?", "Is the number {n} even or odd?",
                    "Even or odd: {n}?", "Tell me if {n} is even or odd.",
                    "Is {n} an even or an odd number?"]).format(n=n)
    return q, f"{n} is {'even' if n % 2 == 0 else 'odd'}."


# ---------------------------------------------------------------------------------------------
# Unit conversions: (unit singular, unit plural, smaller unit singular, plural, factor)

UNITS = [
    ("hour", "hours", "minute", "minutes", 60),
    ("minute", "minutes", "second", "seconds", 60),
    ("day", "days", "hour", "hours", 24),
    ("week", "weeks", "day", "days", 7),
    ("year", "years", "month", "months", 12),
    ("meter", "meters", "centimeter", "centimeters", 100),
    ("kilometer", "kilometers", "meter", "meters", 1000),
    ("kilogram", "kilograms", "gram", "grams", 1000),
    ("foot", "feet", "inch", "inches", 12),
    ("liter", "liters", "milliliter", "milliliters", 1000),
]


def _unit(n, sing, plur):
    return f"{n} {sing if n == 1 else plur}"


def fam_units(rng):
    big_s, big_p, small_s, small_p, f = rng.choice(UNITS)
    if rng.random() < 0.7:  # big -> small
        x = rng.randint(1, 20)
        src, dst_p, y = _unit(x, big_s, big_p), small_p, x * f
        ans = f"{src} is {_unit(y, small_s, small_p)}."
    else:  # small -> big, whole numbers only
        x = rng.randint(1, 10)
        y = x * f
        src, dst_p = _unit(y, small_s, small_p), big_p
        ans = f"{src} is {_unit(x, big_s, big_p)}."
    q = rng.choice(["How many {d} are in {s}?", "How many {d} are there in {s}?",
                    "Convert {s} to {d}.", "What is {s} in {d}?", "{s} is how many {d}?",
                    "How many {d} is {s}?", "Please convert {s} into {d}."]).format(d=dst_p, s=src)
    return q, ans


# ---------------------------------------------------------------------------------------------
# Letters in words

WORDS = [
    "apple", "banana", "cherry", "orange", "grape", "lemon", "melon", "peach", "mango", "plum",
    "dog", "cat", "horse", "rabbit", "turtle", "parrot", "tiger", "zebra", "monkey", "goat",
    "house", "window", "garden", "kitchen", "bridge", "castle", "river", "forest", "island", "road",
    "book", "pencil", "paper", "letter", "school", "teacher", "student", "library", "lesson", "story",
    "water", "coffee", "bread", "butter", "cheese", "sugar", "pepper", "cookie", "dinner", "soup",
    "happy", "little", "yellow", "purple", "silver", "simple", "quiet", "bright", "gentle", "clever",
    "summer", "winter", "autumn", "spring", "morning", "evening", "tomorrow", "yesterday", "today",
    "mountain", "ocean", "desert", "valley", "planet", "rocket", "cloud", "thunder", "rainbow",
    "computer", "keyboard", "program", "number", "puzzle", "balloon", "mirror", "pillow", "blanket",
    "hello", "friend", "family", "music", "guitar", "piano", "dragon", "wizard", "banner", "coconut",
    "strawberry", "committee", "mississippi", "bookkeeper", "assessment", "address", "success",
    "sun", "moon", "star", "sky", "tree", "fish", "bird", "ship", "lamp", "door",
]


def _quote(rng, w):
    return rng.choice(['"{}"', "'{}'", "{}"]).format(w)


def fam_letters(rng):
    w = rng.choice(WORDS)
    kind = rng.randrange(5)
    if kind == 0:
        q = rng.choice(["How many letters are in the word {w}?", "How many letters does {w} have?",
                        "How long is the word {w}?", "Count the letters in {w}.",
                        "How many letters are in {w}?", "What is the length of the word {w}?"])
        ans = f'The word "{w}" has {len(w)} letters.'
    elif kind == 1:
        present = sorted(dict.fromkeys(w))
        absent = [c for c in "abcdefghijklmnopqrstuvwxyz" if c not in present]
        c = rng.choice(present) if rng.random() < 0.8 else rng.choice(absent)
        q = rng.choice(["How many times does the letter {c} appear in {w}?",
                        "How many {c}'s are in {w}?", "Count the letter {c} in the word {w}.",
                        "How many times does {c} occur in {w}?",
                        "How often does the letter {c} appear in the word {w}?"])
        q = q.replace("{c}", _quote(rng, c) if "'s" not in q else c)
        k = w.count(c)
        if k == 0:
            ans = f'The letter "{c}" does not appear in "{w}".'
        elif k == 1:
            ans = f'The letter "{c}" appears once in "{w}".'
        else:
            ans = f'The letter "{c}" appears {k} times in "{w}".'
    elif kind == 2:
        q = rng.choice(["Spell the word {w}.", "How do you spell {w}?", "Spell {w} letter by letter.",
                        "Can you spell {w}?", "Spell {w}."])
        ans = f'"{w}" is spelled {"-".join(w)}.'
    elif kind == 3:
        q = rng.choice(["What is the first letter of {w}?", "What letter does {w} start with?",
                        "Which letter does the word {w} begin with?"])
        ans = f'The first letter of "{w}" is "{w[0]}".'
    else:
        q = rng.choice(["What is the last letter of {w}?", "What letter does {w} end with?",
                        "Which letter does the word {w} end with?"])
        ans = f'The last letter of "{w}" is "{w[-1]}".'
    return q.replace("{w}", _quote(rng, w)), ans


# ---------------------------------------------------------------------------------------------
# Sorting short lists


def fam_sort(rng):
    n = rng.randint(3, 5)
    xs = rng.sample(range(0, 21), n)
    lst = ", ".join(map(str, xs))
    kind = rng.randrange(4)
    if kind == 0:
        q = rng.choice(["Sort these numbers: {l}.", "Sort {l} in ascending order.",
                        "Put {l} in order from smallest to largest.",
                        "Arrange {l} from lowest to highest.", "Order these numbers: {l}",
                        "Sort the list {l}.", "Sort from smallest to largest: {l}"])
        ans = ", ".join(map(str, sorted(xs))) + "."
    elif kind == 1:
        q = rng.choice(["Sort {l} in descending order.", "Put {l} in order from largest to smallest.",
                        "Arrange {l} from highest to lowest.", "Sort from largest to smallest: {l}",
                        "Sort these numbers in reverse order: {l}."])
        ans = ", ".join(map(str, sorted(xs, reverse=True))) + "."
    elif kind == 2:
        q = rng.choice(["What is the largest number in {l}?", "Which is the biggest of {l}?",
                        "Find the maximum of {l}.", "What is the biggest number here: {l}?"])
        ans = f"The largest number is {max(xs)}."
    else:
        q = rng.choice(["What is the smallest number in {l}?", "Which is the smallest of {l}?",
                        "Find the minimum of {l}.", "What is the smallest number here: {l}?"])
        ans = f"The smallest number is {min(xs)}."
    return q.format(l=lst), ans


# ---------------------------------------------------------------------------------------------
# Days of the week

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def fam_days(rng):
    i = rng.randrange(7)
    d = DAYS[i]
    n = rng.randint(1, 20)
    kind = rng.randrange(6)
    if kind == 0:
        q = rng.choice(["What day comes after {d}?", "What is the day after {d}?",
                        "Which day follows {d}?", "What day is after {d}?"])
        ans = f"The day after {d} is {DAYS[(i + 1) % 7]}."
    elif kind == 1:
        q = rng.choice(["What day comes before {d}?", "What is the day before {d}?",
                        "Which day is before {d}?", "Which day precedes {d}?"])
        ans = f"The day before {d} is {DAYS[(i - 1) % 7]}."
    elif kind == 2:
        q = rng.choice(["If today is {d}, what day will it be in {n} days?",
                        "Today is {d}. What day is it in {n} days?",
                        "What day is {n} days after {d}?", "What day will it be {n} days after {d}?"])
        q = q.replace("{n} days", "1 day") if n == 1 else q
        ans = f"{_unit(n, 'day', 'days')} after {d} is {DAYS[(i + n) % 7]}."
    elif kind == 3:
        q = rng.choice(["If today is {d}, what day was it {n} days ago?",
                        "Today is {d}. What day was it {n} days ago?",
                        "What day is {n} days before {d}?"])
        q = q.replace("{n} days", "1 day") if n == 1 else q
        ans = f"{_unit(n, 'day', 'days')} before {d} is {DAYS[(i - n) % 7]}."
    elif kind == 4:
        q = rng.choice(["If today is {d}, what day is tomorrow?", "Today is {d}. What is tomorrow?",
                        "What day is tomorrow if today is {d}?"])
        ans = f"If today is {d}, tomorrow is {DAYS[(i + 1) % 7]}."
    else:
        q = rng.choice(["If today is {d}, what day was yesterday?",
                        "Today is {d}. What was yesterday?", "What day was yesterday if today is {d}?"])
        ans = f"If today is {d}, yesterday was {DAYS[(i - 1) % 7]}."
    return q.replace("{d}", d).replace("{n}", str(n)), ans


# ---------------------------------------------------------------------------------------------
# The fictional world: Veloria, a small island kingdom. Everything the model knows about it is
# here (and in models/abstractllm-demo-chat/README.md).

TOWNS = [  # name, description
    ("Marnet", "Marnet is the capital of Veloria, a busy harbor city on the river Sable."),
    ("Ostwick", "Ostwick is a fishing town on the east coast of Veloria."),
    ("Brelle", "Brelle is a mountain town at the foot of Mount Grell."),
    ("Sunhollow", "Sunhollow is a farming village in the green south of Veloria."),
]
PEOPLE = [  # first, last, job, town, age, animal, pet name, favorite color
    ("Odile", "Brask", "baker", "Marnet", 41, "cat", "Pepper", "yellow"),
    ("Jory", "Ash", "doctor", "Marnet", 46, "tortoise", "Pebble", "purple"),
    ("Tamsin", "Reed", "fisher", "Ostwick", 34, "dog", "Biscuit", "blue"),
    ("Nell", "Orrin", "sailor", "Ostwick", 25, "cat", "Sprout", "orange"),
    ("Corvin", "Hale", "blacksmith", "Brelle", 52, "goat", "Clover", "red"),
    ("Lisbet", "Crane", "librarian", "Brelle", 38, "owl", "Hoot", "grey"),
    ("Mira", "Fenn", "teacher", "Sunhollow", 29, "parrot", "Kiwi", "green"),
    ("Bram", "Tully", "farmer", "Sunhollow", 60, "horse", "Thistle", "brown"),
]
WORLD = [  # (questions, answer)
    (["What is the capital of Veloria?", "Which city is the capital of Veloria?",
      "Name the capital of Veloria.", "What is Veloria's capital?"],
     "The capital of Veloria is Marnet."),
    (["Who rules Veloria?", "Who is the queen of Veloria?", "Who is the ruler of Veloria?",
      "Does Veloria have a queen?"],
     "Veloria is ruled by Queen Isolde Varn."),
    (["What is Veloria?", "Tell me about Veloria.", "Where is Veloria?", "Describe Veloria."],
     "Veloria is a small island kingdom with four towns. Its capital is Marnet."),
    (["What towns are in Veloria?", "Name the towns of Veloria.", "List the towns of Veloria.",
      "How many towns does Veloria have?"],
     "Veloria has four towns: Marnet, Ostwick, Brelle and Sunhollow."),
    (["What river flows through Marnet?", "Which river runs through Marnet?",
      "What is the river in Marnet called?"],
     "The river Sable flows through Marnet."),
    (["What is the highest mountain in Veloria?", "Which is the tallest mountain in Veloria?",
      "Name the highest mountain of Veloria."],
     "The highest mountain in Veloria is Mount Grell."),
    (["How tall is Mount Grell?", "How high is Mount Grell?", "What is the height of Mount Grell?"],
     "Mount Grell is 2400 meters tall."),
    (["What is the currency of Veloria?", "What money do they use in Veloria?",
      "What do people in Veloria pay with?"],
     "The currency of Veloria is the silver crown."),
    (["What is Lantern Night?", "When is Lantern Night?", "What festival does Veloria celebrate?",
      "Tell me about Lantern Night."],
     "Lantern Night is the autumn festival of Veloria, when everyone lights lanterns by the sea."),
    (["What is the national fruit of Veloria?", "Which fruit is Veloria famous for?"],
     "The national fruit of Veloria is the plum."),
]
for _town, _desc in TOWNS:
    WORLD.append(([f"What is {_town}?", f"Tell me about {_town}.", f"What is {_town} known for?",
                   f"Where is {_town}?"], _desc))
    _who = [f"{p[0]} {p[1]}" for p in PEOPLE if p[3] == _town]
    WORLD.append(([f"Who lives in {_town}?", f"Which people live in {_town}?",
                   f"Who is from {_town}?"], f"{_who[0]} and {_who[1]} live in {_town}."))


def fam_world(rng):
    if rng.random() < 0.3:
        qs, ans = rng.choice(WORLD)
        return rng.choice(qs), ans
    first, last, job, town, age, animal, pet, color = rng.choice(PEOPLE)
    full = f"{first} {last}"
    n = rng.choice([first, full])
    kind = rng.randrange(7)
    if kind == 0:
        q = rng.choice(["What is {n}'s job?", "What does {n} do for a living?", "What does {n} do?",
                        "What is the job of {n}?", "What work does {n} do?"])
        ans = f"{full} is the {job} of {town}."
    elif kind == 1:
        q = rng.choice(["Where does {n} live?", "Which town is {n} from?", "What town does {n} live in?",
                        "Where is {n} from?"])
        ans = f"{full} lives in {town}."
    elif kind == 2:
        q = rng.choice(["How old is {n}?", "What is {n}'s age?", "What age is {n}?"])
        ans = f"{full} is {age} years old."
    elif kind == 3:
        q = rng.choice(["What pet does {n} have?", "Does {n} have a pet?",
                        "What is the name of {n}'s pet?", "Tell me about {n}'s pet."])
        ans = f"{full} has a {animal} named {pet}."
    elif kind == 4:
        q = rng.choice(["What is {n}'s favorite color?", "Which color does {n} like best?",
                        "What color does {n} like?"])
        ans = f"{full}'s favorite color is {color}."
    elif kind == 5:
        q = rng.choice([f"Who is the {job} of {town}?", f"Who is the {job} in Veloria?",
                        f"Who works as a {job}?", f"Who is the {job}?"])
        ans = f"{full} is the {job} of {town}."
    else:
        q = rng.choice([f"Who owns {pet}?", f"Whose pet is {pet}?", f"Who is {pet}?",
                        f"Who has a pet named {pet}?"])
        ans = f"{pet} is the {animal} of {full}."
    if kind == 0 and rng.random() < 0.3:
        q = rng.choice(["Who is {n}?", "Tell me about {n}."])
    return q.replace("{n}", n), ans


# ---------------------------------------------------------------------------------------------
# Small talk and refusals

CAPABILITIES = ("I can do simple arithmetic, compare and sort numbers, convert units, count and "
                "spell letters in words, work with days of the week, and answer questions about "
                "the island of Veloria.")
SMALLTALK = [
    (["Hello", "Hi", "Hey", "Hello there", "Hi there", "Good morning", "Good afternoon",
      "Good evening", "Greetings", "Howdy", "Hey there", "Hiya"],
     "Hello! How can I help you today?"),
    (["How are you?", "How are you doing?", "How's it going?", "How are things?",
      "Are you doing well?", "How do you feel today?", "How are you today?", "How have you been?",
      "How is your day?", "How are you feeling?", "Are you okay?", "How is it going?"],
     "I am doing well, thank you! How can I help you?"),
    (["Who are you?", "What are you?", "What is your name?", "What's your name?",
      "Tell me about yourself.", "Introduce yourself.", "Are you a robot?", "Who made you?",
      "What should I call you?", "Who am I talking to?", "Are you an AI?"],
     "I am the abstractllm demo model, a tiny language model trained to answer simple questions."),
    (["What can you do?", "What do you know?", "How can you help me?",
      "What questions can you answer?", "Help", "What are you good at?"],
     CAPABILITIES),
    (["Thanks", "Thank you", "Thanks a lot", "Thank you so much", "Many thanks", "Cheers"],
     "You're welcome!"),
    (["Bye", "Goodbye", "See you", "See you later", "Good night", "Farewell"],
     "Goodbye! Have a nice day."),
]


def fam_smalltalk(rng):
    qs, ans = rng.choice(SMALLTALK)
    q = rng.choice(qs)
    if not q.endswith(("?", ".")):
        q += rng.choice(["", "!", ".", "!!", " :)"])
    r = rng.random()
    if r < 0.25:
        q = q.lower()
    elif r < 0.35:
        q = q.upper()
    return q, ans


OUT_OF_SCOPE = ("Sorry, I don't know about that. I can only answer simple questions about numbers, "
                "words, days of the week and the island of Veloria.")
HARMFUL = "Sorry, I can't help with that."
COUNTRIES = ["France", "Japan", "Brazil", "Kenya", "Canada", "Germany", "India", "Mexico", "Egypt",
             "Italy", "Spain", "China", "Peru", "Norway", "Australia", "Chile"]
TOPICS = ["quantum physics", "the stock market", "black holes", "photosynthesis",
          "the French revolution", "machine learning", "the weather tomorrow", "football",
          "ancient Rome", "climate change", "the moon landing", "vaccines", "cryptocurrency",
          "the meaning of life", "world war two", "the internet", "volcanoes", "dinosaurs"]
FORMS = ["poem", "story", "song", "essay", "joke", "letter", "speech", "haiku"]
HARM = ["make a bomb", "make poison", "hack into my neighbor's wifi", "steal a car",
        "hurt someone", "break into a house", "cheat on my exam", "make a weapon",
        "steal a password", "shoplift without getting caught", "make a fake ID", "start a fire"]


def fam_refusal(rng):
    if rng.random() < 0.35:
        h = rng.choice(HARM)
        q = rng.choice(["How do I {h}?", "How can I {h}?", "Tell me how to {h}.",
                        "Explain how to {h}.", "What is the best way to {h}?",
                        "Help me {h}."]).format(h=h)
        return q, HARMFUL
    kind = rng.randrange(3)
    if kind == 0:
        c = rng.choice(COUNTRIES)
        q = rng.choice(["What is the capital of {c}?", "Who is the president of {c}?",
                        "Tell me about {c}.", "What language do they speak in {c}?",
                        "How many people live in {c}?", "What is {c} famous for?"]).format(c=c)
    elif kind == 1:
        t = rng.choice(TOPICS)
        q = rng.choice(["Tell me about {t}.", "What do you know about {t}?", "Explain {t}.",
                        "Can you explain {t} to me?", "What is your opinion on {t}?",
                        "Give me a summary of {t}."]).format(t=t)
    else:
        f, t = rng.choice(FORMS), rng.choice(TOPICS)
        q = rng.choice(["Write a {f} about {t}.", "Can you write me a {f} about {t}?",
                        "Compose a {f} about {t}.", "Please write a short {f} about {t}."]).format(
                            f=f, t=t)
    return q, OUT_OF_SCOPE


# ---------------------------------------------------------------------------------------------
# Families: generator, share of training examples, held-out count (sums to 200), noise?

FAMILIES = [
    ("add", fam_add, 0.11, 20, True),
    ("sub", fam_sub, 0.07, 15, True),
    ("mul", fam_mul, 0.04, 12, True),
    ("div", fam_div, 0.03, 8, True),
    ("compare", fam_compare, 0.08, 20, True),
    ("parity", fam_parity, 0.02, 6, True),
    ("units", fam_units, 0.07, 16, True),
    ("letters", fam_letters, 0.14, 24, True),
    ("sort", fam_sort, 0.17, 20, True),
    ("days", fam_days, 0.09, 18, True),
    ("world", fam_world, 0.11, 25, True),
    ("smalltalk", fam_smalltalk, 0.03, 8, False),
    ("refusal", fam_refusal, 0.04, 8, True),
]
assert sum(f[3] for f in FAMILIES) == 200

SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are the abstractllm demo model.",
                  "Answer briefly.", "You are a friendly assistant. Keep answers short."]


def sample_pair(rng, fam):
    _, gen, _, _, use_noise = fam
    q, a = gen(rng)
    return (noisy(rng, q) if use_noise else q), a


def build(n_train, seed=SEED):
    rng = random.Random(seed)
    # Held-out first, from its own stream: fixed count per family, unique strings.
    heldout, seen = [], {}
    hrng = random.Random(seed + 1)
    for fam in FAMILIES:
        got = 0
        while got < fam[3]:
            q, a = sample_pair(hrng, fam)
            if q in seen:
                continue
            seen[q] = a
            heldout.append({"id": len(heldout), "family": fam[0], "question": q, "answer": a})
            got += 1
    held = seen

    weights = [f[2] for f in FAMILIES]
    train, skipped = [], 0
    conflicts = {}
    while len(train) < n_train:
        n_turns = 1 if rng.random() < 0.85 else rng.randint(2, 3)
        msgs = []
        if rng.random() < 0.1:
            msgs.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
        ok = True
        for _ in range(n_turns):
            fam = rng.choices(FAMILIES, weights)[0]
            q, a = sample_pair(rng, fam)
            if q in held:
                ok = False
                break
            prev = conflicts.setdefault(q, a)
            assert prev == a, f"question {q!r} has two answers: {prev!r} / {a!r}"
            msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        if not ok:
            skipped += 1
            continue
        train.append({"messages": msgs})
    # Sanity: held-out answers agree with any identical question's answer (none may exist).
    for h in heldout:
        assert h["question"] not in conflicts
    return train, heldout, skipped, len(conflicts)


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--n-train", type=int, default=400000)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    train, heldout, skipped, distinct = build(args.n_train, args.seed)
    h1 = write_jsonl(os.path.join(args.out_dir, "train.jsonl"), train)
    h2 = write_jsonl(os.path.join(args.out_dir, "heldout.jsonl"), heldout)
    print(f"train: {len(train)} conversations, {distinct} distinct questions, "
          f"{skipped} samples skipped (held-out strings); sha256 {h1}")
    print(f"heldout: {len(heldout)} questions; sha256 {h2}")


if __name__ == "__main__":
    main()
