#!/usr/bin/env python3
"""Turns the grader's Gradescope report into what GitHub Classroom reads.

GitHub Classroom's reporter action (classroom-resources/autograding-grading-
reporter) takes, for each grading step named in its `runners` input, an
environment variable STEP_RESULTS holding base64 of a JSON object:
{"version": 1, "status": "pass"|"fail"|"error", "max_score": N,
 "tests": [{"name", "status", "score", "message", ...}]}.  It adds up the
tests' scores and the steps' max_score and posts "Points X/Y" on the run,
which is what Classroom records.  This script writes that object, base64,
as the step output `result` (to the file $GITHUB_OUTPUT names), a table of
points to the job's summary ($GITHUB_STEP_SUMMARY), and the whole report,
with every failed check's explanation, to stdout for the log.

Usage: points.py RESULTS.json   (always exits 0: a low score is not an error
of this step; the reporter marks the run failed when a check failed)
"""
import base64
import json
import os
import sys

# An environment variable holds at most 128 KiB on Linux: the messages are
# cut so that the reporter can always be started.
MESSAGE_CHARS = 600
ENCODED_LIMIT = 100 * 1024


def load(path):
    """The grader's report, or an error result saying why there is none."""
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        tests = report["tests"]
        for t in tests:
            int(t["score"]), int(t["max_score"]), str(t["name"])
        return report, None
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, f"the grader wrote no valid report ({e}); see the log of the Grade step"


def not_graded(test):
    """Whether the grader failed on this check (a grader error): it is shown,
    but neither passed nor failed, and its points are left out."""
    extra = test.get("extra_data")
    return isinstance(extra, dict) and extra.get("grader_error") is True


def graded_points(report):
    """The points got and the most there were, of the checks graded."""
    graded = [t for t in report["tests"] if not not_graded(t)]
    return sum(t["score"] for t in graded), sum(t["max_score"] for t in graded)


def classroom_result(report, error):
    if error is not None:
        return {"version": 1, "status": "error", "max_score": 0,
                "tests": [{"name": "netlab", "status": "error", "score": 0,
                           "message": error, "line_no": 0}]}
    tests = []
    for t in report["tests"]:
        passed = t["score"] == t["max_score"] and not not_graded(t)
        status = "error" if not_graded(t) else "pass" if passed else "fail"
        message = "" if passed else str(t.get("output", ""))[:MESSAGE_CHARS]
        tests.append({"name": t["name"], "status": status,
                      "score": t["score"], "message": message, "line_no": 0})
    statuses = {t["status"] for t in tests}
    return {"version": 1,
            "status": "error" if "error" in statuses else "fail" if "fail" in statuses
                      else "pass",
            "max_score": graded_points(report)[1],
            "tests": tests}


def encode(result):
    encoded = base64.b64encode(json.dumps(result).encode()).decode()
    if len(encoded) > ENCODED_LIMIT:
        # Too long for an environment variable: the points matter, the
        # explanations are in the log.
        for t in result["tests"]:
            t["message"] = t["message"][:80]
        encoded = base64.b64encode(json.dumps(result).encode()).decode()
    return encoded


def print_report(report, error):
    if error is not None:
        print(f"netlab: {error}")
        return
    for t in report["tests"]:
        ok = t["score"] == t["max_score"] and not not_graded(t)
        if not_graded(t):
            print(f"ERROR {t['name']}  not graded: grader error")
        else:
            print(f"{'PASS' if ok else 'FAIL'}  {t['name']}  {t['score']}/{t['max_score']}")
        if not ok:
            for line in str(t.get("output", "")).splitlines():
                print(f"      {line}")
    got, most = graded_points(report)
    errors = sum(1 for t in report["tests"] if not_graded(t))
    print(f"netlab: {got}/{most} points" +
          (f", {errors} check{'' if errors == 1 else 's'} not graded: grader error"
           if errors else ""))


def summary(report, error):
    """Markdown for the job's summary page: names and points only, never a
    program's output, which could break the table."""
    if error is not None:
        return f"### netlab: no score\n\n{error}\n"
    got, most = graded_points(report)
    lines = [f"### netlab: {got}/{most} points", "", "| Check | Points |", "|---|---|"]
    for t in report["tests"]:
        if not_graded(t):
            lines.append(f"| `{t['name']}` | not graded: grader error |")
            continue
        mark = "" if t["score"] == t["max_score"] else " ❌"
        lines.append(f"| `{t['name']}` | {t['score']}/{t['max_score']}{mark} |")
    return "\n".join(lines) + "\n\nEvery failed check is explained in the log of the Grade step.\n"


def append(variable, text):
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: points.py RESULTS.json")
    report, error = load(sys.argv[1])
    print_report(report, error)
    append("GITHUB_STEP_SUMMARY", summary(report, error))
    append("GITHUB_OUTPUT", f"result={encode(classroom_result(report, error))}\n")


if __name__ == "__main__":
    main()
