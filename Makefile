.PHONY: demo test lint
demo:
	python3 dev.py demo
test:
	python3 dev.py test
lint:
	.venv/bin/ruff check .
