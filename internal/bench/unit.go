package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/web"
)

// ProposeTiming is a street's unit proposal (issue 9: ≤ 10 s on the 1M city), timed on the
// generated city once its people are loaded and before its units are formed.
type ProposeTiming struct {
	Street      string
	Households  int64 // the street's households
	Communities int   // communities that got a proposal
	Skipped     int   // communities without a household to form
	Units       int   // units proposed
	Took        time.Duration
}

// FeedTiming is the latency of one duty calendar feed (issue 9: p99 ≤ 10 ms).
type FeedTiming struct {
	What       string // the request, e.g. "GET /api/v1/units/{id}/duty.ics"
	Unit       string
	Households int
	Events     int // VEVENTs in the body
	Bytes      int
	P50, P99   time.Duration
}

// proposeStreet times the proposal of units for every community of the largest street
// through store.ProposeUnitsUnder, what POST /api/v1/units/proposals runs (as a job) for a
// street, with the options staff get by default; then it discards the proposals so that the
// demo forms the city's units as usual.
func proposeStreet(ctx context.Context, st *store.Store) (*ProposeTiming, error) {
	sys := authz.System()
	nodes, err := pickNodes(ctx, st)
	if err != nil {
		return nil, err
	}
	street := nodes[1]
	t0 := time.Now()
	made, skipped, err := st.ProposeUnitsUnder(ctx, sys, street.ID, model.PartitionOptions{}, nil)
	took := time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("proposing units for %s: %w", street.Name, err)
	}
	pt := &ProposeTiming{Street: street.Name, Households: street.Households, Communities: len(made), Skipped: skipped, Took: took}
	var proposed int64
	for _, m := range made {
		pt.Units += m.Proposal.Quality.Units
		proposed += int64(m.Proposal.Quality.Households)
		if err := st.DiscardProposal(ctx, sys, m.Proposal.ID, m.Proposal.Version); err != nil {
			return nil, err
		}
	}
	if proposed != street.Households {
		return nil, fmt.Errorf("%s: the proposals place %d households of %d", street.Name, proposed, street.Households)
	}
	return pt, nil
}

// checkUnitsFormed fails unless generation formed every current household of the district
// into a unit (the demo city's units, which the unit figures are measured on).
func checkUnitsFormed(ctx context.Context, st *store.Store, district *model.Territory) error {
	cov, _, err := st.UnitCoverage(ctx, authz.System(), district.ID)
	if err != nil {
		return err
	}
	if cov.Units == 0 || cov.InUnits != cov.Households {
		return fmt.Errorf("generation formed %d units holding %d of %d households; every community's households should be in units", cov.Units, cov.InUnits, cov.Households)
	}
	return nil
}

// measureFeeds times a unit's duty calendar through the whole server in process (no socket):
// GET /api/v1/units/{id}/duty.ics as a district admin with a bearer token, and the same unit's
// private feed GET /feeds/duty/{token}.ics. The unit is the first of the largest grid (nodes as
// pickNodes returns them); each body must be a calendar with the unit's months.
func measureFeeds(ctx context.Context, st *store.Store, nodes []*model.Territory, samples int, log *slog.Logger) ([]FeedTiming, error) {
	sys := authz.System()
	grid := nodes[len(nodes)-1]
	us, err := st.Units(ctx, sys, store.UnitFilter{Under: grid.ID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(us.Items) == 0 {
		return nil, fmt.Errorf("no unit in %s", grid.Name)
	}
	unit := us.Items[0]
	u, token, err := benchUser(ctx, st, nodes[0])
	if err != nil {
		return nil, err
	}
	feed, _, err := st.CreateDutyFeedToken(ctx, authz.ForUser(u), unit.ID, 0)
	if err != nil {
		return nil, err
	}
	pages, err := web.New(st, log, web.Options{})
	if err != nil {
		return nil, err
	}
	full := server.New(st, log, api.Token, api.New(st, log, 1<<20, false), pages).Handler()
	var out []FeedTiming
	for _, f := range []struct {
		what, path string
		header     http.Header
	}{
		{"GET /api/v1/units/{id}/duty.ics", "/api/v1/units/" + strconv.FormatInt(unit.ID, 10) + "/duty.ics", http.Header{"Authorization": {"Bearer " + token}}},
		{"GET /feeds/duty/{token}.ics", "/feeds/duty/" + feed + ".ics", nil},
	} {
		ft := FeedTiming{What: f.what, Unit: unit.Name, Households: unit.Households}
		times := make([]time.Duration, 0, samples)
		// One request more than samples: the first, untimed, warms the session and token
		// caches as any request before it would have.
		for i := range samples + 1 {
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, f.path, nil)
			req.RemoteAddr = "127.0.0.1:1"
			for k, v := range f.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			t0 := time.Now()
			full.ServeHTTP(rec, req)
			if i > 0 {
				times = append(times, time.Since(t0))
			}
			body := rec.Body.String()
			if rec.Code != http.StatusOK || !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") {
				return nil, fmt.Errorf("%s: %d %.200s", f.what, rec.Code, body)
			}
			ft.Events, ft.Bytes = strings.Count(body, "BEGIN:VEVENT\r\n"), len(body)
		}
		if ft.Events == 0 {
			return nil, fmt.Errorf("%s: the feed of %s has no months", f.what, unit.Name)
		}
		ft.P50, ft.P99 = percentile(times, 50), percentile(times, 99)
		out = append(out, ft)
	}
	return out, nil
}

// benchUser is the bench's district admin of the district (benchAccount), with a new session.
func benchUser(ctx context.Context, st *store.Store, district *model.Territory) (*model.User, string, error) {
	u, err := benchAccount(ctx, st, model.RoleDistrictAdmin, district)
	if err != nil {
		return nil, "", err
	}
	token, _, err := st.CreateSession(ctx, u)
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// discardLog is the request log as serve configures it (Info: a 200 is not logged), written
// nowhere.
func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
