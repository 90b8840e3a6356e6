# Chengxin: `make run` serves the API with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

export FLASK_APP := wsgi:app

.PHONY: run test lint fuzz ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	CHENGXIN_ENV=development $(BIN)/flask db upgrade
	CHENGXIN_ENV=development $(BIN)/flask demo load
	@echo "Staff console: http://127.0.0.1:$(PORT)/console/  (sign in with a demo account above)"
	@echo "API docs: http://127.0.0.1:$(PORT)/api/v1/docs"
	CHENGXIN_ENV=development $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
