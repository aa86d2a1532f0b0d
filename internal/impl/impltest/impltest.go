// Package impltest runs tests under every implementation registered with
// internal/impl, and checks SECRETBENCH_REQUIRE_IMPL, the same way in every
// package (the standard library's cryptotest.TestAllImplementations).
package impltest

import (
	"errors"
	"testing"

	"github.com/secretbench/secretbench/internal/impl"
)

// Run runs f once per implementation of pkg this CPU can run, each as a
// subtest named for it, switching the package to it for the duration. The
// subtests run one after another (the switch is package-global).
func Run(t *testing.T, pkg string, f func(t *testing.T)) {
	t.Helper()
	names := impl.Available(pkg)
	if len(names) == 0 {
		t.Fatalf("impltest: package %q registered no implementation", pkg)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			restore, err := impl.Select(pkg, name)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			f(t)
		})
	}
}

// Require fails t unless pkg runs the implementation SECRETBENCH_REQUIRE_IMPL
// names for it, and skips t when the variable names none of pkg's: every
// package with implementations has one test that calls it, so CI proves which
// code path ran.
func Require(t *testing.T, pkg string) {
	t.Helper()
	err := impl.CheckRequired(pkg)
	switch {
	case errors.Is(err, impl.ErrNotRequired):
		t.Skipf("%s names nothing for %s (active: %s)", impl.RequireEnv, pkg, impl.Active(pkg))
	case err != nil:
		t.Fatal(err)
	}
	t.Logf("%s=%s, as required", pkg, impl.Active(pkg))
}
