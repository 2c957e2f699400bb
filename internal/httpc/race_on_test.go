//go:build race

package httpc

const raceBuild = true
