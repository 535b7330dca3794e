package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Votes of compound affairs (issue 11 item 2; model/vote.go says what a vote is). Secrecy is a
// matter of what is stored: the roll (vote_roll) says that a voter voted, a ballot
// (vote_ballots) what was chosen under a random receipt code, and no column, time or sequence
// joins the two. The audit record of a ballot names the vote and, for a proxy, the household;
// never the choice. Tallies are counted from the ballots when the vote closes.
//
// Who sees a vote: staff and grid leaders whose territory holds the vote's, and the accounts
// (residents, members, unit leaders) linked to a resident whose household lies under the
// vote's territory. Who votes: such an account, if it (rule resident) or its household
// (rule household) is on the roll. Staff open, close and cancel votes in their territory and
// cast proxy ballots for voters without a smartphone.

const voteColumns = `v.id, v.title, v.description, v.territory_id, t.name, v.path, COALESCE(v.community_id, 0), v.rule, v.kind, v.max_choices,
	v.quorum_num, v.quorum_den, v.threshold, v.opens_at, v.closes_at, v.status, v.eligible, v.voted, v.cancel_reason, v.closed_at,
	COALESCE(u.display_name, ''), v.created_at, COALESCE(br.id, 0)`

const voteFrom = ` FROM votes v JOIN territories t ON t.id = v.territory_id LEFT JOIN users u ON u.id = v.created_by
	LEFT JOIN budget_rounds br ON br.vote_id = v.id`

func scanVote(r rowScanner) (*model.Vote, error) {
	var v model.Vote
	var closed sql.NullTime
	if err := r.Scan(&v.ID, &v.Title, &v.Description, &v.TerritoryID, &v.TerritoryName, &v.Path, &v.CommunityID, &v.Rule, &v.Kind, &v.MaxChoices,
		&v.Quorum.Num, &v.Quorum.Den, &v.Threshold, &v.OpensAt, &v.ClosesAt, &v.Status, &v.Eligible, &v.Voted, &v.CancelReason, &closed,
		&v.CreatedByName, &v.CreatedAt, &v.RoundID); err != nil {
		return nil, err
	}
	if closed.Valid {
		v.ClosedAt = &closed.Time
	}
	return &v, nil
}

// vote reads vote id as the caller may see it (model.ErrNotFound otherwise), with its options
// (tallies once closed) and the caller's standing.
func (c conn) vote(ctx context.Context, sc authz.Scope, id int64) (*model.Vote, householder, error) {
	v, vr, err := householderOne(ctx, c, sc, `SELECT `+voteColumns+voteFrom+` WHERE v.id = ?`, []any{id}, scanVote,
		func(vr householder, v *model.Vote) bool { return vr.readsAt(v.Path) })
	if err != nil {
		return nil, vr, err
	}
	if err := c.fillVoteOptions(ctx, []*model.Vote{v}); err != nil {
		return nil, vr, err
	}
	if voter := vr.voterIn(v); voter != 0 {
		var voted bool
		err := c.queryRow(ctx, `SELECT voted FROM vote_roll WHERE vote_id = ? AND voter_id = ?`, []any{v.ID, voter}, &voted)
		switch {
		case err == nil:
			v.Caller = model.VoteCaller{OnRoll: true, Voted: voted}
		case !errors.Is(err, model.ErrNotFound):
			return nil, vr, err
		}
	}
	return v, vr, nil
}

// voterIn is the caller's voter id in v (its household or itself by the rule), 0 when none.
func (vr householder) voterIn(v *model.Vote) int64 {
	if vr.household == 0 || !strings.HasPrefix(vr.householdPath, v.Path) {
		return 0
	}
	if v.Rule == model.RuleResident {
		return vr.resident
	}
	return vr.household
}

// fillVoteOptions reads the options of the votes; tallies only of closed votes.
func (c conn) fillVoteOptions(ctx context.Context, vs []*model.Vote) error {
	if len(vs) == 0 {
		return nil
	}
	byID := make(map[int64]*model.Vote, len(vs))
	args := make([]any, 0, len(vs))
	for _, v := range vs {
		byID[v.ID] = v
		args = append(args, v.ID)
	}
	return eachRow(ctx, c, `SELECT vote_id, id, label, abstain, votes FROM vote_options WHERE vote_id IN (`+inList(len(args))+`) ORDER BY vote_id, position`, args,
		func(r rowScanner) error {
			var vid int64
			var o model.VoteOption
			var votes sql.NullInt64
			if err := r.Scan(&vid, &o.ID, &o.Label, &o.Abstain, &votes); err != nil {
				return err
			}
			v := byID[vid]
			if v.Status == model.VoteClosed && votes.Valid {
				n := int(votes.Int64)
				o.Votes = &n
			}
			v.Options = append(v.Options, o)
			return nil
		})
}

