package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// tree is a small territory tree: district › street › community › grid › building › stairwell,
// plus a second community with its own stairwell.
type tree struct {
	district, street, community, grid, building, stairwell, community2, stairwell2 *model.Territory
}

func mustTree(tb testing.TB, st *store.Store) tree {
	tb.Helper()
	ctx := context.Background()
	add := func(parent *model.Territory, kind model.TerritoryKind, name, code string) *model.Territory {
		tb.Helper()
		var pid int64
		if parent != nil {
			pid = parent.ID
		}
		n, err := st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: pid, Kind: kind, Name: name, Code: code})
		if err != nil {
			tb.Fatalf("create %s: %v", name, err)
		}
		return n
	}
	var tr tree
	tr.district = add(nil, model.KindDistrict, "江油市", "510781000000")
	tr.street = add(tr.district, model.KindStreet, "中坝街道", "510781006000")
	tr.community = add(tr.street, model.KindCommunity, "天宝社区", "510781006001")
	tr.grid = add(tr.community, model.KindGrid, "第一网格", "")
	tr.building = add(tr.grid, model.KindBuilding, "1栋", "")
	tr.stairwell = add(tr.building, model.KindStairwell, "1单元", "")
	tr.community2 = add(tr.street, model.KindCommunity, "东胜社区", "510781006002")
	tr.stairwell2 = add(add(tr.community2, model.KindBuilding, "8栋", ""), model.KindStairwell, "2单元", "")
	return tr
}

// scopeOf is the scope of a community admin of node t.
func scopeOf(t *model.Territory) authz.Scope {
	return authz.Scope{UserID: 1, Role: model.RoleCommunityAdmin, Path: t.Path}
}

// validID builds a valid ID number for region, birth date (YYYYMMDD) and sequence; an odd
// sequence is a man, an even one a woman.
func validID(region, birth string, seq int) string {
	s := fmt.Sprintf("%s%s%03d", region, birth, seq%1000)
	return s + string(model.IDCheckDigit(s))
}

// layout is the full header in template order.
func layout() []string {
	h := make([]string, numColumns)
	for c := range numColumns {
		h[c] = columns[c].Name
	}
	return h
}

// person is a row of the full layout; only the fields a test cares about are set.
type person struct {
	key, territory, address, name, relation, id, gender, birth, phone, political, occupation string
	elderly, hardship, disability, mobile, movedIn                                           string
}

func (p person) row() []string {
	r := make([]string, numColumns)
	r[colKey], r[colTerritory], r[colAddress], r[colName], r[colRelation], r[colIDNumber] = p.key, p.territory, p.address, p.name, p.relation, p.id
	r[colGender], r[colBirth], r[colPhone], r[colPolitical], r[colOccupation] = p.gender, p.birth, p.phone, p.political, p.occupation
	r[colElderly], r[colHardship], r[colDisability], r[colMobile], r[colMovedIn] = p.elderly, p.hardship, p.disability, p.mobile, p.movedIn
	return r
}

func rowsOf(people ...person) [][]string {
	out := [][]string{layout()}
	for _, p := range people {
		out = append(out, p.row())
	}
	return out
}

func csvBytes(tb testing.TB, rows [][]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// mustFile writes content to name in a fresh temp dir and returns its path.
func mustFile(tb testing.TB, name string, content []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func mustCSV(tb testing.TB, rows [][]string) string {
	tb.Helper()
	return mustFile(tb, "households.csv", csvBytes(tb, rows))
}

func mustGB18030(tb testing.TB, b []byte) []byte {
	tb.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes(b)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// counts returns the households and residents in the database.
func counts(tb testing.TB, st *store.Store) (households, residents int) {
	tb.Helper()
	ctx := context.Background()
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM households`).Scan(&households); err != nil {
		tb.Fatal(err)
	}
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM residents`).Scan(&residents); err != nil {
		tb.Fatal(err)
	}
	return households, residents
}

func errorStrings(errs []RowError) string {
	s := make([]string, len(errs))
	for i, e := range errs {
		s[i] = e.String()
	}
	return strings.Join(s, "\n")
}
