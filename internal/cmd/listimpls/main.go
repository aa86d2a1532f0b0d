// Command listimpls prints the ige implementations this CPU can run, one per
// line, preferred first. CI uses it to run the ige tests once per code path.
package main

import (
	"fmt"

	"github.com/secretbench/secretbench/ige"
)

func main() {
	for _, name := range ige.Implementations() {
		fmt.Println(name)
	}
}
