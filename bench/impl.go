package bench

import "github.com/secretbench/secretbench/internal/impl"

// PkgImpls is what one package with several kernels runs on this machine.
type PkgImpls struct {
	Pkg       string   // the registry's short name: "ige", "kdf", "modexp"
	Active    string   // the implementation in use now
	Available []string // the ones this CPU and build can run, preferred first
}

// Implementations reports every package registered in internal/impl, sorted
// by name. The packages the suites measure register at init, and bench
// imports each of them, so the report covers every kernel a run times.
func Implementations() []PkgImpls {
	var out []PkgImpls
	for _, pkg := range impl.Packages() {
		out = append(out, PkgImpls{Pkg: pkg, Active: impl.Active(pkg), Available: impl.Available(pkg)})
	}
	return out
}

// ActiveImpl names the implementation pkg uses now, or "" when no such
// package is registered.
func ActiveImpl(pkg string) string { return impl.Active(pkg) }
