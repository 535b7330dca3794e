// Package model holds gongzhi's domain types and their invariants: no SQL, no HTTP.
package model

import (
	"errors"
	"strings"
	"time"
)

// Sentinel errors shared by every layer. The store maps driver errors onto them in one place;
// the API and the pages map them onto responses in one place.
var (
	// ErrNotFound: the object does not exist or lies outside the caller's scope (we never say which).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness or state conflict (duplicate username, moving a node under itself).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the caller is logged in but the role may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: no valid session or token.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrSecondFactorRequired: the password was right but the account needs a TOTP code too.
	ErrSecondFactorRequired = errors.New("second factor required")
	// ErrSecondFactorNotEnrolled: the account needs a TOTP code but has no secret yet; it
	// enrols on the login page.
	ErrSecondFactorNotEnrolled = errors.New("second factor not enrolled")
	// ErrCrossSite: a browser sent a state-changing request from another site (CSRF); it was
	// refused before any handler ran.
	ErrCrossSite = errors.New("cross-site request refused")
	// ErrUnavailable: something the request needs (the database) did not answer; the client
	// may try again.
	ErrUnavailable = errors.New("service unavailable")
)

// FieldError is one bad input field with a Chinese message that tells how to fix it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every bad field of one input. It is returned by Validate methods and
// rendered as problem+json errors[] by the API and as the error summary by the pages.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a bad field.
func (e *ValidationError) Add(field, message string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message})
}

// Err returns e when it holds at least one field error, nil otherwise.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// ConflictError is an ErrConflict with a client-safe Chinese explanation.
type ConflictError struct{ Message string }

func (e *ConflictError) Error() string { return "conflict: " + e.Message }

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// ForbiddenError is an ErrForbidden with a client-safe Chinese explanation (e.g. which rule of
// separation of duties refused it).
type ForbiddenError struct{ Message string }

func (e *ForbiddenError) Error() string { return "forbidden: " + e.Message }

// Unwrap makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// RateLimitError is a request refused because the caller used up an allowance (e.g. exact
// lookups by ID number or phone per hour); RetryAfter says when the next one will be allowed.
type RateLimitError struct {
	Message    string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string { return "rate limited: " + e.Message }
