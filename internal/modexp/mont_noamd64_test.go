//go:build !amd64 || purego

package modexp

func addArchSelects(map[string]func(z *nat64, idx int), *[1 << ctWindow]nat64) {}
