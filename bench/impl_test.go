package bench

import (
	"slices"
	"testing"
)

// TestImplementations checks the report against what the suites measure:
// every package bench times is registered, its active implementation is one
// it has available, and the list ends with the portable fallback.
func TestImplementations(t *testing.T) {
	got := map[string]PkgImpls{}
	for _, p := range Implementations() {
		got[p.Pkg] = p
	}
	for _, pkg := range []string{"ige", "kdf"} {
		p, ok := got[pkg]
		if !ok {
			t.Errorf("%s is not reported (have %v)", pkg, Implementations())
			continue
		}
		if !slices.Contains(p.Available, p.Active) || ActiveImpl(pkg) != p.Active {
			t.Errorf("%s: active %q (ActiveImpl %q) not among available %v", pkg, p.Active, ActiveImpl(pkg), p.Available)
		}
		if len(p.Available) == 0 || p.Available[len(p.Available)-1] != "generic" {
			t.Errorf("%s: available %v does not end with generic", pkg, p.Available)
		}
	}
	if ActiveImpl("no-such-package") != "" {
		t.Errorf("ActiveImpl of an unregistered package is not empty")
	}
}
