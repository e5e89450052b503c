# The test command of the README and of CI.
GO ?= go

.PHONY: test vet fmt build run fuzz bench screenshots

# The second line: the longest release histories of the attack suite (60
# and 30 releases, each audited with its whole history) are skipped under
# the race detector, which slows the auditor eightfold; they run without it.
test: vet
	$(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -count=1 -timeout 10m -run TestDifferencingReleases ./internal/attack

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/baraza ./cmd/baraza

run:
	$(GO) run ./cmd/baraza

# Short fuzzing of every parser of outside input.
fuzz:
	@for p in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$p 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$p $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 15s $$p || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Redraw the README's screenshots (docs/screenshots) in headless Chromium.
screenshots:
	$(GO) test ./internal/pagecheck/ -run '^TestScreenshots$$' -count=1 -screenshots
