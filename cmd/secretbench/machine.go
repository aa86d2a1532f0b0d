package main

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
	"github.com/secretbench/secretbench/bench"
)

// A machine is what identifies the hardware a run measured: enough that
// two different CPUs never share a results file name.
type machine struct {
	Brand  string // the CPU's brand string, "AMD EPYC 9R45 2-Core Processor"
	Vendor string // "AMD", "Intel", "ARM", ... ("" when unknown)
	Family int
	Model  int
	Cores  int    // logical CPUs this process may use
	AMX    bool   // the CPU has AMX tiles (Intel Sapphire Rapids and later)
	Impl   string // the ige implementation in use: the widest the run timed
}

// thisMachine describes the CPU the process runs on.
func thisMachine() machine {
	m := machine{
		Brand:  strings.TrimSpace(cpuid.CPU.BrandName),
		Family: cpuid.CPU.Family,
		Model:  cpuid.CPU.Model,
		Cores:  runtime.NumCPU(),
		Impl:   bench.ActiveImpl("ige"),
		AMX:    cpuid.CPU.Supports(cpuid.AMXTILE),
	}
	if cpuid.CPU.VendorID != cpuid.VendorUnknown {
		m.Vendor = cpuid.CPU.VendorID.String()
	}
	if m.Brand == "" {
		m.Brand = runtime.GOARCH
	}
	return m
}

// microarch names the core design from the vendor's family and model
// numbers, the part of the hardware the brand string often hides (every EPYC
// generation says "AMD EPYC"). Unknown models get "f<family>m<model>".
// Sources: AMD's Processor Programming Reference of each family, Intel's
// Software Developer's Manual vol. 4 table 2-1 (family 6 model numbers).
func (m machine) microarch() string {
	switch m.Vendor {
	case "AMD":
		switch m.Family {
		case 0x17:
			if m.Model < 0x30 {
				return "Zen"
			}
			return "Zen2"
		case 0x19:
			switch {
			case m.Model <= 0x0f, m.Model >= 0x20 && m.Model <= 0x5f:
				return "Zen3"
			case m.Model <= 0x1f, m.Model >= 0x60 && m.Model <= 0xaf:
				return "Zen4"
			}
		case 0x1a:
			return "Zen5"
		}
	case "Intel":
		if m.Family == 6 {
			name, ok := intelModels[m.Model]
			if m.AMX && !amxModels[name] {
				// A hypervisor may report a model number the features
				// contradict (KVM has shown a Xeon with AMX as model 0xa7,
				// Rocket Lake, a client core without it): name the
				// features' floor instead.
				return "SapphireRapids+"
			}
			if ok {
				return name
			}
		}
	}
	if m.Family == 0 && m.Model == 0 {
		return ""
	}
	return fmt.Sprintf("f%dm%d", m.Family, m.Model)
}

var intelModels = map[int]string{
	0x3c: "Haswell", 0x3f: "Haswell", 0x45: "Haswell", 0x46: "Haswell",
	0x3d: "Broadwell", 0x47: "Broadwell", 0x4f: "Broadwell", 0x56: "Broadwell",
	0x4e: "Skylake", 0x5e: "Skylake", 0x55: "SkylakeSP", // and Cascade/Cooper Lake
	0x8e: "KabyLake", 0x9e: "CoffeeLake", 0xa5: "CometLake",
	0x6a: "IceLakeSP", 0x6c: "IceLakeSP", 0x7e: "IceLake", 0x7d: "IceLake",
	0x8c: "TigerLake", 0x8d: "TigerLake", 0xa7: "RocketLake",
	0x97: "AlderLake", 0x9a: "AlderLake", 0xb7: "RaptorLake", 0xba: "RaptorLake", 0xbf: "RaptorLake",
	0xaa: "MeteorLake", 0xac: "MeteorLake", 0xbd: "LunarLake", 0xc5: "ArrowLake", 0xc6: "ArrowLake",
	0x8f: "SapphireRapids", 0xcf: "EmeraldRapids", 0xad: "GraniteRapids", 0xae: "GraniteRapids",
	0xaf: "SierraForest",
}

// amxModels are the cores of intelModels that have AMX.
var amxModels = map[string]bool{"SapphireRapids": true, "EmeraldRapids": true, "GraniteRapids": true}

// brandNoise is what brand strings carry that identifies nothing: marks,
// "CPU", "Processor", the clock and the core count (we count cores
// ourselves).
var brandNoise = regexp.MustCompile(`(?i)\((r|tm)\)|\bcpu\b|\bprocessor\b|@.*$|\b\d+-core\b|\bwith\b.*$`)

// brandWords is the brand string without its noise: "AMD EPYC 9R45".
func (m machine) brandWords() string {
	return strings.Join(strings.Fields(brandNoise.ReplaceAllString(m.Brand, " ")), " ")
}

// FileName is the base name of the run's result files, safe on every file
// system: "AMD-EPYC-Zen5-2c-vaes-avx512".
func (m machine) FileName() string {
	parts := []string{m.brandWords()}
	if a := m.microarch(); a != "" && !strings.Contains(strings.ToLower(m.brandWords()), strings.ToLower(a)) {
		parts = append(parts, a)
	}
	parts = append(parts, fmt.Sprintf("%dc", m.Cores))
	if m.Impl != "" {
		parts = append(parts, m.Impl)
	}
	var sb strings.Builder
	dash := false
	for _, r := range strings.Join(parts, "-") {
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

// Title is the machine in a heading: "AMD EPYC Zen5, 2 cores, vaes-avx512".
func (m machine) Title() string {
	s := m.brandWords()
	if a := m.microarch(); a != "" && !strings.Contains(strings.ToLower(s), strings.ToLower(a)) {
		s += " " + a
	}
	s += fmt.Sprintf(", %d cores", m.Cores)
	if m.Impl != "" {
		s += ", " + m.Impl
	}
	return s
}

// Detail is everything known about the CPU, for a file header.
func (m machine) Detail() string {
	var d []string
	if m.Vendor != "" {
		d = append(d, m.Vendor)
	}
	if m.Family != 0 || m.Model != 0 {
		d = append(d, fmt.Sprintf("family %d model %d", m.Family, m.Model))
	}
	d = append(d, fmt.Sprintf("%d logical CPUs, GOMAXPROCS %d", m.Cores, runtime.GOMAXPROCS(0)))
	return fmt.Sprintf("%s (%s)", m.Brand, strings.Join(d, ", "))
}

// cpuFeatures lists the features the project's code paths use, each with
// whether this CPU has it.
func cpuFeatures() []string {
	type feature struct {
		name string
		id   cpuid.FeatureID
	}
	var fs []feature
	switch runtime.GOARCH {
	case "arm64":
		fs = []feature{{"AES", cpuid.AESARM}, {"PMULL", cpuid.PMULL}, {"SHA1", cpuid.SHA1}, {"SHA2", cpuid.SHA2}}
	default:
		fs = []feature{
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

// implSummary is every registered package's active implementation with
// the ones available: "ige=vaes-avx512 (vaes-avx512 vaes-avx2 aes-ni generic)".
func implSummary() []string {
	var out []string
	for _, p := range bench.Implementations() {
		out = append(out, fmt.Sprintf("%s=%s (%s)", p.Pkg, p.Active, strings.Join(p.Available, " ")))
	}
	return out
}
