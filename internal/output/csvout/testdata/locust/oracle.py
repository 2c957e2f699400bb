"""Writes the CSV files Locust's own code writes for cases.json, as references.

Run with Debian's python3-locust installed (Locust 2.12.1 made the files here):

    /usr/bin/python3 oracle.py

It feeds the samples of cases.json to locust.stats.RequestStats, the way a
run records them, with the run starting at START and its last request at
START + elapsed, then writes with Locust's StatsCSVFileWriter:

    oracle_stats.csv, oracle_failures.csv, oracle_exceptions.csv  (one rewrite)
    oracle_stats_history.csv                                      (header + one tick)
    oracle_lone_stats.csv   the stats file of a run whose only row has one
                            request below 1 ms (the median is the exact min)
    oracle_empty_stats.csv, oracle_empty_stats_history.csv        (no request yet)

The history's Requests/s and Failures/s are Locust's current rates, which
depend on the wall clock; the Go test leaves those two columns out.
"""

import csv
import json
import os
import tempfile
import types

import locust.stats as ls


class Err(Exception):
    """An error whose repr() is the given text, as Locust writes it."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __repr__(self):
        return self.text


START = 1_700_000_000.0


def record(st, samples, elapsed):
    st.total.start_time = START
    for s in samples:
        st.log_request(s["type"], s["name"], s["ms"], s["size"])
        if s.get("err"):
            st.log_error(s["type"], s["name"], Err(s["err"]))
    if samples:
        st.total.last_request_timestamp = START + elapsed


def write(name, samples, exceptions, cases):
    st = ls.RequestStats()
    record(st, samples, cases["elapsed"])
    excs = {}
    for i, x in enumerate(exceptions):
        excs[i] = {"count": x["count"], "msg": x["msg"], "traceback": x["traceback"], "nodes": {"local"}}
    env = types.SimpleNamespace(stats=st, runner=types.SimpleNamespace(exceptions=excs, user_count=cases["users"]))
    tmp = tempfile.mkdtemp()
    w = ls.StatsCSVFileWriter(env, ls.PERCENTILES_TO_REPORT, os.path.join(tmp, "x"), full_history=False)
    w.close_files()
    outs = {}
    for part, rows in [("stats", w.requests_csv), ("failures", w.failures_csv), ("exceptions", w.exceptions_csv)]:
        path = f"oracle_{name}_{part}.csv".replace("oracle__", "oracle_")
        with open(path, "w", newline="") as f:
            rows(csv.writer(f))
    path = f"oracle_{name}_stats_history.csv".replace("oracle__", "oracle_")
    with open(path, "w", newline="") as f:
        cw = csv.writer(f)
        cw.writerow(w.stats_history_csv_columns)
        w._stats_history_data_rows(cw, START + cases["elapsed"])


cases = json.load(open("cases.json"))
write("", cases["samples"], cases["exceptions"], cases)
write("lone", cases["lone"], [], cases)
write("empty", [], [], cases)
for n in ["lone_failures", "lone_exceptions", "lone_stats_history", "empty_failures", "empty_exceptions"]:
    os.remove(f"oracle_{n}.csv")
