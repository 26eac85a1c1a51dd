# The two commands a newcomer needs; each sets up whatever is missing first (./setup.sh is
# idempotent and quiet when nothing is missing).
.PHONY: setup demo test

setup:
	@./setup.sh

demo: setup
	.venv/bin/copilot demo

test: setup
	.venv/bin/pytest
