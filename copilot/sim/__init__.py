"""The drive simulator: scenarios, the runner that plays them against the real service,
the expectations that judge a run, and the reports (JSON and one self-contained HTML page).
"""
