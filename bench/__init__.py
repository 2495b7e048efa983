"""Synergia benchmarks (`make bench`): figures and ratios against a baseline in the same run.

They print tables and write ``bench/results/latest.json``; they are not pass/fail tests.
"""