// Vote returns vote id as the caller may see it; model.ErrNotFound when it does not exist or
// the caller may not see it. A vote whose closing time has passed is closed first.
func (s *Store) Vote(ctx context.Context, sc authz.Scope, id int64) (*model.Vote, error) {
	v, _, err := s.reader().vote(ctx, sc, id)
	if err != nil || !v.Due(s.now()) {
		return v, err
	}
	if err := s.closeDueVote(ctx, v.ID); err != nil {
		return nil, err
	}
	v, _, err = s.reader().vote(ctx, sc, id)
	return v, err
}

// VoteFilter narrows the votes a caller lists.
type VoteFilter struct {
	Status    model.VoteStatus // "": all
	Territory int64            // held at that node or under it (0: all the caller reads)
	Limit     int
	Cursor    string
}

// Votes lists the votes the caller may see, newest first: staff and grid leaders those in their
// territory, anyone those over its own household. Due votes are
// closed first.
func (s *Store) Votes(ctx context.Context, sc authz.Scope, f VoteFilter) (*Page[*model.Vote], error) {
	if f.Status != "" && f.Status != model.VoteOpen && f.Status != model.VoteClosed && f.Status != model.VoteCancelled {
		return nil, fieldErr("status", "状态应为 open、closed 或 cancelled")
	}
	if err := s.closeDueVotes(ctx); err != nil {
		return nil, err
	}
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	cond, args := vr.listWhere("v.path")
	if cond == "" {
		return &Page[*model.Vote]{}, nil
	}
	w := filter{where: []string{cond}, args: args}
	if err := c.underTerritory(ctx, vr, &w, "v.path", f.Territory); err != nil {
		return nil, err
	}
	if f.Status != "" {
		w.add("v.status = ?", string(f.Status))
	}
	p, err := newestPage(ctx, c, `SELECT `+voteColumns+voteFrom, `FROM votes v`, "v.id", w, cur, clampLimit(f.Limit), scanVote, func(x *model.Vote) int64 { return x.ID })
	if err != nil {
		return nil, err
	}
	items := p.Items
	if err := c.fillVoteOptions(ctx, items); err != nil {
		return nil, err
	}
	if vr.household != 0 && len(items) > 0 {
		voters := map[int64]int64{}
		var ids []any
		for _, v := range items {
			if id := vr.voterIn(v); id != 0 {
				voters[v.ID] = id
				ids = append(ids, v.ID)
			}
		}
		if len(ids) > 0 {
			// Household and resident ids are counted apart: the caller's resident id may be
			// another household's voter id, so only the row of the vote's own voter counts.
			err := eachRow(ctx, c, `SELECT vote_id, voter_id, voted FROM vote_roll WHERE vote_id IN (`+inList(len(ids))+`) AND voter_id IN (?, ?)`,
				append(ids, vr.household, vr.resident), func(r rowScanner) error {
					var vid, voter int64
					var voted bool
					if err := r.Scan(&vid, &voter, &voted); err != nil {
						return err
					}
					if voters[vid] != voter {
						return nil
					}
					for _, v := range items {
						if v.ID == vid {
							v.Caller = model.VoteCaller{OnRoll: true, Voted: voted}
						}
					}
					return nil
				})
			if err != nil {
				return nil, err
			}
		}
	}
	p.Items = items
	return p, nil
}

