// Package securitytest holds the proofs of the security issues that need the whole server, run
// by TestServerSecurity on one world (store, fixture city, server) per engine, SQLite and
// PostgreSQL side by side: list contents against the fixture, the field policy, the
// authorization matrix (every route × every role × every territory relation, the expected
// outcome from an oracle written from SECURITY.md's role descriptions, every denied write
// checked against a journal of the database), writes answering the read view, CSRF over every
// state-changing route and the session-only routes. Beside it: the property test on random
// territory trees and the generated policy table of SECURITY.md. It has no code of its own;
// everything is in its _test files.
package securitytest
