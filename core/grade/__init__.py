"""`genexam grade`: marking students' answers against answers.json.

parse.py reads what a student wrote (a grammar of genexam's own, never eval);
equal.py decides equality with the key; the rest turns verdicts into grades,
review lists, feedback and a report.
"""
