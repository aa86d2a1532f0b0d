// Package impl is the one registry of this module's accelerated code paths.
//
// Each package with more than one implementation of a kernel (ige's AES-IGE,
// kdf's SHA-256 pairing, modexp's Montgomery arithmetic) registers them here
// once, at init, preferred first and its portable fallback last. The package
// keeps its own dispatch (a pointer or a few bools read on the hot path); the
// registry only knows how to ask which implementation is active and how to
// switch to another, so that tests and benchmarks can run every path and CI
// can prove which one ran (SECRETBENCH_REQUIRE_IMPL). In the spirit of the
// standard library's crypto/internal/impl.
package impl

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

// Impl is one implementation of a package's kernel.
type Impl struct {
	Pkg       string // the registering package's short name: "ige", "kdf", "modexp"
	Name      string // "vaes-avx512", "sha-ni-x2", "generic", ...
	Available bool   // this CPU (and build) can run it
}

func (i Impl) String() string { return i.Pkg + "=" + i.Name }

type pkgEntry struct {
	impls  []Impl
	active func() string
	set    func(name string)
}

var (
	mu   sync.Mutex
	pkgs = map[string]*pkgEntry{}
)

// Register records pkg's implementations, preferred first; the last must be
// the portable fallback and available everywhere. active reports the name in
// use; set switches the package to the named implementation (only ever called
// with an available name from impls). Register panics on a duplicate pkg or a
// malformed list: both are programming errors found at init.
func Register(pkg string, impls []Impl, active func() string, set func(name string)) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := pkgs[pkg]; dup {
		panic("impl: package " + pkg + " registered twice")
	}
	if len(impls) == 0 || !impls[len(impls)-1].Available {
		panic("impl: package " + pkg + " must end its list with an available fallback")
	}
	list := slices.Clone(impls)
	for i := range list {
		list[i].Pkg = pkg
	}
	pkgs[pkg] = &pkgEntry{impls: list, active: active, set: set}
}

func lookup(pkg string) (*pkgEntry, error) {
	mu.Lock()
	defer mu.Unlock()
	e, ok := pkgs[pkg]
	if !ok {
		return nil, fmt.Errorf("impl: no package %q registered (have %v)", pkg, packagesLocked())
	}
	return e, nil
}

func packagesLocked() []string {
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	slices.Sort(names)
	return names
}

// Packages lists the registered packages, sorted. A package appears only once
// it has been linked into the binary (imported somewhere).
func Packages() []string {
	mu.Lock()
	defer mu.Unlock()
	return packagesLocked()
}

// List returns every implementation pkg compiled in, available or not,
// preferred first; nil for an unknown package.
func List(pkg string) []Impl {
	e, err := lookup(pkg)
	if err != nil {
		return nil
	}
	return slices.Clone(e.impls)
}

// Available returns the names of the implementations of pkg this CPU can
// run, preferred first.
func Available(pkg string) []string {
	var names []string
	for _, im := range List(pkg) {
		if im.Available {
			names = append(names, im.Name)
		}
	}
	return names
}

// Active names the implementation pkg uses now ("" for an unknown package).
func Active(pkg string) string {
	e, err := lookup(pkg)
	if err != nil {
		return ""
	}
	return e.active()
}

// Select switches pkg to the named implementation and returns a function that
// switches back. It is for tests and benchmarks; it must not run concurrently
// with any other use of pkg.
func Select(pkg, name string) (restore func(), err error) {
	e, err := lookup(pkg)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(e.impls, func(im Impl) bool { return im.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("impl: %s has no implementation %q (have %v)", pkg, name, e.impls)
	}
	if !e.impls[i].Available {
		return nil, fmt.Errorf("impl: %s=%s is not supported by this CPU or build", pkg, name)
	}
	prev := e.active()
	e.set(name)
	return func() { e.set(prev) }, nil
}

// RequireEnv is the environment variable that names the implementations a
// test run must be using: a comma- or space-separated list of pkg=name pairs
// ("ige=vaes-avx512,kdf=sha-ni-x2,modexp=ifma") or bare names, which apply to
// every registered package that has an implementation of that name
// ("generic" for all the fallbacks).
const RequireEnv = "SECRETBENCH_REQUIRE_IMPL"

// Required parses RequireEnv into the name each package must run; a bare
// name is returned under the key "". A malformed entry is an error.
func Required() (map[string][]string, error) {
	return parseRequired(os.Getenv(RequireEnv))
}

func parseRequired(s string) (map[string][]string, error) {
	req := map[string][]string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		pkg, name, ok := strings.Cut(f, "=")
		if !ok {
			pkg, name = "", f
		}
		if name == "" || (ok && pkg == "") {
			return nil, fmt.Errorf("impl: %s entry %q is not pkg=name or name", RequireEnv, f)
		}
		req[pkg] = append(req[pkg], name)
	}
	return req, nil
}

// ErrNotRequired is returned by CheckRequired when RequireEnv says nothing
// about the package.
var ErrNotRequired = errors.New("impl: " + RequireEnv + " names no implementation of this package")

// CheckRequired reports whether pkg runs what RequireEnv demands: nil when it
// does, ErrNotRequired when the variable says nothing about pkg, and an error
// naming the active and available implementations otherwise. A pkg=name entry
// for a name pkg does not have is an error too (a typo must not pass).
func CheckRequired(pkg string) error {
	req, err := Required()
	if err != nil {
		return err
	}
	return checkRequired(pkg, req)
}

func checkRequired(pkg string, req map[string][]string) error {
	e, err := lookup(pkg)
	if err != nil {
		return err
	}
	has := func(name string) bool {
		return slices.ContainsFunc(e.impls, func(im Impl) bool { return im.Name == name })
	}
	var want []string
	for _, name := range req[pkg] {
		if !has(name) {
			return fmt.Errorf("impl: %s=%s required, but %s has no such implementation (have %v)", pkg, name, pkg, e.impls)
		}
		want = append(want, name)
	}
	for _, name := range req[""] {
		if has(name) {
			want = append(want, name)
		}
	}
	if len(want) == 0 {
		return ErrNotRequired
	}
	got := e.active()
	for _, name := range want {
		if name != got {
			return fmt.Errorf("impl: %s=%s required, but %s=%s is active (available: %v)", pkg, name, pkg, got, Available(pkg))
		}
	}
	return nil
}
