"""Writes Locust's own console tables for cases.json, as references.

Run with Debian's python3-locust installed (Locust 2.12.1 made the files here):

    /usr/bin/python3 oracle.py

For each name width it feeds the samples of cases.json to locust.stats and
prints what Locust prints when a headless run ends: print_stats(current=False),
print_percentile_stats and print_error_report. It also writes the tables of a
run without requests.
"""

import json

import locust.stats as ls


class Err(Exception):
    """An error whose repr() is the given text, so the report shows it as is."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __repr__(self):
        return self.text


START = 1_700_000_000.0


def summary(st):
    lines = ls.get_stats_summary(st, current=False) + [""]
    lines += ls.get_percentile_stats_summary(st) + [""]
    if st.errors:
        lines += ls.get_error_report_summary(st)
    return "\n".join(lines) + "\n"


def run(cases, width, out, empty=False):
    ls.STATS_NAME_WIDTH = width
    st = ls.RequestStats()
    st.total.start_time = START
    if not empty:
        for s in cases["samples"]:
            st.log_request(s["type"], s["name"], s["ms"], 0)
            if s.get("err"):
                st.log_error(s["type"], s["name"], Err(s["err"]))
        st.total.last_request_timestamp = START + cases["elapsed"]
    with open(out, "w") as f:
        f.write(summary(st))


cases = json.load(open("cases.json"))
run(cases, 80, "width80.txt")
run(cases, 20, "width20.txt")
run(cases, 0, "width0.txt")
run(cases, 80, "empty.txt", empty=True)
