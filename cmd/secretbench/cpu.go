package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// cpuBrand is the CPU's name as cpuid reports it.
func cpuBrand() string {
	if b := strings.TrimSpace(cpuid.CPU.BrandName); b != "" {
		return b
	}
	return runtime.GOARCH
}

// cpuFileName is cpuBrand made safe for a file name: "AMD-EPYC".
func cpuFileName() string {
	var sb strings.Builder
	dash := false
	for _, r := range cpuBrand() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_':
			sb.WriteRune(r)
			dash = false
		case !dash && sb.Len() > 0:
			sb.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(sb.String(), "-")
}

// cpuFeatures lists the features the project's code paths use, each with
// whether this CPU has it.
func cpuFeatures() []string {
	var fs []struct {
		name string
		id   cpuid.FeatureID
	}
	switch runtime.GOARCH {
	case "arm64":
		fs = []struct {
			name string
			id   cpuid.FeatureID
		}{{"AES", cpuid.AESARM}, {"PMULL", cpuid.PMULL}, {"SHA1", cpuid.SHA1}, {"SHA2", cpuid.SHA2}}
	default:
		fs = []struct {
			name string
			id   cpuid.FeatureID
		}{
			{"AES-NI", cpuid.AESNI}, {"VAES", cpuid.VAES}, {"AVX2", cpuid.AVX2},
			{"AVX-512F", cpuid.AVX512F}, {"AVX-512VL", cpuid.AVX512VL}, {"AVX-512IFMA", cpuid.AVX512IFMA},
			{"SHA", cpuid.SHA}, {"ADX", cpuid.ADX}, {"BMI2", cpuid.BMI2},
		}
	}
	var out []string
	for _, f := range fs {
		mark := "-"
		if cpuid.CPU.Supports(f.id) {
			mark = "+"
		}
		out = append(out, mark+f.name)
	}
	return out
}

func cpuSummary() string {
	c := cpuid.CPU
	var detail []string
	if c.VendorString != "" {
		detail = append(detail, c.VendorString)
	}
	if c.Family != 0 || c.Model != 0 {
		detail = append(detail, fmt.Sprintf("family %d model %d", c.Family, c.Model))
	}
	detail = append(detail, fmt.Sprintf("%d logical cores, GOMAXPROCS %d", c.LogicalCores, runtime.GOMAXPROCS(0)))
	return fmt.Sprintf("%s (%s)", cpuBrand(), strings.Join(detail, ", "))
}
