package ige

import (
	"errors"
	"slices"
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
var active = selectImpl()

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

// UseImpl switches the whole package to the named implementation and returns
// a function that switches back. It is for tests and benchmarks that compare
// implementations; it must not run concurrently with any other use of the
// package.
func UseImpl(name string) (restore func(), err error) {
	for _, im := range impls {
		if im.name == name {
			if !im.available {
				return nil, errors.New("ige: implementation " + name + " is not supported by this CPU")
			}
			prev := active
			active = im
			return func() { active = prev }, nil
		}
	}
	return nil, errors.New("ige: unknown implementation " + name)
}
