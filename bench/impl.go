package bench

import (
	"slices"
	"strings"

	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/impl"
)

// PkgImpls is what one package with several kernels runs on this machine.
type PkgImpls struct {
	Pkg       string   // the registry's short name: "ige", "kdf", "modexp"
	Active    string   // the implementation in use now
	Available []string // the ones this CPU and build can run, preferred first
}

// Implementations reports every package registered in internal/impl, sorted
// by name. The packages the suites measure register at init because bench
// imports them, so the report covers every kernel a run times.
func Implementations() []PkgImpls {
	var out []PkgImpls
	for _, pkg := range impl.Packages() {
		out = append(out, PkgImpls{Pkg: pkg, Active: impl.Active(pkg), Available: impl.Available(pkg)})
	}
	// Until ige registers itself, take its own report, so that the result
	// files are never named without the AES implementation.
	if !slices.ContainsFunc(out, func(p PkgImpls) bool { return p.Pkg == "ige" }) {
		out = append(out, PkgImpls{Pkg: "ige", Active: ige.Impl(), Available: ige.Implementations()})
		slices.SortFunc(out, func(a, b PkgImpls) int { return strings.Compare(a.Pkg, b.Pkg) })
	}
	return out
}

// ActiveImpl names the implementation pkg uses now, or "" when no such
// package is registered.
func ActiveImpl(pkg string) string {
	for _, p := range Implementations() {
		if p.Pkg == pkg {
			return p.Active
		}
	}
	return ""
}

// AvailableImpls lists the implementations of pkg this machine can run,
// preferred first.
func AvailableImpls(pkg string) []string {
	for _, p := range Implementations() {
		if p.Pkg == pkg {
			return p.Available
		}
	}
	return nil
}
