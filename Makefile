# Thin wrapper over Meson: the README's two commands.
#   make demo   - install build dependencies, build, run a simulated UPS
#   make check  - install test dependencies, build, run every test suite
BUILD ?= build
MESON_OPTS ?=
PYTHON ?= /usr/bin/python3
PYTEST_OPTS ?=

.PHONY: all demo check deps deps-test build unit integration clean

all: build

# scripts/deps.sh runs `apt-get install -y` for what is missing (as root),
# or prints the exact apt-get line and stops (otherwise).
deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

unit: $(BUILD)/build.ninja
	meson compile -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs

integration: $(BUILD)/build.ninja
	meson compile -C $(BUILD)
	UPSGUARD_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest tests/integration -q -rs \
	    -p no:cacheprovider --junitxml=$(abspath $(BUILD))/pytest.xml $(PYTEST_OPTS)

# Runs every suite even when an earlier one fails, then prints one summary.
check: deps-test $(BUILD)/build.ninja
	meson compile -C $(BUILD)
	@rm -f $(BUILD)/pytest*.xml
	@rc=0; \
	meson test -C $(BUILD) --print-errorlogs || rc=1; \
	UPSGUARD_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest tests/integration -q -rs \
	    -p no:cacheprovider --junitxml=$(abspath $(BUILD))/pytest.xml $(PYTEST_OPTS) || rc=1; \
	$(PYTHON) scripts/test-summary.py $(BUILD) || rc=1; \
	exit $$rc

demo: build
	@scripts/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD)
