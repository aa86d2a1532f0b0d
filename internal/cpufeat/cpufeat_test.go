package cpufeat

import (
	"runtime"
	"testing"

	klauspost "github.com/klauspost/cpuid/v2"
)

// TestAgreesWithCPUID compares the flags with klauspost/cpuid's reading of
// the same CPU (the library the CLI reports with).
func TestAgreesWithCPUID(t *testing.T) {
	if runtime.GOARCH != "amd64" || purego {
		if X86.HasSHA || X86.HasVAES {
			t.Fatalf("X86 = %+v off amd64 assembly; want all false", X86)
		}
		return
	}
	if X86.HasSHA != klauspost.CPU.Supports(klauspost.SHA) {
		t.Errorf("HasSHA = %v, cpuid says %v", X86.HasSHA, klauspost.CPU.Supports(klauspost.SHA))
	}
	if X86.HasVAES != klauspost.CPU.Supports(klauspost.VAES) {
		t.Errorf("HasVAES = %v, cpuid says %v", X86.HasVAES, klauspost.CPU.Supports(klauspost.VAES))
	}
	t.Logf("%+v", X86)
}
