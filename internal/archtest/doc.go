// Package archtest holds tests of the project's architecture: which
// packages may import which. It has no code of its own.
package archtest
