package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
)

// VoteFlow is issue 11's vote benchmark: a vote over the largest street, its households
// casting their ballots through the API, fifty identical ballots of one household at once, and
// the tally of the vote.
type VoteFlow struct {
	Street    string
	Eligible  int           // households on the roll
	OpenTook  time.Duration // opening the vote: the street's roll fixed
	Workers   int
	Ballots   int // cast through the API
	PerSecond float64
	P50, P99  time.Duration // one ballot's request
	// Same: fifty identical ballots of one household sent at once.
	Same      int // requests
	Accepted  int // answered 201
	Refused   int // answered 409
	Counted   int // the turnout's growth
	CloseTook time.Duration
	// ResultTook is reading the result: the tally again from the stored ballots, compared
	// with the one recorded at closing, and the turnout by building.
	ResultTook time.Duration
}

// measureVoteFlow opens a yes/no vote over street (one household one vote) as the street's
// administrator, gives opts.Ballots + 1 of its households an account with a session (straight
// into the tables: creating them through the API would hash a password each), has opts.Ballots
// of them vote through the whole server over loopback with opts.Concurrency workers, sends the
// last household's ballot fifty times at once, then closes the vote (its closing time moved
// to the past: a vote with voters still to come closes only when due) and reads its result.
func measureVoteFlow(ctx context.Context, st *store.Store, street *model.Territory, opts Options, progress io.Writer, log *slog.Logger) (*VoteFlow, error) {
	staff, err := staffOf(ctx, st, model.RoleStreetAdmin, street)
	if err != nil {
		return nil, err
	}
	f := &VoteFlow{Street: street.Name, Workers: opts.Concurrency}
	t0 := time.Now()
	v, err := st.OpenVote(ctx, staff, model.VoteInput{Title: "压测：街道公共事项表决", TerritoryID: street.ID, Rule: model.RuleHousehold,
		Kind: model.VoteYesNo, Quorum: model.Quorum{Num: 0, Den: 1}, Threshold: model.ThresholdMajority, ClosesAt: time.Now().Add(24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	f.OpenTook, f.Eligible = time.Since(t0), v.Eligible
	fmt.Fprintf(progress, "  vote over %s opened in %v: %d households on the roll\n", street.Name, f.OpenTook.Round(time.Millisecond), v.Eligible)
	if v.Eligible <= opts.Ballots {
		return nil, fmt.Errorf("%s has %d households, want more than %d", street.Name, v.Eligible, opts.Ballots)
	}
	tokens, err := voterSessions(ctx, st, street, opts.Ballots+1)
	if err != nil {
		return nil, err
	}
	yes := strconv.FormatInt(v.Options[0].ID, 10)
	body := []byte(`{"choices":["` + yes + `"]}`)
	path := "/api/v1/votes/" + strconv.FormatInt(v.ID, 10) + "/ballots"

	h := server.New(st, log, api.Token, api.New(st, log, 1<<20, false)).Handler()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64 + opts.Concurrency, MaxConnsPerHost: 64 + opts.Concurrency}}
	cast := func(token string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ln.Addr().String()+path, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusConflict {
			return resp.StatusCode, fmt.Errorf("POST %s: status %d: %s", path, resp.StatusCode, b)
		}
		return resp.StatusCode, nil
	}

	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	stop := make(chan struct{})
	go func() { // progress every ten seconds
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				n := min(next.Load(), int64(opts.Ballots))
				fmt.Fprintf(progress, "    %d/%d ballots (%.0f/s)\n", n, opts.Ballots, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	for range opts.Concurrency {
		wg.Go(func() {
			var mine []time.Duration
			for {
				i := next.Add(1) - 1
				if i >= int64(opts.Ballots) || ctx.Err() != nil {
					break
				}
				t := time.Now()
				code, err := cast(tokens[i])
				if err == nil && code != http.StatusCreated {
					err = fmt.Errorf("household %d of %d: its only ballot answered %d", i, opts.Ballots, code)
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					next.Store(int64(opts.Ballots))
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, firstErr
	}
	f.Ballots, f.PerSecond = len(lat), float64(len(lat))/elapsed.Seconds()
	f.P50, f.P99 = percentile(lat, 50), percentile(lat, 99)

	// Fifty identical ballots of the last household, all at once.
	before, err := st.Vote(ctx, staff, v.ID)
	if err != nil {
		return nil, err
	}
	f.Same = 50
	codes := make([]int, f.Same)
	errs := make([]error, f.Same)
	gate := make(chan struct{})
	for i := range f.Same {
		wg.Go(func() {
			<-gate
			codes[i], errs[i] = cast(tokens[opts.Ballots])
		})
	}
	close(gate)
	wg.Wait()
	for i, c := range codes {
		if errs[i] != nil {
			return nil, errs[i]
		}
		switch c {
		case http.StatusCreated:
			f.Accepted++
		case http.StatusConflict:
			f.Refused++
		}
	}
	after, err := st.Vote(ctx, staff, v.ID)
	if err != nil {
		return nil, err
	}
	f.Counted = after.Voted - before.Voted

	if _, err := st.DB().ExecContext(ctx, `UPDATE votes SET closes_at = $1 WHERE id = $2`, time.Now().Add(-time.Second).UTC(), v.ID); err != nil {
		return nil, err
	}
	t0 = time.Now()
	if _, err := st.CloseVote(ctx, staff, v.ID); err != nil {
		return nil, err
	}
	f.CloseTook = time.Since(t0)
	t0 = time.Now()
	_, res, err := st.VoteResult(ctx, staff, v.ID)
	if err != nil {
		return nil, err
	}
	f.ResultTook = time.Since(t0)
	if res.Ballots != f.Ballots+f.Counted {
		return nil, fmt.Errorf("the result counts %d ballots, %d were accepted", res.Ballots, f.Ballots+f.Counted)
	}
	return f, nil
}

// voterSessions gives n households of street, each without an account, an account for its
// head (a resident of the household's community, linked to the head as LinkResident links)
// and a live session, and returns the sessions' tokens. The accounts share one password hash
// that no password matches: nobody logs in as them.
func voterSessions(ctx context.Context, st *store.Store, street *model.Territory, n int) ([]string, error) {
	lo, hi := authz.PathRange(street.Path)
	// One head per household (MIN: a household may have two on record), none with an account.
	rows, err := st.ReadDB().QueryContext(ctx, `SELECT MIN(r.id), h.community_id FROM residents r JOIN households h ON h.id = r.household_id
		WHERE h.path >= $1 AND h.path < $2 AND h.moved_out_at IS NULL AND r.relation = 'head'
			AND NOT EXISTS (SELECT 1 FROM users u JOIN residents o ON o.id = u.resident_id WHERE o.household_id = h.id)
		GROUP BY h.id, h.community_id ORDER BY h.id LIMIT $3`, lo, hi, n)
	if err != nil {
		return nil, err
	}
	var heads []voterHead
	for rows.Next() {
		var h voterHead
		if err := rows.Scan(&h.resident, &h.community); err != nil {
			_ = rows.Close()
			return nil, err
		}
		heads = append(heads, h)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(heads) < n {
		return nil, fmt.Errorf("%s: %d households' heads without an account, want %d", street.Name, len(heads), n)
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	ts := time.Now().UTC()
	tokens := make([]string, n)
	const batch = 500
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		tx, err := st.DB().BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		if err := insertVoters(ctx, tx, heads[from:to], from, stamp, ts, tokens[from:to]); err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	return tokens, nil
}

// voterHead is a household's head and the household's community.
type voterHead struct{ resident, community int64 }

// insertVoters inserts the accounts and sessions of heads (numbered from first) in tx and
// fills tokens.
func insertVoters(ctx context.Context, tx *sql.Tx, heads []voterHead, first int, stamp string, ts time.Time, tokens []string) error {
	for i, h := range heads {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (username, display_name, role, scope_id, password_hash, created_at, password_changed_at, resident_id)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`,
			fmt.Sprintf("bench-vote%d-%s", first+i, stamp), "压测户主", string(model.RoleResident), h.community, "!bench", ts, h.resident).Scan(&id); err != nil {
			return err
		}
		token, hash, err := authz.NewToken()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)`,
			hash, id, ts, ts.Add(store.SessionTTL)); err != nil {
			return err
		}
		tokens[i] = token
	}
	return nil
}
