package dhcheck

// Helpers of both test suites of the package: the internal one (package
// dhcheck) and the black-box contract (package dhcheck_test, which reaches
// the exported names below).

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/secretbench/secretbench/internal/modexp"
	"github.com/secretbench/secretbench/internal/testutil"
)

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func newVarTime(m []byte) (*modexp.VarTimeModulus, error) { return modexp.NewVarTimeModulus(m) }

// AllErrs are the package's errors, each distinct.
var AllErrs = []error{ErrPrimeSize, ErrNotSafePrime, ErrGenerator, ErrRange}

// testNumber is one entry of testdata/primes.json (sources named there).
type testNumber struct {
	Name   string `json:"name"`
	P      string `json:"p"`
	Safe   bool   `json:"safe"`
	Source string `json:"source"`
}

func loadTestNumbers(t testing.TB) []testNumber {
	t.Helper()
	var f struct{ Numbers []testNumber }
	testutil.LoadJSON(t, "testdata/primes.json", &f)
	return f.Numbers
}

// LoadNumbers returns the committed test numbers by name.
func LoadNumbers(t testing.TB) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, n := range loadTestNumbers(t) {
		m[n.Name] = testutil.Unhex(t, n.P)
	}
	for _, name := range []string{"wellknown", "rfc3526-2048", "generated-2047", "generated-2048", "generated-2049", "p-prime-q-composite", "q-prime-p-composite"} {
		if m[name] == nil {
			t.Fatalf("testdata lacks %s", name)
		}
	}
	return m
}

var loadNumbers = LoadNumbers

// ExactlyOne reports an error on t unless err matches want and no other
// error of the package (want nil: err must be nil; want AnyErr: err must
// match exactly one of the package's errors, whichever).
func ExactlyOne(t testing.TB, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s = %v, want nil", what, err)
		}
		return
	}
	n := 0
	for _, e := range AllErrs {
		if errors.Is(err, e) {
			n++
		}
	}
	if n != 1 || (want != AnyErr && !errors.Is(err, want)) {
		t.Errorf("%s = %v, want %v (and no other error of the package)", what, err, want)
	}
}

// AnyErr asks ExactlyOne for any one of the package's errors.
var AnyErr = errors.New("any one of the package's errors")

// assertOneError checks that a non-nil error matches exactly one of the
// package's errors.
func assertOneError(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		ExactlyOne(t, "error", err, AnyErr)
	}
}
