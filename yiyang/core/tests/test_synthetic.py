"""Invented people for the demo and the benchmarks: valid, unique, reproducible."""

import datetime as dt

from yiyang.core.identifiers import parse_id_number
from yiyang.core.synthetic import HEADER, synthetic_elder_rows

TODAY = dt.date(2026, 11, 23)
COMMUNITIES = [("440304006001", "梅林街道"), ("440304007001", "莲花街道")]


def test_same_seed_same_rows_other_seed_other_rows():
    a = list(synthetic_elder_rows(500, seed=1, communities=COMMUNITIES, today=TODAY))
    b = list(synthetic_elder_rows(500, seed=1, communities=COMMUNITIES, today=TODAY))
    c = list(synthetic_elder_rows(500, seed=2, communities=COMMUNITIES, today=TODAY))
    assert a == b and a != c
    assert all(len(r) == len(HEADER) for r in a)


def test_id_numbers_are_valid_unique_and_sixty_or_older():
    rows = list(synthetic_elder_rows(20_000, seed=7, communities=COMMUNITIES, today=TODAY))
    ids = [r[1] for r in rows]
    assert len(set(ids)) == len(ids)
    for value in ids[:2000]:
        parsed = parse_id_number(value, today=TODAY)
        assert parsed.value == value
        assert 60 <= parsed.age_on(TODAY) <= 107


def test_a_full_birth_day_spills_over_to_the_day_before(monkeypatch):
    # Every draw on the same day and sequence: 500 people fill that day, the rest go earlier,
    # and the ID numbers stay unique.
    import random

    class Fixed(random.Random):
        def randrange(self, *args, **kwargs):
            return 0

        def expovariate(self, lambd):
            return 0.0

    monkeypatch.setattr("yiyang.core.synthetic.random.Random", Fixed)
    ids = [r[1] for r in synthetic_elder_rows(1200, seed=1, communities=COMMUNITIES, today=TODAY)]
    assert len(set(ids)) == 1200
    assert len({i[6:14] for i in ids}) == 3  # 500 + 500 + 200 over three days
    for value in ids:
        parse_id_number(value, today=TODAY)
