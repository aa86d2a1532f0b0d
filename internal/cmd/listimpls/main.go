// Command listimpls prints every implementation this CPU can run of every
// package registered with internal/impl, one pkg=name per line, each
// package's preferred first. CI runs the tests once per line, with that
// implementation forced and required (SECRETBENCH_REQUIRE_IMPL).
package main

import (
	"fmt"

	"github.com/secretbench/secretbench/internal/impl"

	// Imported for their registrations.
	_ "github.com/secretbench/secretbench/ige"
	_ "github.com/secretbench/secretbench/internal/modexp"
	_ "github.com/secretbench/secretbench/kdf"
)

func main() {
	for _, pkg := range impl.Packages() {
		for _, name := range impl.Available(pkg) {
			fmt.Printf("%s=%s\n", pkg, name)
		}
	}
}
