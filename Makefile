# Chengxin: `make run` serves the API with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed
# The virtualenv `make` creates is for local runs: its `flask` defaults to development (backend/config.py).
LOCAL_ENV := $(VENV)/chengxin.env

export FLASK_APP := wsgi:app

.PHONY: run test lint fuzz ci clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(LOCAL_ENV): | $(BIN)/python
	echo "CHENGXIN_ENV=development" > $(LOCAL_ENV)

$(STAMP): pyproject.toml | $(BIN)/python $(LOCAL_ENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: export CHENGXIN_ENV := development
run: $(STAMP)
	@$(BIN)/flask db upgrade
	@$(BIN)/flask demo load
	@echo "Staff console: http://127.0.0.1:$(PORT)/console/  (sign in with a demo account above)"
	@echo "API docs: http://127.0.0.1:$(PORT)/api/v1/docs"
	@$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The outside view alone: schemathesis over every operation, the bad-input walk, the generated client.
fuzz: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS) tests/test_openapi_fuzz.py tests/test_bad_input.py \
		tests/test_generated_client.py

lint: $(STAMP)
	$(BIN)/ruff check .

# What CI runs: the suite on SQLite, then on PostgreSQL + Redis (started when down), then the lint.
ci:
	bash .ci/run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Messages people read are written in English inside `_()`; this gathers new ones into the Chinese
# catalogue (backend/i18n/translations/zh_CN/LC_MESSAGES/messages.po), where each gets its msgstr.
# tests/test_i18n.py fails while any message lacks its Chinese.
TRANSLATIONS := backend/i18n/translations
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header --no-wrap -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l zh_CN --no-fuzzy-matching --no-wrap \
		--ignore-obsolete
	rm $(TRANSLATIONS)/messages.pot
	@# Dates in the header would make every contributor's run conflict with every other's in a merge.
	sed -i '/^"POT-Creation-Date:/d; /^"PO-Revision-Date:/d' $(TRANSLATIONS)/zh_CN/LC_MESSAGES/messages.po
