// Package securitytest holds the proofs of the security issue that need the whole server: the
// authorization matrix (every route × every role × every territory relation against the policy
// table), the property test on random territory trees, and the CSRF test over every
// state-changing route. It has no code of its own; everything is in its _test files.
package securitytest
