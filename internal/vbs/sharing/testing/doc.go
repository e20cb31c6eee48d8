// Package testing holds the sharing package's request tests, run against a
// fake VBS server with fixtures built from the API reference's field lists.
package testing
