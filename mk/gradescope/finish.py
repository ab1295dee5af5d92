#!/usr/bin/env python3
"""Writes Gradescope's results.json from what run_autograder gathered.

If the grader wrote a valid report, it goes out with run_autograder's notes
(which lab folders were found, which were missing) in front of its overall
output.  If not (no lab folder, the grader crashed or wrote nothing), a
report with no score and a message that says why: Gradescope shows a
submission with no results.json as a bare error, and a student deserves a
sentence.

Usage: finish.py GRADER.json NOTES.txt RESULTS.json
"""
import json
import os
import sys


def read_notes(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return ""


def valid_report(path):
    """The grader's report if it is one Gradescope accepts, else None and why."""
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except OSError:
        return None, "the grader wrote no report"
    except ValueError as e:
        return None, f"the grader's report is not valid JSON ({e})"
    if not isinstance(report, dict) or not isinstance(report.get("tests"), list):
        return None, "the grader's report has no list of tests"
    for t in report["tests"]:
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            return None, "a test of the grader's report has no name"
        if not all(isinstance(t.get(k), (int, float)) for k in ("score", "max_score")):
            return None, f"the test {t['name']} has no score or max_score"
    return report, None


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: finish.py GRADER.json NOTES.txt RESULTS.json")
    grader, notes_path, out = sys.argv[1:]
    notes = read_notes(notes_path)
    report, why = valid_report(grader)
    if report is None and os.path.exists(grader):
        notes = (notes + "\n\n" if notes else "") + "netlab could not grade this submission: " + why + "."
    if report is not None:
        if notes:
            report["output"] = notes + "\n\n" + str(report.get("output", ""))
        # run_autograder's stdout is the instructors' log of the run: what it
        # says of the kit is not for students.
        report["stdout_visibility"] = "hidden"
    else:
        # Where run_autograder stopped before a report, its notes say why.
        report = {
            "score": 0,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "output": notes or "netlab could not grade this submission: " + why + ".",
            "tests": [],
        }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
