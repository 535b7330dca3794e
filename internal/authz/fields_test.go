package authz

import (
	"testing"

	"gongzhi/internal/model"
)

func TestFieldPolicy(t *testing.T) {
	for _, f := range Fields {
		for _, role := range model.Roles {
			got := CanSee(role, f)
			// Whoever sees a field in full must be allowed to read the records that hold it,
			// and to reveal personal data; nobody else sees it.
			want := Allowed(role, HouseholdRead) && Allowed(role, PersonalReveal)
			if got != want {
				t.Errorf("CanSee(%s, %s) = %v, want %v", role, f, got, want)
			}
		}
	}
	if CanSee(model.RoleSystemAdmin, Field("nonsense")) {
		t.Error("an unknown field is visible")
	}
}

func TestRedact(t *testing.T) {
	h := &model.Household{Flags: model.HouseholdFlags{Hardship: true, ElderlyAlone: true}}
	r := &model.Resident{IDNumber: model.NewIDNumber("51078119800101001X"), Phone: model.NewPhone("13912345678"), PoliticalStatus: model.StatusPartyMember}
	unit := Scope{Role: model.RoleUnitLeader, Path: "/1/"}
	unit.RedactHousehold(h)
	unit.RedactResident(r)
	if h.Flags.Hardship || !h.Flags.ElderlyAlone {
		t.Errorf("unit leader's household flags = %+v, want hardship withheld and the rest kept", h.Flags)
	}
	if r.IDNumber.Plain() != "5107**********001X" || r.Phone.Plain() != "139****5678" || r.PoliticalStatus != "" {
		t.Errorf("unit leader's resident = %q %q %q, want masked and withheld", r.IDNumber, r.Phone, r.PoliticalStatus)
	}
	grid := Scope{Role: model.RoleGridLeader, Path: "/1/"}
	h2 := &model.Household{Flags: model.HouseholdFlags{Hardship: true}}
	r2 := &model.Resident{IDNumber: model.NewIDNumber("51078119800101001X"), Phone: model.NewPhone("13912345678"), PoliticalStatus: model.StatusPartyMember}
	grid.RedactHousehold(h2)
	grid.RedactResident(r2)
	if !h2.Flags.Hardship || r2.IDNumber.Plain() != "51078119800101001X" || r2.Phone.Plain() != "13912345678" || r2.PoliticalStatus != model.StatusPartyMember {
		t.Errorf("grid leader lost fields: %+v %+v", h2.Flags, r2)
	}
	if got := unit.Redacted(); len(got) != len(Fields) {
		t.Errorf("unit leader's redacted fields = %v, want all of %v", got, Fields)
	}
	if got := System().Redacted(); len(got) != 0 {
		t.Errorf("system scope redacts %v", got)
	}
}
