package modexp

import (
	"testing"

	"github.com/secretbench/secretbench/internal/impl"
	"github.com/secretbench/secretbench/internal/impl/impltest"
)

// TestRequiredImpl lets CI prove which arithmetic ran:
// SECRETBENCH_REQUIRE_IMPL=modexp=ifma (or mulx-adx, arm64, generic) fails
// unless that implementation is the active one.
func TestRequiredImpl(t *testing.T) {
	impltest.Require(t, "modexp")
}

// TestImplKernels checks that moduli built under each implementation really
// use its kernels.
func TestImplKernels(t *testing.T) {
	impltest.Run(t, "modexp", func(t *testing.T) {
		m := []byte{0xff, 0xfb}
		ct, err := NewModulus(m)
		if err != nil {
			t.Fatal(err)
		}
		v, err := NewVarTimeModulus(m)
		if err != nil {
			t.Fatal(err)
		}
		name := impl.Active("modexp")
		if name != Impl() {
			t.Fatalf("impl.Active = %q, Impl() = %q", name, Impl())
		}
		switch name {
		case "ifma":
			if ct.w52 == nil || v.w52 == nil {
				t.Fatal("ifma active but a modulus does not use the IFMA kernels")
			}
		case "mulx-adx", "arm64":
			if ct.w64 == nil || !ct.w64.asm || v.w64 == nil || !v.w64.asm {
				t.Fatalf("%s active but a modulus does not use the assembly", name)
			}
		case "generic":
			if ct.w64 == nil || ct.w64.asm || v.w52 != nil || v.w64 != nil {
				t.Fatal("generic active but a modulus uses assembly")
			}
		default:
			t.Fatalf("unknown implementation %q", name)
		}
	})
}
