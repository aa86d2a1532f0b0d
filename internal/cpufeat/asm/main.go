// Command asm generates cpuid_amd64.s for package cpufeat: the CPUID
// instruction, which golang.org/x/sys/cpu runs but does not expose. It is run
// by `go generate ./internal/cpufeat/...` from the repository root; the output
// is committed and must be reproduced byte for byte.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!purego")

	TEXT("cpuid", NOSPLIT, "func(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)")
	Doc("cpuid runs CPUID with EAX = leaf and ECX = subleaf.")
	Load(Param("leaf"), EAX)
	Load(Param("subleaf"), ECX)
	CPUID()
	Store(EAX, Return("eax"))
	Store(EBX, Return("ebx"))
	Store(ECX, Return("ecx"))
	Store(EDX, Return("edx"))
	RET()

	Generate()
}
