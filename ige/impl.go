package ige

import (
	"slices"

	"github.com/secretbench/secretbench/internal/impl"
)

// An implementation is one code path of the package: the portable Go code or
// an assembly variant for one CPU feature level. All of them share the key
// schedule layout, so a Cipher keyed under one works under any other.
type implementation struct {
	name      string
	available bool // this CPU can run it (read once from golang.org/x/sys/cpu)
}

var implGeneric = &implementation{name: "generic", available: true}

// impls lists every implementation compiled in, preferred first; archImpls
// comes from the architecture's file (empty with -tags purego).
var impls = append(slices.Clip(archImpls), implGeneric)

// active is the one dispatch point: the first available implementation.
// The hot paths compare it with implGeneric (and the architecture's
// implementations) directly, a switch on a package variable.
var active = selectImpl()

// Register with internal/impl as "ige", so that tests and benchmarks switch
// implementations and CI checks SECRETBENCH_REQUIRE_IMPL the way they do for
// every package.
func init() {
	list := make([]impl.Impl, len(impls))
	for i, im := range impls {
		list[i] = impl.Impl{Name: im.name, Available: im.available}
	}
	impl.Register("ige", list, Impl, func(name string) {
		for _, im := range impls {
			if im.name == name {
				active = im
			}
		}
	})
}

func selectImpl() *implementation {
	for _, im := range impls {
		if im.available {
			return im
		}
	}
	return implGeneric
}

// Impl names the code path in use: "vaes-avx512", "vaes-avx2", "aes-ni",
// "armv8", "stdlib" or "generic".
func Impl() string { return active.name }

// Implementations lists the implementations this CPU can run, preferred first.
func Implementations() []string {
	var names []string
	for _, im := range impls {
		if im.available {
			names = append(names, im.name)
		}
	}
	return names
}