// OpenVote opens a vote over territory in.TerritoryID (staff, in their territory) and fixes
// its roll: the current households under it, or their residents aged 18 or over on the
// opening day. A territory without voters is a *model.ValidationError.
func (s *Store) OpenVote(ctx context.Context, sc authz.Scope, in model.VoteInput) (*model.Vote, error) {
	if !authz.Allowed(sc.Role, authz.VoteWrite) {
		return nil, model.ErrForbidden
	}
	ts := s.now()
	if err := in.Validate(ts); err != nil {
		return nil, err
	}
	if in.OpensAt.IsZero() {
		in.OpensAt = ts
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.openVote(ctx, sc, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Vote(ctx, sc, id)
}

// openVote is OpenVote inside tx for input validated with its opening time set (ProposeTopic
// opens the vote of a topic in the transaction that claims the topic).
func (tx *Tx) openVote(ctx context.Context, sc authz.Scope, in model.VoteInput) (int64, error) {
	var id int64
	ts := tx.s.now()
	err := func() error {
		t, err := tx.territory(ctx, sc, in.TerritoryID)
		if errors.Is(err, model.ErrNotFound) {
			return fieldErr("territory_id", "投票范围不存在或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		if t.Kind == model.KindDistrict {
			return fieldErr("territory_id", "投票范围应为街道、社区、网格、小区、楼栋或单元")
		}
		var community sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
			return err
		}
		err = tx.queryRow(ctx, `INSERT INTO votes (title, description, territory_id, community_id, path, rule, kind, max_choices, quorum_num, quorum_den,
			threshold, opens_at, closes_at, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id`,
			[]any{in.Title, in.Description, t.ID, community, t.Path, string(in.Rule), string(in.Kind), in.MaxChoices, in.Quorum.Num, in.Quorum.Den,
				string(in.Threshold), in.OpensAt.UTC(), in.ClosesAt.UTC(), nullID(sc.UserID), ts}, &id)
		if err != nil {
			return err
		}
		for i, o := range in.Options {
			abstain := in.Kind == model.VoteYesNo && i == len(in.Options)-1
			if _, err := tx.exec(ctx, `INSERT INTO vote_options (vote_id, position, label, abstain) VALUES (?, ?, ?, ?)`, id, i, o, abstain); err != nil {
				return err
			}
		}
		lo, hi := authz.PathRange(t.Path)
		var res sql.Result
		if in.Rule == model.RuleHousehold {
			res, err = tx.exec(ctx, `INSERT INTO vote_roll (vote_id, voter_id, household_id)
				SELECT ?, h.id, h.id FROM households h WHERE h.path >= ? AND h.path < ? AND h.moved_out_at IS NULL`, id, lo, hi)
		} else {
			adult := day(in.OpensAt).AddDate(-18, 0, 0)
			res, err = tx.exec(ctx, `INSERT INTO vote_roll (vote_id, voter_id, household_id)
				SELECT ?, r.id, h.id FROM households h JOIN residents r ON r.household_id = h.id
				WHERE h.path >= ? AND h.path < ? AND h.moved_out_at IS NULL AND r.birth_date <= ?`, id, lo, hi, adult)
		}
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			return fieldErr("territory_id", "该范围内没有可投票的"+map[model.VoteRule]string{model.RuleHousehold: "住户", model.RuleResident: "成年居民"}[in.Rule])
		}
		if _, err := tx.exec(ctx, `UPDATE votes SET eligible = ? WHERE id = ?`, n, id); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "vote.open", "vote", []int64{id}, fmt.Sprintf("%s, %d on the roll", in.Rule, n))
		return nil
	}()
	return id, err
}

// Ballot is a cast ballot's answer to its voter: the receipt code to check it was counted.
type Ballot struct {
	Receipt string
	Proxy   bool
}

// CastBallot casts the caller's ballot in vote id: by rule household for its household
// (any linked member of it, recorded), by rule resident for itself. model.ErrNotFound when the
// caller may not see the vote, a *model.ForbiddenError when it is not on the roll, a
// *model.ConflictError when the vote takes no ballots (not yet open, closed) or the voter has
// voted already (the database decides), a *model.ValidationError for bad choices. Nothing is
// changed on any error.
func (s *Store) CastBallot(ctx context.Context, sc authz.Scope, id int64, choices []int64) (*Ballot, error) {
	var b *Ballot
	err := s.Tx(ctx, func(tx *Tx) error {
		v, vr, err := tx.vote(ctx, sc, id)
		if err != nil {
			return err
		}
		voter := vr.voterIn(v)
		switch {
		case vr.household == 0:
			return &model.ForbiddenError{Message: "您的账号还没有关联住户，无法投票；请联系社区工作人员"}
		case voter == 0 || !v.Caller.OnRoll:
			return &model.ForbiddenError{Message: "您不在本次投票的选民名册上（名册以投票开始时为准）"}
		}
		b, err = tx.castBallot(ctx, sc, v, voter, vr.resident, choices, false)
		return err
	})
	return b, err
}

