package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// demoTransferCommunities is how many communities (in code order) carry demo transfers.
const demoTransferCommunities = 3

// demoNeighbour is the neighbouring deployment whose key the demo trusts and whose signed file
// it has imported.
const demoNeighbour = "涪城区社区治理平台"

// partyTransfers gives the first communities transfers of organizational relations in every
// state: one waiting for the receiving branch, one accepted (the member moved), one returned;
// the first community also a member transferred out (with its signed file) and a transfer in
// from the neighbouring deployment, imported from its signed file and waiting. It returns how
// many transfers it made. Members and branches are taken in id order, so the same seed makes
// the same transfers.
func partyTransfers(ctx context.Context, st *store.Store, opts Options, communities []*model.Territory) (int, error) {
	sc := authz.System()
	n, i := 0, 0
	for _, c := range communities {
		if i == demoTransferCommunities {
			break
		}
		orgs, _, err := st.OrgTree(ctx, sc, c.ID)
		if err != nil {
			return n, err
		}
		// The orgs a member may belong to, grid branches first.
		var targets []*model.Org
		for _, kind := range []model.OrgKind{model.OrgGridBranch, model.OrgBuildingGroup, model.OrgCommunityCommittee} {
			for _, o := range orgs {
				if o.Kind == kind {
					targets = append(targets, o)
				}
			}
		}
		if len(targets) < 2 {
			continue
		}
		pg, err := st.Members(ctx, sc, store.MemberFilter{Under: c.ID, Limit: 20})
		if err != nil {
			return n, err
		}
		ms := pg.Items
		if len(ms) < 4 {
			continue
		}
		other := func(m *model.Member) int64 {
			for _, o := range targets {
				if o.ID != m.OrgID {
					return o.ID
				}
			}
			return 0
		}
		steps := []struct {
			m      *model.Member
			in     model.TransferInput
			status model.TransferStatus
			note   string
		}{
			{ms[0], model.TransferInput{ToOrgID: other(ms[0]), Reason: "搬迁至新住址，就近参加组织生活"}, model.TransferRequested, ""},
			{ms[1], model.TransferInput{ToOrgID: other(ms[1]), Reason: "家庭住址变动"}, model.TransferAccepted, "已接收，编入支部"},
			{ms[2], model.TransferInput{ToOrgID: other(ms[2]), Reason: "拟随子女居住"}, model.TransferRejected, "本人暂不搬迁，退回"},
		}
		if i == 0 {
			steps = append(steps, struct {
				m      *model.Member
				in     model.TransferInput
				status model.TransferStatus
				note   string
			}{ms[3], model.TransferInput{Destination: "绵阳市涪城区城厢街道南街社区党委", Reason: "工作调动"}, model.TransferAccepted, "已开具转接文件"})
		}
		for _, s := range steps {
			s.in.MemberID = s.m.ID
			t, err := st.RequestTransfer(ctx, sc, s.in)
			if err != nil {
				return n, fmt.Errorf("transfer of %s: %w", s.m.Name, err)
			}
			switch s.status {
			case model.TransferAccepted:
				_, err = st.AcceptTransfer(ctx, sc, t.ID, s.note, "江油市社区治理平台（演示）")
			case model.TransferRejected:
				_, err = st.RejectTransfer(ctx, sc, t.ID, s.note)
			}
			if err != nil {
				return n, fmt.Errorf("transfer of %s: %w", s.m.Name, err)
			}
			n++
		}
		if i == 0 {
			if err := demoTransferIn(ctx, st, opts, targets[0].ID); err != nil {
				return n, err
			}
			n++
		}
		i++
	}
	return n, nil
}

// demoTransferIn trusts the neighbouring deployment's key (drawn from the seed) and imports a
// file it signed: a transfer in, waiting for branch org.
func demoTransferIn(ctx context.Context, st *store.Store, opts Options, org int64) error {
	seed := sha256.Sum256([]byte("demo neighbour " + strconv.FormatInt(opts.Seed, 10)))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	if _, err := st.TrustTransferKey(ctx, authz.System(), demoNeighbour, pub); err != nil {
		return fmt.Errorf("trust the neighbour's key: %w", err)
	}
	p := model.TransferPayload{Format: model.TransferFileFormat, TransferID: 1, Deployment: demoNeighbour,
		IssuedAt: opts.AsOf.Add(-72 * time.Hour), FromOrg: "城厢街道南街社区党委", Destination: "天宝社区", Reason: "退休后回原籍居住",
		Member: model.TransferMemberRecord{Name: "何静", Gender: model.GenderFemale, BirthDate: "1962-09-18", Education: model.EduSenior,
			Status: model.MemberFull, JoinedOn: "1988-06-30", FullOn: "1989-06-30", Category: model.CategoryRetired}}
	file, err := store.SignTransfer(p, pub, priv)
	if err != nil {
		return err
	}
	if _, err := st.ImportTransfer(ctx, authz.System(), file, org); err != nil {
		return fmt.Errorf("import the neighbour's transfer: %w", err)
	}
	return nil
}
