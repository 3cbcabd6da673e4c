"""The benchmark harness of issue 7: tradestats against Datasette on the same SQLite file.

`make bench` (full, about 3.6M observations) or `make bench-smoke` (tiny, for CI).
What each query asks of each system is in bench/config.py.
"""
