package store

import "gongzhi/internal/model"

// The store's findings about bad input are *model.ValidationError values, built here so that
// checks needing the database can add to what a model Validate method found.

// fieldErr is a validation error on one field.
func fieldErr(field, msg string) error {
	return &model.ValidationError{Fields: []model.FieldError{{Field: field, Message: msg}}}
}

// validation returns the *model.ValidationError a Validate method returned, or an empty one for
// nil, so that checks needing the database can add their findings to the same error.
func validation(err error) *model.ValidationError {
	if v, ok := err.(*model.ValidationError); ok {
		return v
	}
	return &model.ValidationError{}
}

// hasField reports whether v already names field.
func hasField(v *model.ValidationError, field string) bool {
	for _, f := range v.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
