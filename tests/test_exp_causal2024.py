"""Building blocks of the causal-attention reproduction (attnflow.experiments.causal2024).

The quick run itself (rows, verdicts, values, files) is checked in tests/test_exp_reports.py.
"""

import math

import numpy as np

from attnflow.experiments.causal2024.claims_first_token import cosines_to_first, gaps_to_first
from attnflow.experiments.causal2024.claims_renyi import centre_counts, uniform_start


def test_gaps_are_one_minus_the_cosine_even_below_the_machine_epsilon():
    phi = np.array([0.0, 1e-9, 0.3, 2.0])
    x = np.stack([np.cos(phi), np.sin(phi)], axis=-1)[None]              # one save, 4 tokens
    exact = 2 * np.sin(phi / 2) ** 2                                     # 1 - cos(phi), no cancellation
    np.testing.assert_allclose(gaps_to_first(x)[0], exact, rtol=1e-15, atol=0)
    np.testing.assert_allclose(1 - cosines_to_first(x)[0, 2:], exact[2:], rtol=1e-15)
    assert 1 - cosines_to_first(x)[0, 1] == 0.0 and gaps_to_first(x)[0, 1] > 4e-19   # where 1 - c fails


def test_centre_counts_on_a_hand_made_sequence():
    # delta = 4/sqrt(64) = 0.5: 0.4 is near token 0 (neither kind); 0.8 is near token 0.4 (not strong)
    # but farther than delta from the only earlier Renyi centre 0 (a Renyi centre); 1.6 is both
    assert centre_counts(np.array([0.0, 0.4, 0.8, 1.6])) == (2, 3)
    assert centre_counts(np.array([0.0, 2 * math.pi - 0.3])) == (1, 1)     # distance across 2 pi: 0.3


def test_uniform_start_is_seeded_and_uniform():
    a = uniform_start(5)
    np.testing.assert_array_equal(a, uniform_start(5))
    assert a.shape == (200,) and a.min() >= 0 and a.max() < 2 * math.pi
