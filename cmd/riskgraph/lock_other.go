//go:build !unix

package main

// lockDir is a no-op where advisory file locks are not available.
func lockDir(string) (func(), error) { return func() {}, nil }
