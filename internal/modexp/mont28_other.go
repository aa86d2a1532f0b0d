//go:build !amd64 || purego

package modexp

const haveAVX2Batch = false

func amm28x4(z, a, b, m *nat28x4) { panic("modexp: no AVX2 kernels in this build") }

func sqr28x4(z, a, m *nat28x4) { panic("modexp: no AVX2 kernels in this build") }
