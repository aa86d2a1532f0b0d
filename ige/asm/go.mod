module github.com/secretbench/secretbench/ige/asm

go 1.24.0

replace github.com/secretbench/secretbench => ../..

require github.com/mmcloughlin/avo v0.5.0 // indirect