// ProxyBallot is staff casting the ballot of a voter on the roll without a smartphone: the
// household (rule household) or the resident (rule resident) voterID, recorded as a proxy
// ballot without the choice. Errors as CastBallot; a voter not on the roll or out of the
// caller's territory is a *model.ValidationError on voter_id.
func (s *Store) ProxyBallot(ctx context.Context, sc authz.Scope, id, voterID int64, choices []int64) (*Ballot, error) {
	if !authz.Allowed(sc.Role, authz.VoteWrite) {
		return nil, model.ErrForbidden
	}
	var b *Ballot
	err := s.Tx(ctx, func(tx *Tx) error {
		v, _, err := tx.vote(ctx, sc, id)
		if err != nil {
			return err
		}
		var household int64
		err = tx.queryRow(ctx, `SELECT household_id FROM vote_roll WHERE vote_id = ? AND voter_id = ?`, []any{v.ID, voterID}, &household)
		if errors.Is(err, model.ErrNotFound) {
			return fieldErr("voter_id", "该"+voterNoun(v.Rule)+"不在本次投票的选民名册上")
		} else if err != nil {
			return err
		}
		if _, err := tx.household(ctx, sc, household); errors.Is(err, model.ErrNotFound) {
			return fieldErr("voter_id", "该"+voterNoun(v.Rule)+"不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		b, err = tx.castBallot(ctx, sc, v, voterID, 0, choices, true)
		return err
	})
	return b, err
}

func voterNoun(r model.VoteRule) string {
	if r == model.RuleResident {
		return "居民"
	}
	return "住户"
}

// castBallot marks voter on v's roll as voted (a conditional UPDATE: the database refuses a
// second ballot), stores the ballot under a new receipt code, and counts the turnout.
func (tx *Tx) castBallot(ctx context.Context, sc authz.Scope, v *model.Vote, voter, castBy int64, choices []int64, proxy bool) (*Ballot, error) {
	ts := tx.s.now()
	switch {
	case v.Status != model.VoteOpen || v.Due(ts):
		return nil, &model.ConflictError{Message: "投票已截止"}
	case ts.Before(v.OpensAt):
		return nil, &model.ConflictError{Message: "投票尚未开始，开始时间 " + v.OpensAt.In(model.Shanghai).Format("2006-01-02 15:04")}
	}
	choices, err := v.CheckChoices(choices)
	if err != nil {
		return nil, err
	}
	var proxyBy int64
	if proxy {
		proxyBy = sc.UserID
	}
	res, err := tx.exec(ctx, `UPDATE vote_roll SET voted = TRUE, cast_by = ?, proxy_by = ? WHERE vote_id = ? AND voter_id = ? AND NOT voted`,
		nullID(castBy), nullID(proxyBy), v.ID, voter)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if v.Rule == model.RuleResident {
			return nil, &model.ConflictError{Message: "您已经投过票了，每人只能投一票"}
		}
		return nil, &model.ConflictError{Message: "这一户已经投过票了，每户只能投一票"}
	}
	parts := make([]string, len(choices))
	for i, c := range choices {
		parts[i] = strconv.FormatInt(c, 10)
	}
	b := &Ballot{Proxy: proxy}
	for stored := false; !stored; {
		var raw [8]byte
		_, _ = rand.Read(raw[:])
		b.Receipt = model.ReceiptCode(binary.LittleEndian.Uint64(raw[:]))
		// ON CONFLICT: a taken code (one in 2⁶⁰) draws another without aborting the
		// transaction, which a failed INSERT does on PostgreSQL.
		res, err := tx.exec(ctx, `INSERT INTO vote_ballots (vote_id, receipt, choices) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, v.ID, b.Receipt, strings.Join(parts, ","))
		if err != nil {
			return nil, err
		}
		n, _ := res.RowsAffected()
		stored = n == 1
	}
	if err := tx.blurBallot(ctx, v.ID); err != nil {
		return nil, err
	}
	res, err = tx.exec(ctx, `UPDATE votes SET voted = voted + 1 WHERE id = ? AND status = 'open' AND opens_at <= ? AND closes_at > ?`, v.ID, ts, ts)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, &model.ConflictError{Message: "投票已截止"}
	}
	action, detail := "vote.ballot", "a voter on the roll voted"
	if proxy {
		var h int64
		if err := tx.queryRow(ctx, `SELECT household_id FROM vote_roll WHERE vote_id = ? AND voter_id = ?`, []any{v.ID, voter}, &h); err != nil {
			return nil, err
		}
		action, detail = "vote.ballot.proxy", fmt.Sprintf("proxy ballot for %s %d of household %d", v.Rule, voter, h)
	}
	tx.auditAt(sc, v.Path, action, "vote", []int64{v.ID}, detail)
	return b, nil
}

// ballotDecoys is how many other ballots and roll rows each ballot's transaction rewrites.
const ballotDecoys = 8

// blurBallot rewrites, unchanged, up to ballotDecoys other ballots and as many other roll rows
// of voters who voted in vote id, in the transaction that casts a ballot. PostgreSQL stamps
// every row a transaction writes with its id (xmin, readable by anyone who may read the
// tables): the new ballot and its voter's roll row would share it alone and name each other.
// Rewritten, the transaction's rows are nine ballots and nine voters, and a ballot rewritten
// by a later transaction no longer carries its voter's at all; the rewrites also move the rows
// in the table, so their order no longer follows the order of voting. The rows are picked
// from a random point of the receipt codes and of the voter ids, by the primary keys.
func (tx *Tx) blurBallot(ctx context.Context, id int64) error {
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	from := model.ReceiptCode(binary.LittleEndian.Uint64(raw[:]))
	receipts, err := tx.decoyKeys(ctx, `SELECT receipt FROM vote_ballots WHERE vote_id = ? AND receipt %s ? ORDER BY receipt LIMIT ?`, id, from)
	if err != nil {
		return err
	}
	if err := tx.rewriteDecoys(ctx, "vote_ballots", "receipt", "choices = choices", id, receipts); err != nil {
		return err
	}
	var lo, hi sql.NullInt64
	// Two subqueries: SQLite reads MIN or MAX off the index only when a query has one of them
	// (together they scanned the whole roll: 329,500 rows a ballot on the 1M city's street).
	if err := tx.queryRow(ctx, `SELECT (SELECT MIN(voter_id) FROM vote_roll WHERE vote_id = ?), (SELECT MAX(voter_id) FROM vote_roll WHERE vote_id = ?)`,
		[]any{id, id}, &lo, &hi); err != nil || !lo.Valid {
		return err
	}
	off, err := rand.Int(rand.Reader, big.NewInt(hi.Int64-lo.Int64+1))
	if err != nil {
		return err
	}
	voters, err := tx.decoyKeys(ctx, votedFrom(tx.d), id, lo.Int64+off.Int64())
	if err != nil {
		return err
	}
	return tx.rewriteDecoys(ctx, "vote_roll", "voter_id", "voted = voted", id, voters)
}

// votedFrom is the query of up to n voters who voted in a vote from a voter id on (its %s is the
// comparison): through the index of those who voted (vote_roll_voted), never a scan of the
// roll's unvoted rows (at low turnout on a large roll thousands a ballot). SQLite without
// statistics would take the primary key for it (the same columns, and it holds the table):
// told to take the index.
func votedFrom(d dialect) string {
	roll := "vote_roll"
	if d.name == "sqlite" {
		roll = "vote_roll INDEXED BY vote_roll_voted"
	}
	return `SELECT voter_id FROM ` + roll + ` WHERE vote_id = ? AND voted AND voter_id %s ? ORDER BY voter_id LIMIT ?`
}

// decoyKeys runs pick (whose %s is the comparison with the key from) for up to ballotDecoys
// keys from key from on, wrapping round to the first keys for what it did not find after it.
// On PostgreSQL the picked rows are locked as they are picked, skipping rows another ballot's
// transaction holds: any row serves as a decoy, and waiting for one serialized the ballots — on
// the 1M city's street the households voted in roll order, every random point above the last
// voter wrapped round to the same first eight voters, and each ballot waited for the one before
// it to commit (38 ballots/s, busy machine). Skipping, no ballot waits for another's decoys and
// none can deadlock on them.
func (tx *Tx) decoyKeys(ctx context.Context, pick string, id int64, from any) ([]any, error) {
	if tx.d.name == "postgres" {
		pick += " FOR UPDATE SKIP LOCKED"
	}
	scan := func(r rowScanner) (any, error) {
		var k any
		err := r.Scan(&k)
		if b, ok := k.([]byte); ok {
			k = string(b) // a receipt: compared as text
		}
		return k, err
	}
	keys, err := queryAll(ctx, tx.conn, fmt.Sprintf(pick, ">="), []any{id, from, ballotDecoys}, scan)
	if err != nil || len(keys) == ballotDecoys {
		return keys, err
	}
	more, err := queryAll(ctx, tx.conn, fmt.Sprintf(pick, "<"), []any{id, from, ballotDecoys - len(keys)}, scan)
	return append(keys, more...), err
}

// rewriteDecoys rewrites, unchanged (set), the rows of table of vote id whose key is among
// keys: rows decoyKeys picked, on PostgreSQL already locked by this transaction (an UPDATE over
// a list locking them itself, in whatever order its plan reads, deadlocked two ballots whose
// decoys overlapped). SQLite has one writer.
//
// On PostgreSQL each row is rewritten by its whole primary key, a statement whose plan cannot
// go wrong. Over a list (vote_id = ? AND key IN (…)), a vote opened after the table's
// statistics were taken was estimated at one row, and the planner read the vote's whole roll
// by vote_id to filter the eight keys out of it: 329,500 rows for each of a ballot's decoys on
// the 1M city's street, on a PostgreSQL whose autovacuum had not analyzed the table yet.
func (tx *Tx) rewriteDecoys(ctx context.Context, table, key, set string, id int64, keys []any) error {
	if len(keys) == 0 {
		return nil
	}
	if tx.d.name == "postgres" {
		for _, k := range keys {
			if _, err := tx.exec(ctx, `UPDATE `+table+` SET `+set+` WHERE vote_id = ? AND `+key+` = ?`, id, k); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := tx.exec(ctx, `UPDATE `+table+` SET `+set+` WHERE vote_id = ? AND `+key+` IN (`+inList(len(keys))+`)`, append([]any{id}, keys...)...)
	return err
}

// VoteRollEntry is one voter of a vote's roll as staff see it: whether it voted and whether by
// proxy, never what it chose.
type VoteRollEntry struct {
	VoterID     int64
	HouseholdID int64
	Address     string
	Name        string // the household's head, or the resident
	Voted       bool
	Proxy       bool
}

// VoteRollFilter narrows a vote's roll: Q finds an address or a name; Cursor and Limit page it.
type VoteRollFilter struct {
	Q      string
	Cursor string
	Limit  int
}

// VoteRoll lists the roll of vote id in the caller's territory (staff, for proxy ballots),
// those not voted first, then by place, a page at a time; Total counts the roll the filter
// finds.
func (s *Store) VoteRoll(ctx context.Context, sc authz.Scope, id int64, f VoteRollFilter) (*Page[VoteRollEntry], error) {
	if !authz.Allowed(sc.Role, authz.VoteWrite) {
		return nil, model.ErrForbidden
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	c := s.reader()
	v, _, err := c.vote(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	p := &Page[VoteRollEntry]{}
	prefix, ok := sc.Narrow(v.Path)
	if !ok {
		return p, nil
	}
	lo, hi := authz.PathRange(prefix)
	name, join := `h.head_name`, ``
	if v.Rule == model.RuleResident {
		name, join = `r.name`, ` JOIN residents r ON r.id = l.voter_id`
	}
	from := ` FROM vote_roll l JOIN households h ON h.id = l.household_id` + join
	w := filter{where: []string{"l.vote_id = ?", "h.path >= ?", "h.path < ?"}, args: []any{v.ID, lo, hi}}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + escapeLike(q) + "%"
		w.add(`(h.address LIKE ? ESCAPE '\' OR `+name+` LIKE ? ESCAPE '\')`, like, like)
	}
	count := w.clone()
	if cur.id != 0 {
		// The key is "0:path" or "1:path": whether the voter had voted, and its household's place.
		voted, path, ok := strings.Cut(cur.key, ":")
		if !ok || (voted != "0" && voted != "1") {
			return nil, ErrBadCursor
		}
		w.add("(l.voted > ? OR l.voted = ? AND (h.path > ? OR h.path = ? AND l.voter_id > ?))", voted == "1", voted == "1", path, path, cur.id)
	}
	limit := clampLimit(f.Limit)
	rows, err := queryAll(ctx, c, `SELECT l.voter_id, l.household_id, h.path, h.address, `+name+`, l.voted, l.proxy_by IS NOT NULL`+from+`
		WHERE `+w.sql()+` ORDER BY l.voted, h.path, l.voter_id LIMIT ?`, append(w.args, limit+1),
		func(r rowScanner) (rollRow, error) {
			var e rollRow
			err := r.Scan(&e.VoterID, &e.HouseholdID, &e.path, &e.Address, &e.Name, &e.Voted, &e.Proxy)
			return e, err
		})
	if err != nil {
		return nil, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last, voted := rows[limit-1], "0"
		if last.Voted {
			voted = "1"
		}
		p.Next = cursor{key: voted + ":" + last.path, id: last.VoterID}.encode()
	}
	for _, e := range rows {
		p.Items = append(p.Items, e.VoteRollEntry)
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*)`+from+` WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	return p, nil
}

// rollRow is a roll entry with its household's place, the cursor's key.
type rollRow struct {
	VoteRollEntry
	path string
}

// CloseVote closes vote id now (staff in its territory): before its closing time only once
// everyone on the roll has voted (model.ErrVoteEarlyClose otherwise). The ballots are tallied
// and the tallies recorded on the options. A vote no longer open is a *model.ConflictError.
func (s *Store) CloseVote(ctx context.Context, sc authz.Scope, id int64) (*model.Vote, error) {
	if !authz.Allowed(sc.Role, authz.VoteWrite) {
		return nil, model.ErrForbidden
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		v, err := tx.writableVote(ctx, sc, id)
		if err != nil {
			return err
		}
		if v.Status == model.VoteOpen && !v.Closable(tx.s.now()) {
			return model.ErrVoteEarlyClose
		}
		return tx.closeVote(ctx, sc, v)
	})
	if err != nil {
		return nil, err
	}
	return s.Vote(ctx, sc, id)
}

// CancelVote cancels open vote id (staff in its territory) with a stated reason: no result is
// published; the ballots stay stored.
func (s *Store) CancelVote(ctx context.Context, sc authz.Scope, id int64, reason string) (*model.Vote, error) {
	if !authz.Allowed(sc.Role, authz.VoteWrite) {
		return nil, model.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	switch n := len([]rune(reason)); {
	case n == 0:
		return nil, fieldErr("reason", "请写明取消投票的理由")
	case n > 200:
		return nil, fieldErr("reason", "理由不能超过 200 个字")
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		v, err := tx.writableVote(ctx, sc, id)
		if err != nil {
			return err
		}
		if v.RoundID != 0 {
			return ErrRoundVoteCancel
		}
		res, err := tx.exec(ctx, `UPDATE votes SET status = 'cancelled', cancel_reason = ?, closed_at = ?, closed_by = ? WHERE id = ? AND status = 'open'`,
			reason, tx.s.now(), nullID(sc.UserID), v.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该投票已经结束或已取消"}
		}
		tx.auditAt(sc, v.Path, "vote.cancel", "vote", []int64{v.ID}, reason)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Vote(ctx, sc, id)
}

// ErrRoundVoteCancel refuses cancelling the vote of a budget round directly: the round is
// cancelled instead, which cancels its vote in the same transaction.
var ErrRoundVoteCancel = &model.ConflictError{Message: "该投票是民生微实事项目投票，不能单独取消；如需取消，请取消该轮次（投票会随之取消）"}

// writableVote reads vote id for staff changing it: in their territory (a vote over a
// territory above it is read-only to them: model.ErrForbidden).
func (c conn) writableVote(ctx context.Context, sc authz.Scope, id int64) (*model.Vote, error) {
	v, _, err := c.vote(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !sc.Contains(v.Path) {
		return nil, &model.ForbiddenError{Message: "该投票由上级组织发起，只有发起范围的工作人员可以结束或取消"}
	}
	return v, nil
}

// closeDueVote closes vote id by the clock, as the system, when it is still open and due.
func (s *Store) closeDueVote(ctx context.Context, id int64) error {
	err := s.Tx(ctx, func(tx *Tx) error {
		v, _, err := tx.vote(ctx, authz.System(), id)
		if err != nil || !v.Due(tx.s.now()) {
			return err
		}
		return tx.closeVote(ctx, authz.System(), v)
	})
	var ce *model.ConflictError
	if errors.As(err, &ce) {
		return nil // closed meanwhile by someone else
	}
	return err
}

// closeDueVotes closes every open vote whose closing time has passed.
func (s *Store) closeDueVotes(ctx context.Context) error {
	ids, err := queryAll(ctx, s.reader(), `SELECT id FROM votes WHERE status = 'open' AND closes_at <= ? ORDER BY id`, []any{s.now()},
		func(r rowScanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
	for _, id := range ids {
		if err == nil {
			err = s.closeDueVote(ctx, id)
		}
	}
	return err
}

// closeVote ends v (a conditional UPDATE: an open vote closes once) and records on each option
// its tally counted from the ballots.
func (tx *Tx) closeVote(ctx context.Context, sc authz.Scope, v *model.Vote) error {
	res, err := tx.exec(ctx, `UPDATE votes SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ? AND status = 'open'`,
		tx.s.now(), nullID(sc.UserID), v.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &model.ConflictError{Message: "该投票已经结束或已取消"}
	}
	ballots, err := tx.ballots(ctx, v.ID)
	if err != nil {
		return err
	}
	r := model.Tally(v, ballots)
	for _, o := range r.Options {
		if _, err := tx.exec(ctx, `UPDATE vote_options SET votes = ? WHERE id = ?`, *o.Votes, o.ID); err != nil {
			return err
		}
	}
	tx.auditAt(sc, v.Path, "vote.close", "vote", []int64{v.ID}, fmt.Sprintf("%d of %d voted", r.Ballots, v.Eligible))
	if v.RoundID != 0 {
		// The vote of a budget round: the round is decided by this tally, in this transaction,
		// whether staff closed the vote or the clock did.
		return tx.decideBudgetRound(ctx, sc, v.RoundID, r)
	}
	return nil
}

// ballots reads the choices of every ballot of vote id.
func (c conn) ballots(ctx context.Context, id int64) ([][]int64, error) {
	var out [][]int64
	err := eachRow(ctx, c, `SELECT choices FROM vote_ballots WHERE vote_id = ?`, []any{id}, func(r rowScanner) error {
		var s string
		if err := r.Scan(&s); err != nil {
			return err
		}
		var b []int64
		for p := range strings.SplitSeq(s, ",") {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return fmt.Errorf("ballot of vote %d: %w", id, err)
			}
			b = append(b, n)
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// VoteResult is the result of closed vote id, tallied again from its stored ballots (and
// compared with the tallies recorded at closing), with the turnout by building. An open or
// cancelled vote is a *model.ConflictError: results are published when a vote closes.
func (s *Store) VoteResult(ctx context.Context, sc authz.Scope, id int64) (*model.Vote, *model.VoteResult, error) {
	v, err := s.Vote(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	switch v.Status {
	case model.VoteOpen:
		return nil, nil, &model.ConflictError{Message: "投票进行中，结果在投票结束后公布"}
	case model.VoteCancelled:
		return nil, nil, &model.ConflictError{Message: "该投票已取消，不公布结果：" + v.CancelReason}
	}
	c := s.reader()
	ballots, err := c.ballots(ctx, v.ID)
	if err != nil {
		return nil, nil, err
	}
	r := model.Tally(v, ballots)
	r.Reproduced = len(r.Options) == len(v.Options)
	for i, o := range r.Options {
		r.Reproduced = r.Reproduced && v.Options[i].Votes != nil && *v.Options[i].Votes == *o.Votes
	}
	if r.Buildings, err = c.buildingTurnout(ctx, v); err != nil {
		return nil, nil, err
	}
	return v, &r, nil
}

// buildingTurnout counts the roll and its voters by the building each household lies in (a
// household under no building counts at its own node).
func (c conn) buildingTurnout(ctx context.Context, v *model.Vote) ([]model.BuildingTurnout, error) {
	type row struct {
		path         string
		roll, voters int
	}
	rows, err := queryAll(ctx, c, `SELECT h.path, COUNT(*), SUM(CASE WHEN l.voted THEN 1 ELSE 0 END) FROM vote_roll l
		JOIN households h ON h.id = l.household_id WHERE l.vote_id = ? GROUP BY h.path`, []any{v.ID},
		func(r rowScanner) (row, error) {
			var x row
			err := r.Scan(&x.path, &x.roll, &x.voters)
			return x, err
		})
	if err != nil {
		return nil, err
	}
	// The buildings under the vote's territory, or the one above it (a vote over a stairwell).
	lo, hi := authz.PathRange(v.Path)
	args := []any{lo, hi}
	for _, id := range model.PathIDs(v.Path) {
		args = append(args, id)
	}
	buildings, parents := map[int64]string{}, map[int64]int64{}
	if err := eachRow(ctx, c, `SELECT id, name, path FROM territories WHERE kind = 'building' AND (path >= ? AND path < ? OR id IN (`+inList(len(args)-2)+`))`, args, func(r rowScanner) error {
		var id int64
		var name, path string
		err := r.Scan(&id, &name, &path)
		buildings[id] = name
		if ids := model.PathIDs(path); len(ids) > 1 {
			parents[id] = ids[len(ids)-2]
		}
		return err
	}); err != nil {
		return nil, err
	}
	by := map[int64]*model.BuildingTurnout{}
	var order []int64
	for _, x := range rows {
		ids := model.PathIDs(x.path)
		key := int64(0)
		if len(ids) > 0 {
			key = ids[len(ids)-1]
		}
		for _, id := range ids {
			if _, ok := buildings[id]; ok {
				key = id
			}
		}
		b := by[key]
		if b == nil {
			b = &model.BuildingTurnout{TerritoryID: key, Name: buildings[key]}
			by[key] = b
			order = append(order, key)
		}
		b.Eligible += x.roll
		b.Voted += x.voters
	}
	var missing []any
	for _, id := range order {
		if by[id].Name == "" {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		if err := eachRow(ctx, c, `SELECT id, name FROM territories WHERE id IN (`+inList(len(missing))+`)`, missing, func(r rowScanner) error {
			var id int64
			var name string
			err := r.Scan(&id, &name)
			by[id].Name = name
			return err
		}); err != nil {
			return nil, err
		}
	}
	if err := c.qualifyBuildings(ctx, by, parents); err != nil {
		return nil, err
	}
	out := make([]model.BuildingTurnout, 0, len(order))
	for _, id := range order {
		out = append(out, *by[id])
	}
	slices.SortFunc(out, func(a, b model.BuildingTurnout) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// qualifyBuildings puts the compound's name (the parent's) before a building's name that more
// than one building of the turnout has: 锦江苑 1栋 and 银杏苑 1栋, not 1栋 twice.
func (c conn) qualifyBuildings(ctx context.Context, by map[int64]*model.BuildingTurnout, parents map[int64]int64) error {
	named := map[string]int{}
	for _, b := range by {
		named[b.Name]++
	}
	var ids []any
	for id, b := range by {
		if p, ok := parents[id]; ok && named[b.Name] > 1 {
			ids = append(ids, p)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	names := map[int64]string{}
	if err := eachRow(ctx, c, `SELECT id, name FROM territories WHERE id IN (`+inList(len(ids))+`)`, ids, func(r rowScanner) error {
		var id int64
		var name string
		err := r.Scan(&id, &name)
		names[id] = name
		return err
	}); err != nil {
		return err
	}
	for id, b := range by {
		if p, ok := parents[id]; ok && named[b.Name] > 1 && names[p] != "" {
			b.Name = names[p] + " " + b.Name
		}
	}
	return nil
}

// ReceiptCheck is what checking a receipt code tells its holder.
type ReceiptCheck struct {
	Receipt string
	Found   bool             // a ballot of the vote has this code
	Status  model.VoteStatus // counted in the result once closed
}

// CheckReceipt looks receipt up among the ballots of vote id (anyone who may see the vote): it
// says whether the ballot is stored (and, once the vote has closed, counted), never the
// choice, so a receipt cannot prove to anyone else how its holder voted.
func (s *Store) CheckReceipt(ctx context.Context, sc authz.Scope, id int64, receipt string) (*ReceiptCheck, error) {
	v, err := s.Vote(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	code, ok := model.NormalizeReceipt(receipt)
	if !ok {
		return nil, fieldErr("receipt", "回执码应为 12 位字母和数字，例如 7K3M-Q9XA-2RTD")
	}
	var n int
	if err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM vote_ballots WHERE vote_id = ? AND receipt = ?`, []any{v.ID, code}, &n); err != nil {
		return nil, err
	}
	return &ReceiptCheck{Receipt: code, Found: n > 0, Status: v.Status}, nil
}
