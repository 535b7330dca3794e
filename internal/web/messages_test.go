package web

import (
	"fmt"
	"testing"

	"gongzhi/internal/model"
)

// TestCatalogCoversEnums checks the keys templates build at run time ({{label "kind" .Kind}},
// error pages by status), which the start-up check of literal keys cannot see.
func TestCatalogCoversEnums(t *testing.T) {
	msg, err := loadCatalog("zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range model.Kinds {
		keys = append(keys, "kind."+string(k))
	}
	for _, r := range model.Roles {
		keys = append(keys, "role."+string(r))
	}
	for _, p := range model.PoliticalStatuses {
		keys = append(keys, "political."+string(p))
	}
	for _, f := range flagNames {
		keys = append(keys, "flag."+f)
	}
	for _, g := range []model.Gender{model.GenderMale, model.GenderFemale} {
		keys = append(keys, "gender."+string(g))
	}
	for _, e := range []string{"created", "renamed", "moved", "archived", "moved_in", "moved_out", "updated", "member_added", "member_removed"} {
		keys = append(keys, "event."+e)
	}
	for _, code := range []int{400, 403, 404, 409, 413, 500} {
		keys = append(keys, fmt.Sprintf("error.%d.title", code), fmt.Sprintf("error.%d.body", code))
	}
	for _, k := range keys {
		if !msg.has(k) {
			t.Errorf("catalog zh-Hans lacks %q", k)
		}
	}
	// The model's own Chinese labels and the catalog agree, so API and pages say the same.
	for _, k := range model.Kinds {
		if got, want := msg.text("kind."+string(k)), k.Label(); got != want {
			t.Errorf("kind.%s = %q, model says %q", k, got, want)
		}
	}
	for _, r := range model.Roles {
		if got, want := msg.text("role."+string(r)), r.Label(); got != want {
			t.Errorf("role.%s = %q, model says %q", r, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "/",
		"/households?q=1":      "/households?q=1",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"households":           "/",
		"/a\nb":                "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
