package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
)

// measureHTTP runs two bounded loopback load runs of GET /api/v1/households/{id}: one through
// the whole stack (session lookup, policy guard, scoped store read, masking, JSON, logging,
// metrics, security headers) as a street admin with a bearer token, one against a bare
// net/http handler doing the same SQLite point query. Only 127.0.0.1 is used.
func measureHTTP(ctx context.Context, st *store.Store, maxID int64, opts Options, rep *Report, log *slog.Logger) error {
	sys := authz.System()
	roots, err := st.Territories(ctx, sys, store.TerritoryFilter{Kind: model.KindDistrict, Limit: 1})
	if err != nil || len(roots.Items) == 0 {
		return fmt.Errorf("no district: %v", err)
	}
	u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Password: "bench password long enough", Role: model.RoleDistrictAdmin, ScopeID: roots.Items[0].ID})
	if err != nil {
		return err
	}
	token, _, err := st.CreateSession(ctx, u)
	if err != nil {
		return err
	}
	full := server.New(st, log, api.Token, api.New(st, log, 1<<20, false)).Handler()
	bare := bareHandler(st.ReadDB(), st.Engine())

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Concurrency * 2, MaxConnsPerHost: opts.Concurrency * 2}}
	run := func(h http.Handler, path string, header http.Header) (float64, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		base := "http://" + ln.Addr().String() + path
		return throughput(ctx, opts.Concurrency, opts.Duration, func(rng *rand.Rand) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+strconv.FormatInt(1+rng.Int64N(maxID), 10), nil)
			if err != nil {
				return err
			}
			req.Header = header.Clone()
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: status %d", req.URL.Path, resp.StatusCode)
			}
			return nil
		})
	}
	// Alternate the two runs so that neither gets a warmer cache than the other.
	if rep.BareRPS, err = run(bare, "/households/", http.Header{}); err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	if rep.FullRPS, err = run(full, "/api/v1/households/", http.Header{"Authorization": {"Bearer " + token}}); err != nil {
		return fmt.Errorf("full stack: %w", err)
	}
	rep.HTTPMeasured = true
	return nil
}

// bareHandler is the floor: the same point query and a JSON answer, nothing else.
func bareHandler(db *sql.DB, engine string) http.Handler {
	q := `SELECT id, territory_id, address, head_name, members FROM households WHERE id = ?`
	if engine == "postgres" {
		q = `SELECT id, territory_id, address, head_name, members FROM households WHERE id = $1`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.URL.Path[len("/households/"):], 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		var h struct {
			ID          int64  `json:"id"`
			TerritoryID int64  `json:"territory_id"`
			Address     string `json:"address"`
			HeadName    string `json:"head_name"`
			Members     int    `json:"members"`
		}
		if err := db.QueryRowContext(r.Context(), q, id).Scan(&h.ID, &h.TerritoryID, &h.Address, &h.HeadName, &h.Members); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(h)
	})
}
