//go:build !purego

package ige

import "github.com/secretbench/secretbench/internal/igebound"

// The distinct-keys bound of the 32-lane kernel: the shared-key bound with
// every lane's round keys loaded from the rows the batch kernel reads.
func init() {
	igebound.RegisterDistinctKeys(func() (int, func(blocks int)) {
		if active != implVAES512 {
			return 0, nil
		}
		st := new(batchState)
		st.align = st.window()
		for l := range maxLanes {
			key := make([]byte, KeySize)
			key[0], key[1] = byte(l), 0x3c
			c, err := NewCipher(key)
			if err != nil {
				panic("ige: internal error: " + err.Error())
			}
			st.loadKeys(c, l, 4, false)
		}
		return maxLanes, func(blocks int) { boundDistinctAVX512(st.rows(), blocks) }
	})
}
