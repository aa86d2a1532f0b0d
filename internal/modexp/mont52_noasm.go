//go:build !amd64 || purego

package modexp

// Without the assembly the fixed-width path is slower than math/big, so
// VarTimeModulus uses math/big.
const useIFMA = false

var (
	amm52   = amm52Generic
	amm52x4 = amm4Generic(amm52Generic)
)
