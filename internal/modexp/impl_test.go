package modexp

import (
	"os"
	"testing"
)

// TestRequiredImpl lets CI prove which variable-time path ran:
// SECRETBENCH_REQUIRE_IMPL=avx512ifma fails unless the IFMA kernel is in use,
// =generic fails if it is. Other values name other packages' implementations
// and are ignored here.
func TestRequiredImpl(t *testing.T) {
	switch req := os.Getenv("SECRETBENCH_REQUIRE_IMPL"); req {
	case "avx512ifma":
		if !useIFMA {
			t.Fatal("SECRETBENCH_REQUIRE_IMPL=avx512ifma but the IFMA kernel is not in use")
		}
	case "generic":
		if useIFMA {
			t.Fatal("SECRETBENCH_REQUIRE_IMPL=generic but the IFMA kernel is in use")
		}
	}
	v, err := NewVarTimeModulus([]byte{0xff, 0xfb})
	if err != nil {
		t.Fatal(err)
	}
	if (v.w != nil) != useIFMA {
		t.Fatalf("VarTimeModulus uses the fixed-width path: %v, useIFMA: %v", v.w != nil, useIFMA)
	}
	if want := map[bool]string{true: "avx512ifma", false: "generic"}[useIFMA]; Impl() != want {
		t.Fatalf("Impl() = %q, want %q", Impl(), want)
	}
	t.Logf("implementation: %s", Impl())
}
