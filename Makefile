# Two commands on a fresh machine:  make app  |  make test
# Both create .venv and install only when pyproject.toml changed (a stamp file records it).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: app test quick lint format typecheck i18n bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Runtime install (make app) and dev install (make test) are separate stamps, so `make app`
# never pulls the test tools and `make test` upgrades an app-only venv once.
$(VENV)/.stamp-app: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,test]'
	touch $@ $(VENV)/.stamp-app

app: $(VENV)/.stamp-app
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT)

test: $(VENV)/.stamp-dev
	$(PY) -m ruff check .
	$(PY) -m pytest

# The suite without the tests marked slow (training, browsers, torchrun): about a minute.
quick: $(VENV)/.stamp-dev
	$(PY) -m pytest -m "not slow"

# After adding UI text: collect the messages, merge them into the Korean catalog, then translate
# the new empty msgstr entries in inspector/i18n/locales/ko/LC_MESSAGES/messages.po.
i18n: $(VENV)/.stamp-dev
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k N_ --no-location --sort-output -o inspector/i18n/messages.pot .
	$(VENV)/bin/pybabel update -i inspector/i18n/messages.pot -d inspector/i18n/locales -l ko --no-fuzzy-matching --ignore-obsolete

lint: $(VENV)/.stamp-dev
	$(PY) -m ruff check .

format: $(VENV)/.stamp-dev
	$(PY) -m ruff format .

bench: $(VENV)/.stamp-dev
	$(PY) bench/trace_speed.py
	$(PY) bench/gif_render.py
	$(PY) bench/train_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
