"""Yes/no resource questions (budgets, costs, capacity, time, memory, seats) read without a model and
answered exactly; anything unclear is left to the model (None)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from qsm.agents.tools import (
    CapacityCheck,
    CapacityQuestion,
    Tool,
    Toolbox,
    ToolCall,
    builtin_toolbox,
    evaluate,
    parse_capacity,
)

# text, asks, available, required, unit, yes
QUESTIONS = [
    # a capacity and a single need
    ("The server has 16 GB of RAM and the job needs 12 GB. Is that enough?", "fits", 16, 12, "GB", True),
    ("Can a 500 GB disk hold 620 GB of backups?", "fits", 500, 620, "GB", False),
    ("Will 620 GB of backups fit on a 500 GB disk?", "fits", 500, 620, "GB", False),
    ("Is 16 GB of RAM enough for a job that needs 12 GB?", "fits", 16, 12, "GB", True),
    ("Is 12 GB enough for a 16 GB job?", "fits", 12, 16, "GB", False),
    ("The job needs 12 GB free and the server has 16 GB. Is that enough?", "fits", 16, 12, "GB", True),
    ("My laptop has 8 GB of memory. The model needs 10 GB. Will it run out of memory?", "exceeds", 8, 10, "GB",
     True),
    ("We have a 2 TB drive and 1,500 GB of photos. Will they fit?", "fits", 2000, 1500, "GB", True),
    ("I have EUR 300 and the flight costs EUR 289. Can I afford it?", "fits", 300, 289, "€", True),
    ("I have 2 hours. The film runs 135 minutes. Will I run out of time?", "exceeds", 120, 135, "min", True),
    ("The meeting room holds 12 people and 15 people signed up. Is the room big enough?", "fits", 12, 15,
     "people", False),
    ("Can 45 people fit in a room that seats 50?", "fits", 50, 45, "people", True),
    ("Is there room for 45 people in a hall that seats 40?", "fits", 40, 45, "people", False),
    ("The class has 30 students and the bus seats 28. Is the bus too small?", "exceeds", 28, 30, "people",
     True),
    # several items summed
    ("I have $459 and want a headset for $59, a monitor for $347 and a chair for $112. Can I afford all "
     "three?", "fits", 459, 518, "$", False),
    ("I have 50 dollars. Lunch costs 12 dollars and dinner costs 35 dollars. Can I pay for both?", "fits", 50,
     47, "$", True),
    ("The disk has 250 GB free. I want to copy 120 GB of video and 90 GB of music. Will it fit?", "fits", 250,
     210, "GB", True),
    ("We have a budget of $12,000. Salaries cost $9,500 and tools cost $3,000. Are we over budget?",
     "exceeds", 12000, 12500, "$", True),
    ("Our monthly budget is $2,000 and rent is $1,400 and food is $700. Can we cover both?", "fits", 2000,
     2100, "$", False),
    ("A bus has 50 seats. 46 passengers and 6 staff are travelling. Is there enough room?", "fits", 50, 52,
     "people", False),
    # counts times unit prices
    ("With €2,147 can we buy 27 licences at €75 each?", "fits", 2147, 2025, "€", True),
    ("Is a budget of $1,000 enough for 12 tickets costing $85 apiece?", "fits", 1000, 1020, "$", False),
    ("Tickets cost $85 each. Is $1,000 enough for 12 tickets?", "fits", 1000, 1020, "$", False),
    ("Is a $500 budget enough for 6 chairs at $79 each?", "fits", 500, 474, "$", True),
    ("With $80, can I buy 3 books at $24 each?", "fits", 80, 72, "$", True),
    ("If I have 1000 dollars, can I afford 12 tickets at 85 dollars each?", "fits", 1000, 1020, "$", False),
    ("We have $5k left in the budget. Will buying 3 laptops at $1,800 each go over budget?", "exceeds", 5000,
     5400, "$", True),
    ("We need 30 people at $12 each for catering and have $400. Is that enough?", "fits", 400, 360, "$", True),
    ("Our bucket holds 1 TB. Can it store 3 backups of 400 GB each?", "fits", 1000, 1200, "GB", False),
    ("Can we fit 3 VMs needing 8 GB each on a host with 32 GB?", "fits", 32, 24, "GB", True),
    ("A van can carry 1,200 kg. Will 30 boxes of 45 kg each be too much?", "exceeds", 1200, 1350, "kg", True),
    ("The truck's capacity is 3 tonnes. We have 25 crates of 130 kg. Will they fit?", "fits", 3000, 3250,
     "kg", False),
    # rates times durations
    ("A VM costs $0.40 per hour. Does $300 cover 30 days of it running nonstop?", "fits", 300, 288, "$", True),
    ("The hotel costs £120 per night. Is £500 enough for 4 nights?", "fits", 500, 480, "£", True),
    ("A GPU instance costs $2.50 an hour. Will 100 hours exceed our $200 budget?", "exceeds", 200, 250, "$",
     True),
    # time totals with mixed units
    ("I have 3 hours free. Will tasks of 23, 64, 84 and 35 minutes fit?", "fits", 180, 206, "min", False),
    ("I have 90 minutes for three talks of 25, 30 and 40 minutes. Do they fit?", "fits", 90, 95, "min", False),
    # percentages of a budget
    ("We may spend at most 12% of our £29,900 budget on hardware. The bill is £3,466. Is it within the "
     "limit?", "fits", 3588, 3466, "£", True),
    ("Our budget is £29,900 and at most 12% may go to hardware. The bill is £3,466. Is it within the limit?",
     "fits", 3588, 3466, "£", True),
    ("We may spend up to 15% of our $40,000 budget on travel. Travel costs $6,500. Is that within the limit?",
     "fits", 6000, 6500, "$", False),
    # people, seats, rooms
    ("A room seats 40. 3 teams of 14 people want to meet. Is there room?", "fits", 40, 42, "people", False),
    ("The hall has 200 seats and 180 are already booked. Can 25 more guests come?", "fits", 20, 25, "people",
     False),
    # used vs left
    ("Our quota is 10,000 tokens and we used 8,200. Can we still make a 2,000-token call?", "fits", 1800, 2000,
     "tokens", False),
    ("Our quota is 5,000 tokens and we used 4,100. Will a 1,200-token request exceed the quota?", "exceeds",
     900, 1200, "tokens", True),
    ("The phone has 64 GB of storage with 50 GB used. Can I install a 10 GB game?", "fits", 14, 10, "GB", True),
    ("Our plan gives us 100 GB of bandwidth. We've used 72 GB and expect another 35 GB. Will we go over?",
     "exceeds", 28, 35, "GB", True),
    ("The storage quota is 50 GB and we use 47 GB. Can I upload a 2 GB file?", "fits", 50, 49, "GB", True),
    # more phrasings
    ("Budget: $1,500. Costs: $400 for venue, $650 for food, $300 for music. Are we within budget?", "fits",
     1500, 1350, "$", True),
    ("The event budget is 2,000 USD; catering is 1,250 USD and AV is 800 USD. Does that exceed the budget?",
     "exceeds", 2000, 2050, "$", True),
    ("Is $250 too little for 3 nights at $90 a night?", "exceeds", 250, 270, "$", True),
    ("The elevator's limit is 630 kg. Eight people weighing 80 kg each want to ride. Is that over the limit?",
     "exceeds", 630, 640, "kg", True),
    ("Can a 32 GB USB stick hold 7 videos of 4.5 GB each?", "fits", 32, 31.5, "GB", True),
    ("The restaurant seats 60 and we expect 48 guests. Do we have space?", "fits", 60, 48, "people", True),
    ("Does a 1 TB drive have room for 1,200 GB of photos?", "fits", 1000, 1200, "GB", False),
    ("A license costs €75 per seat. We have €1,000. Can we license 14 seats?", "fits", 1000, 1050, "€", False),
    ("The budget is $900. Will 2 nights at $350 per night and a $180 flight fit in it?", "fits", 900, 880, "$",
     True),
    ("The conference room fits 25 people. Will 4 teams of 6 people fit?", "fits", 25, 24, "people", True),
    ("Our server has 64 GB of RAM. Three services need 24 GB, 20 GB and 18 GB. Is there enough memory?",
     "fits", 64, 62, "GB", True),
    ("The job needs 40 GB of memory but the machine has 32 GB. Is the machine short of memory?", "exceeds", 32,
     40, "GB", True),
    ("We have €10,000 and need to pay 3 contractors €3,500 each. Can we pay them?", "fits", 10000, 10500, "€",
     False),
    ("The tank holds 50 litres. Will 60 litres fit?", "fits", 50, 60, "l", False),
    ("A 90-minute meeting and two 45-minute calls: will they fit in my 3 free hours?", "fits", 180, 180, "min",
     True),
    ("With only 2.5 hours, can I watch three 50-minute episodes?", "fits", 150, 150, "min", True),
    ("Is $20 enough to buy 3 coffees at $4.50 each and a $6 sandwich?", "fits", 20, 19.5, "$", True),
    ("I have 1.5k dollars. Can I afford two $800 laptops?", "fits", 1500, 1600, "$", False),
    ("We have 10 days to finish 3 tasks of 4 days each. Can we make it?", "fits", 10, 12, "days", False),
    ("A server costs $3 per day. Will $100 last 30 days?", "fits", 100, 90, "$", True),
    ("I need $600 for rent and I have $550. Am I short?", "exceeds", 550, 600, "$", True),
    ("The file is 700 MB and the CD holds 650 MB. Will it fit?", "fits", 650, 700, "MB", False),
    ("Our budget of $500 must cover a $200 deposit and 4 payments of $80. Is it enough?", "fits", 500, 520, "$",
     False),
    ("Is $1,000,000 enough to buy 3 houses at $400,000 each?", "fits", 1e6, 1.2e6, "$", False),
    ("Will a 2,000-token prompt go over our 1,500-token limit?", "exceeds", 1500, 2000, "tokens", True),
    ("The room fits 30. Can 31 people attend?", "fits", 30, 31, "people", False),
    ("Do we have enough budget? We have $300 and need $299.99.", "fits", 300, 299.99, "$", True),
    ("Is $50 enough if I already spent $20 and need $35 more?", "fits", 30, 35, "$", False),
    ("The car holds 5 people. We are 3 adults and 3 children. Do we fit?", "fits", 5, 6, "people", False),
    ("Will 15 minutes be enough for 3 tasks of 6 minutes each?", "fits", 15, 18, "min", False),
    ("Our 8 GB GPU must hold a 7 GB model and a 2 GB cache. Is it too small?", "exceeds", 8, 9, "GB", True),
    ("My bag holds 20 kg and my stuff weighs 18 kg. Can I add 3 kg of books?", "fits", 20, 21, "kg", False),
    ("A 1,000 word essay and a 500 word abstract: do they fit in the 1,600 word limit?", "fits", 1600, 1500,
     "words", True),
    # limits said with a negation in the statement, questions as "check whether" / "tell me if"
    ("We can't spend more than $500. The laptop is $450. Can we buy it?", "fits", 500, 450, "$", True),
    ("Spending must not exceed €2,000. Flights are €1,200 and hotels €950. Will we go over?", "exceeds", 2000,
     2150, "€", True),
    ("Check whether $300 covers 30 days at $0.40 per hour.", "fits", 300, 288, "$", True),
    ("Tell me if 3 teams of 14 people fit in a room that seats 40.", "fits", 40, 42, "people", False),
    ("Do we have enough seats for 45 guests if the hall seats 50?", "fits", 50, 45, "people", True),
    ("Is there enough memory? The model needs 6 GB and the GPU has 8 GB.", "fits", 8, 6, "GB", True),
    ("Is 3 hours enough for 4 meetings of 50 minutes?", "fits", 180, 200, "min", False),
    ("Can our $2,000 budget cover 5 nights at $350 per night?", "fits", 2000, 1750, "$", True),
]  # fmt: skip


@pytest.mark.parametrize(("text", "asks", "available", "required", "unit", "yes"), QUESTIONS)
def test_resource_questions(
    text: str, asks: str, available: float, required: float, unit: str, yes: bool
) -> None:
    _assert_read(text, asks, available, required, unit, yes)


def _assert_read(text: str, asks: str, available: float, required: float, unit: str, yes: bool) -> None:
    question = parse_capacity(text)
    assert question is not None, text
    assert question.asks == asks
    assert question.available == pytest.approx(available)
    assert question.required == pytest.approx(required)
    assert question.unit == unit
    assert evaluate(question.available_expression) == pytest.approx(available)
    assert evaluate(question.required_expression) == pytest.approx(required)
    answer, explanation = question.answer()
    assert answer is yes
    assert explanation.startswith("Yes." if yes else "No.")


NOT_RESOURCE_QUESTIONS = [
    "How should I split $1000 between three teams?",
    "Is Paris bigger than London?",
    "What is 17 + 25?",
    "What is 15% of 80?",
    "Who wrote Romeo and Juliet?",
    "The Eiffel Tower is 330 m tall.",
    "Convert 5 km to miles",
    "How many GB are in 2 TB?",
    "How much is left if I have $500 and spend $320?",
    "I have $500 and spent $320.",
    "Is 500 GB more than 400 GB?",
    "Is $300 more than the $288 we need?",
    "Is 2024 a leap year?",
    "Is 7 a prime number?",
    "Is it enough?",
    "Can you add 12 and 30?",
    "Did the meeting in 2019 have 40 people?",
    # one side missing
    "I have $100. Can I afford it?",
    "Can I afford a $1,200 laptop?",
    "Is a 12 GB job too big?",
    "We have 40 chairs. Is that enough?",
    # negations: left to the model
    "Will we not exceed the $500 budget with $600 of costs?",
    "Isn't $300 enough for a $250 phone?",
    "Is $300 not enough for a $250 phone?",
    # unclear: two questions, two currencies, bare numbers against hours, two budgets, a count that disagrees
    "Can a 500 GB disk hold 620 GB of backups? Which disk should I buy?",
    "I have €500 and the laptop costs $600. Can I afford it?",
    "I have 3 hours and tasks of 40, 50 and 70. Will they fit?",
    "We have $1000 and $500. Is that enough for a $1200 trip?",
    "I have $459 and want a headset for $59 and a chair for $112. Can I afford all three?",
    # counts that are not multiplied in, a card balance (owed or available?), a rate with no duration
    "I've got £40. A pizza is £12 and a drink is £3. Can I get 3 pizzas and 2 drinks?",
    "We have 8 hours. Each of the 5 interviews takes 90 minutes. Will we have enough time?",
    "My card has a limit of $2,000 and a balance of $1,750. Will a $300 purchase go over the limit?",
    "Our cloud bill is capped at $500 per month. We spent $420 and expect $95 more. Will we exceed the cap?",
    "In 2025 our budget is $500. Is that enough for a $300 phone and 2 cases?",
    "The items cost 120, 200 and 150. I have $500. Is that enough?",
    "Does the $300 budget cover a 250 GB drive?",
    "Is 3 hours enough to drive 250 km?",
    "I have $500. I spent $320 on a phone. Can I afford it?",
    "I need 12 GB and have 16 GB. Is 4 GB of headroom enough for logs?",
    "We have 5 people and each needs 2 GB. Is 8 GB enough?",
    "The disk is 500 GB and 80% full. Can I add 150 GB?",
    "The venue holds up to 150. We invited 160 but expect 10% to decline. Is the venue big enough?",
    # a month is 28 to 31 days
    "A server costs $3 per day. Will $100 last a month?",
    # both polarities at once
    "Is $300 enough, or will we go over the budget with a $250 phone?",
    "",
    "?",
]


@pytest.mark.parametrize("text", NOT_RESOURCE_QUESTIONS)
def test_not_resource_questions(text: str) -> None:
    assert parse_capacity(text) is None


def test_explanation_shows_the_arithmetic() -> None:
    question = parse_capacity(
        "I have $459 and want a headset for $59, a monitor for $347 and a chair for $112. "
        "Can I afford all three?"
    )
    assert question is not None
    assert question.answer() == (
        False,
        "No. The total needed is $518 (59 + 347 + 112), more than the $459 available.",
    )
    left = parse_capacity(
        "Our quota is 10,000 tokens and we used 8,200. Can we still make a 2,000-token call?"
    )
    assert left is not None
    assert left.answer()[1] == (
        "No. The amount needed is 2,000 tokens, more than the 1,800 tokens left (10000 - 8200)."
    )


@pytest.mark.parametrize(
    ("asks", "available", "required", "yes"),
    [
        ("fits", 100, 100, True),
        ("exceeds", 100, 100, False),
        ("fits", 100, 100.01, False),
        ("exceeds", 100, 100.01, True),
        ("fits", 0.1 + 0.2, 0.3, True),
    ],
)
def test_polarity_and_boundary(asks: str, available: float, required: float, yes: bool) -> None:
    question = CapacityQuestion(available=available, required=required, unit="$", asks=asks)  # type: ignore[arg-type]
    answer, explanation = question.answer()
    assert answer is yes
    assert explanation.split(".")[0] == ("Yes" if yes else "No")


def test_exactly_equal_is_said_so() -> None:
    _, text = CapacityQuestion(available=40, required=40, unit="people", asks="fits").answer()
    assert text == "Yes. The amount needed is 40 people, exactly the 40 people available."


def test_question_is_frozen_and_checks_its_expressions() -> None:
    question = CapacityQuestion(
        available=2147, required=2025, unit="€", asks="fits", required_expression="27 * 75"
    )
    with pytest.raises(ValidationError):
        question.required = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="27 \\* 75 is 2025, not 2000"):
        CapacityQuestion(available=2147, required=2000, unit="€", asks="fits", required_expression="27 * 75")
    with pytest.raises(ValidationError, match="not allowed"):
        CapacityQuestion(available=1, required=1, asks="fits", available_expression="__import__('os')")
    with pytest.raises(ValidationError):
        CapacityQuestion(available=1, required=1, asks="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CapacityQuestion(available=-1, required=1, asks="fits")


def test_check_capacity_tool() -> None:
    tool = CapacityCheck()
    assert isinstance(tool, Tool)
    assert tool.name == "check_capacity"
    toolbox = Toolbox([tool])
    result = toolbox.run(
        ToolCall(
            tool="check_capacity",
            arguments={
                "available": 459,
                "required": 518,
                "unit": "$",
                "asks": "fits",
                "required_expression": "59 + 347 + 112",
            },
        )
    )
    assert result.ok
    assert result.output == "No. The total needed is $518 (59 + 347 + 112), more than the $459 available."
    assert result.value == 0.0
    yes = tool.run(CapacityQuestion(available=16, required=12, unit="GB", asks="fits"))
    assert yes.value == 1.0
    assert yes.text.startswith("Yes.")
    exceeds = tool.run(CapacityQuestion(available=16, required=12, unit="GB", asks="exceeds"))
    assert exceeds.value == 0.0


def test_tool_refuses_inconsistent_arguments() -> None:
    result = Toolbox([CapacityCheck()]).run(
        ToolCall(
            tool="check_capacity",
            arguments={"available": 459, "required": 500, "asks": "fits", "required_expression": "59 + 347"},
        )
    )
    assert not result.ok
    assert "406" in result.error


def test_parse_then_tool_agree() -> None:
    question = parse_capacity("With €2,147 can we buy 27 licences at €75 each?")
    assert question is not None
    output = CapacityCheck().run(question)
    assert output.value == 1.0
    assert output.text == question.answer()[1]
    assert "check_capacity" not in builtin_toolbox()  # opt-in: the agents add it where resource questions go


def test_call_schema_compiles_to_a_llama_cpp_grammar() -> None:
    import json

    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    toolbox = builtin_toolbox()
    toolbox.add(CapacityCheck())
    schema = json.dumps(toolbox.call_schema())
    gbnf = llama_grammar.json_schema_to_gbnf(schema)
    assert '"\\"check_capacity\\""' in gbnf and '"\\"fits\\""' in gbnf and '"\\"exceeds\\""' in gbnf
    llama_grammar.LlamaGrammar.from_json_schema(schema, verbose=False)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("A pump moves 7 litres per minute. Can it fill a 31-litre tank in 5 minutes?", True),
        ("At 40 L/min, will a 2500 L tank be full within 60 minutes?", False),
    ],
)
def test_filling_a_container_needs_the_delivered_amount_to_reach_its_size(text: str, answer: bool) -> None:
    question = parse_capacity(text)
    assert question is not None and question.asks == "fills" and question.answer()[0] is answer
    assert (
        question.answer()[1].split(".")[0] == ("Yes" if answer else "No")
        and "to fill" in question.answer()[1]
    )


# text, asks, available, required, unit, yes: work, throughput, consumption and group sizes
RATE_QUESTIONS = [
    # people or machines, each giving a rate, for a duration, against the work
    ("We have 3 developers, each working 30 hours a week. Is 200 hours of work doable in 2 weeks?", "fits",
     180, 200, "hours", False),
    ("4 engineers each give 25 hours a week; can they deliver 350 hours of work in 3 weeks?", "fits", 300,
     350, "hours", False),
    ("Three developers each work 30 hours a week. Is 180 hours of work feasible in 2 weeks?", "fits", 180, 180,
     "hours", True),
    ("Our 5 testers each work 6 hours a day. Can they finish 140 hours of testing in 5 days?", "fits", 150,
     140, "hours", True),
    ("Two servers each process 1,200 jobs per hour; is that enough for 20,000 jobs in 8 hours?", "fits",
     19200, 20000, "jobs", False),
    ("Two servers each process 1,200 jobs per hour. We need 20,000 jobs done in 9 hours. Is that achievable?",
     "fits", 21600, 20000, "jobs", True),
    ("We have 4 machines, each making 150 parts per hour. Can we produce 5,000 parts in an 8-hour shift?",
     "fits", 4800, 5000, "parts", False),
    ("6 volunteers each pack 40 boxes an hour. Is packing 1,000 boxes in 4 hours manageable?", "fits", 960,
     1000, "boxes", False),
    ("I work 8 hours a day. Is 45 hours of work doable in 5 days?", "fits", 40, 45, "hours", False),
    ("Is 200 hours of work doable in 2 weeks if 3 developers each work 30 hours a week?", "fits", 180, 200,
     "hours", False),
    ("Can 3 developers, each working 30 hours a week, finish 200 hours of work in 2 weeks?", "fits", 180, 200,
     "hours", False),
    ("Can 3 developers working 30 hours a week each finish 200 hours of work in 2 weeks?", "fits", 180, 200,
     "hours", False),
    ("Two servers process 1,200 jobs per hour each. Is that enough for 20,000 jobs in 8 hours?", "fits", 19200,
     20000, "jobs", False),
    ("With 5 cooks each making 30 meals an hour, can we serve 600 meals in 4 hours?", "fits", 600, 600,
     "meals", True),
    ("The team of 6 developers each work 35 hours a week. Is a 400-hour project realistic in 2 weeks?", "fits",
     420, 400, "hours", True),
    ("Two servers each process 1,200 jobs per hour. Will 20,000 jobs in 8 hours be too many?", "exceeds",
     19200, 20000, "jobs", True),
    # a rate times a duration against an amount
    ("A printer prints 25 pages per minute. Can it print 600 pages in 20 minutes?", "fits", 500, 600, "pages",
     False),
    ("A pump moves 6 litres per minute. Can it fill 200 litres in 30 minutes?", "fits", 180, 200, "l", False),
    ("A hose delivers 12 litres per minute. Can it fill a 500-litre barrel in 45 minutes?", "fits", 540, 500,
     "l", True),
    ("A translator does 2,500 words per day. Can she translate 20,000 words in 10 days?", "fits", 25000, 20000,
     "words", True),
    ("The machine makes 120 bottles an hour. Can it make 1,000 bottles in 8 hours?", "fits", 960, 1000,
     "bottles", False),
    ("Our two printers each print 30 pages a minute. Will 2,000 pages be done within 30 minutes?", "fits",
     1800, 2000, "pages", False),
    ("Is it possible for a printer that prints 40 pages per minute to print 1,000 pages in 20 minutes?", "fits",
     800, 1000, "pages", False),
    ("A 700 MB file downloads at 2 MB per second. Will it finish within 5 minutes?", "fits", 600, 700, "MB",
     False),
    ("A 12 GB file downloads at 25 MB/s. Will it finish within 10 minutes? 1 GB = 1000 MB.", "fits", 15000,
     12000, "MB", True),
    ("A 4 GB file downloads at 5 MB per second. Will it be done in 10 minutes? Use 1 GB = 1000 MB.", "fits",
     3000, 4000, "MB", False),
    ("Will 320 files of 338 MB fit on a drive with 108.3 GB free? Take 1 GB as 1000 MB.", "fits", 108300,
     108160, "MB", True),
    ("The download is 1,500 MB and runs at 2 MB per second. Can it be done in 10 minutes?", "fits", 1200, 1500,
     "MB", False),
    ("A VM costs $0.01 per second. Is $10 enough for 10 minutes?", "fits", 10, 6, "$", True),
    ("Apples cost $4 per kg. Is $50 enough for 12 kg?", "fits", 50, 48, "$", True),
    ("Take 2 pills every 8 hours. Are 10 pills enough for 3 days?", "fits", 10, 18, "pills", False),
    # consumption per distance or time against what is in the tank
    ("A car uses 6 litres per 100 km and has 30 litres in the tank. Can it drive 450 km without refuelling?",
     "fits", 30, 27, "l", True),
    ("The van burns 9 litres per 100 km. We have 50 litres of fuel. Is that enough for a 600 km trip?", "fits",
     50, 54, "l", False),
    ("My car does 40 miles per gallon and I have 12 gallons. Can I drive 500 miles?", "fits", 480, 500, "mi",
     False),
    ("The generator uses 3 litres of diesel per hour and has 20 litres. Will it last 8 hours?", "fits", 20, 24,
     "l", False),
    ("A laptop battery lasts 8 hours. Will it last a 10-hour flight?", "fits", 8, 10, "hours", False),
    # groups of a size against seats
    ("A hall seats 230 people. 11 groups of 22 arrive. Is there a seat for everyone?", "fits", 230, 242,
     "people", False),
    ("We expect 7 teams of 28. The room holds 205. Is it big enough?", "fits", 205, 196, "people", True),
    ("The theatre seats 300. Twelve classes of 26 pupils are coming. Is there room for all of them?", "fits",
     300, 312, "people", False),
    ("Our bus has 52 seats. Can it take 4 groups of 12?", "fits", 52, 48, "people", True),
    ("A class of 32 and a class of 28 want to visit. The museum room holds 55. Is it big enough?", "fits", 55,
     60, "people", False),
    ("The room holds 40. Can a class of 32 fit?", "fits", 40, 32, "people", True),
    ("Fifteen tables of eight guests are planned. The restaurant seats 110. Will they all fit?", "fits", 110,
     120, "people", False),
    ("A lift can carry three thousand kilograms. Will 40 boxes of 80 kg each fit?", "fits", 3000, 3200, "kg",
     False),
    # more words that ask whether it fits
    ("I have 3 hours and the job takes 150 minutes. Can I finish in time?", "fits", 180, 150, "min", True),
    ("The budget is $500 and the repair costs $450. Is that feasible?", "fits", 500, 450, "$", True),
]  # fmt: skip


@pytest.mark.parametrize(("text", "asks", "available", "required", "unit", "yes"), RATE_QUESTIONS)
def test_rates_counts_and_groups(
    text: str, asks: str, available: float, required: float, unit: str, yes: bool
) -> None:
    _assert_read(text, asks, available, required, unit, yes)


def test_work_capacity_explanation_shows_people_times_rate_times_duration() -> None:
    question = parse_capacity(
        "We have 3 developers, each working 30 hours a week. Is 200 hours of work doable in 2 weeks?"
    )
    assert question is not None
    assert question.answer() == (
        False,
        "No. The amount needed is 200 hours, more than the 180 hours available (3 * 30 * 2).",
    )


NOT_RATE_QUESTIONS = [
    # each or together? a count without "each" is not multiplied in
    "Two pumps move 6 litres per minute. Can they fill a 200-litre tank in 30 minutes?",
    "4 engineers give 25 hours a week. Can they deliver 350 hours of work in 3 weeks?",
    "Each developer works 30 hours a week and we have 3 developers. Is 200 hours doable in 2 weeks?",
    "A team of 3 works 30 hours a week. Is 200 hours doable in 2 weeks?",
    # a rate with nothing to multiply, or two durations it could be per
    "3 developers each work 30 hours a week. Is 200 hours of work doable?",
    "Two servers each process 1,200 jobs per hour. Is that enough for 20,000 jobs?",
    "A printer prints 40 pages per minute. Can it print 1,000 pages in 20 minutes or 30 minutes?",
    "A printer prints 40 pages per minute and another prints 30 pages per minute. Can they print 1,000 pages "
    "in 20 minutes?",
    # nothing available, two amounts to reach, a group without its size, seats against groups
    "A car uses 6 litres per 100 km. Can it drive 450 km?",
    "A car uses 6 litres per 100 km and has 30 litres. Can it drive 450 km or 550 km?",
    "My car does 40 miles per gallon. I have 12 gallons and 5 gallons in a can. Can I drive 500 miles?",
    "11 groups of 22 arrive. Is there a seat for everyone?",
    "A hall seats 230. 11 groups arrive. Is there a seat for everyone?",
    "We expect 7 teams. The room holds 205. Is it big enough?",
    "The hall seats 500. We expect 18 groups of 25 and 40 staff. Is there room?",  # groups of 25 and of 40?
    # a stated conversion other than the reader's
    "A 12 GB file downloads at 25 MB/s. Will it finish within 10 minutes? 1 GB = 1024 MB.",
    # open questions, comparisons, a "without" that negates
    "A pump moves 6 litres per minute. How long does it take to fill a 200-litre tank?",
    "Is a pump that moves 6 litres per minute faster than one that moves 300 litres per hour?",
    "Is a team of 3 developers working 30 hours a week more productive than 2 working 40?",
    "A car uses 6 litres per 100 km and has 30 litres in the tank. Can it drive 450 km without going over "
    "budget?",
]


@pytest.mark.parametrize("text", NOT_RATE_QUESTIONS)
def test_unclear_rate_questions_are_left_to_the_model(text: str) -> None:
    assert parse_capacity(text) is None
