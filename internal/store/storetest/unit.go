package storetest

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// MustUnit forms one joint-building unit of the given households (as the system, with an
// override so that any size will do) and returns it.
func MustUnit(tb testing.TB, st *store.Store, name string, households ...int64) *model.Unit {
	tb.Helper()
	us, err := st.FormUnits(context.Background(), authz.System(), []model.UnitDraft{{Name: name, Basis: model.UnitOverride,
		Households: households, OverrideReason: "测试"}})
	if err != nil {
		tb.Fatalf("form unit %s: %v", name, err)
	}
	return us[0]
}
