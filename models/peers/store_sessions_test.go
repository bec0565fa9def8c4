package peers_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

// circle saves a term of a circles network with one circle of members
// and returns the circle.
func circle(t *testing.T, s *peers.Store, ws string, members ...string) peers.RoundGroup {
	t.Helper()
	ctx := context.Background()
	n := create(t, s, ws, network(peers.KindCircles, "Circles"))
	g := peers.RoundGroup{Kind: peers.GroupCircle}
	for _, m := range members {
		g.Members = append(g.Members, peers.GroupMember{User: m})
	}
	r, _, err := s.SaveRound(ctx, ws, round(t, n, 1), []peers.RoundGroup{g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := s.Groups(ctx, ws, r.ID)
	if err != nil || len(gs) != 1 {
		t.Fatalf("Groups = %v, %v", gs, err)
	}
	return gs[0]
}

// A circle's session is saved once per number; prompts used and who
// facilitated read back in order; a commitment is its author's alone,
// bounded, replaced by its author, and refused to strangers.
func TestSessionsAndCommitments(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		c := circle(t, s, "T1", "U1", "U2", "U3", "U4")
		s1, created, err := s.SaveSession(ctx, "T1", peers.Session{GroupID: c.ID, Number: 1, On: day(t, "2027-01-04"), Facilitator: "U1", PromptID: "feedback-1", Present: []string{"U2", "U1"}})
		if err != nil || !created || !slices.Equal(s1.Present, []string{"U1", "U2"}) {
			t.Fatalf("SaveSession = %+v, %v, %v", s1, created, err)
		}
		again, created, err := s.SaveSession(ctx, "T1", peers.Session{GroupID: c.ID, Number: 1, On: day(t, "2027-01-05"), Facilitator: "U2"})
		if err != nil || created || again.ID != s1.ID || again.Facilitator != "U1" {
			t.Errorf("second save of session 1 = %+v, %v, %v; want the stored one", again, created, err)
		}
		s.SaveSession(ctx, "T1", peers.Session{GroupID: c.ID, Number: 2, On: day(t, "2027-01-18"), Facilitator: "U2", PromptID: "growth-3"})
		s.SaveSession(ctx, "T1", peers.Session{GroupID: c.ID, Number: 3, On: day(t, "2027-02-01"), Facilitator: "U1"})
		before := counts(t, db, "T1")
		_, _, err = s.SaveSession(ctx, "T1", peers.Session{GroupID: c.ID, Number: 0, Facilitator: "U9", Present: []string{"U8"}})
		var ve *peers.ValidationError
		if !errors.As(err, &ve) || len(ve.On(peers.FieldSession)) != 4 {
			t.Errorf("bad session: %v", err)
		}
		if _, _, err := s.SaveSession(ctx, "T2", peers.Session{GroupID: c.ID, Number: 4, On: day(t, "2027-02-15")}); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("session from T2: %v", err)
		}
		if used, _ := s.UsedPrompts(ctx, "T1", c.ID); !slices.Equal(used, []string{"feedback-1", "growth-3"}) {
			t.Errorf("UsedPrompts = %v", used)
		}
		if last, _ := s.LastFacilitated(ctx, "T1", c.ID); len(last) != 2 || last["U1"] != 3 || last["U2"] != 2 {
			t.Errorf("LastFacilitated = %v", last)
		}

		if _, err := s.SetCommitment(ctx, "T1", s1.ID, "U9", "Sneak in", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("commitment by a stranger: %v", err)
		}
		if _, err := s.SetCommitment(ctx, "T1", s1.ID, "U1", "  ", false); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("empty commitment: %v", err)
		}
		if _, err := s.SetCommitment(ctx, "T1", s1.ID, "U1", strings.Repeat("é", peers.MaxCommitmentLen+1), false); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("long commitment: %v", err)
		}
		if _, err := s.SetCommitment(ctx, "T2", s1.ID, "U1", "Elsewhere", false); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("commitment from T2: %v", err)
		}
		sameCounts(t, "refused sessions and commitments", before, counts(t, db, "T1"))
		first, err := s.SetCommitment(ctx, "T1", s1.ID, "U1", "Delegate the roadmap", false)
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.SetCommitment(ctx, "T1", s1.ID, "U1", "Delegate the roadmap review", true)
		if err != nil || second.ID != first.ID || second.Text != "Delegate the roadmap review" || !second.Shared {
			t.Errorf("replaced commitment = %+v, %v", second, err)
		}
		if got, ok, _ := s.Commitment(ctx, "T1", s1.ID, "U1"); !ok || got.Text != second.Text {
			t.Errorf("U1's commitment = %+v, %v", got, ok)
		}
		if _, ok, _ := s.Commitment(ctx, "T1", s1.ID, "U2"); ok {
			t.Error("U2 reads a commitment they did not make")
		}
		sessions, _ := s.Sessions(ctx, "T1", c.ID)
		s.SetCommitment(ctx, "T1", sessions[1].ID, "U1", "Hold a skip-level", false)
		s.SetCommitment(ctx, "T1", sessions[2].ID, "U2", "Someone else's", false)
		if got, ok, err := s.LatestCommitment(ctx, "T1", "U1", c.ID); !ok || err != nil || got.Text != "Hold a skip-level" {
			t.Errorf("LatestCommitment(U1) = %+v, %v, %v", got, ok, err)
		}
		if _, ok, _ := s.LatestCommitment(ctx, "T1", "U3", c.ID); ok {
			t.Error("U3 has a latest commitment")
		}
	})
}

// Only admins add and delete the workspace's prompts, checked first.
func TestCustomPrompts(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		p := peers.CustomPrompt{Theme: "Hiring", Text: "What makes a great first week?"}
		if _, err := s.AddPrompt(ctx, "T1", p, "U1", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("prompt by a member: %v", err)
		}
		_, err := s.AddPrompt(ctx, "T1", peers.CustomPrompt{Theme: "a\nb", Text: strings.Repeat("x", peers.MaxPromptLen+1)}, "UA", true)
		var ve *peers.ValidationError
		if !errors.As(err, &ve) || len(ve.On(peers.FieldTheme)) != 1 || len(ve.On(peers.FieldText)) != 1 {
			t.Errorf("bad prompt: %v", err)
		}
		got, err := s.AddPrompt(ctx, "T1", p, "UA", true)
		if err != nil || got.ID == 0 || got.CreatedBy != "UA" {
			t.Fatalf("AddPrompt = %+v, %v", got, err)
		}
		if list, _ := s.Prompts(ctx, "T1"); len(list) != 1 || list[0] != got {
			t.Errorf("Prompts = %+v", list)
		}
		if list, _ := s.Prompts(ctx, "T2"); len(list) != 0 {
			t.Errorf("T2's prompts = %+v", list)
		}
		if err := s.DeletePrompt(ctx, "T2", got.ID, "UA", true); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("delete from T2: %v", err)
		}
		if err := s.DeletePrompt(ctx, "T1", got.ID, "U1", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("delete by a member: %v", err)
		}
		if err := s.DeletePrompt(ctx, "T1", got.ID, "UA", true); err != nil {
			t.Error(err)
		}
	})
}

// An ask is unlinkable to its asker: peer_asks has no column for a
// person or a time, creating one writes that row alone and nothing names
// who asked; only the code deletes it, blanking the text.
func TestAsksAreAnonymous(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		n := create(t, s, "T1", network(peers.KindCircles, "Circles"))
		cols, _, err := modelstest.RawRows(ctx, db, "SELECT * FROM peer_asks")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"id", "workspace_id", "network_id", "code_hash", "text", "channel", "ts", "deleted"}
		if !slices.Equal(cols, want) {
			t.Errorf("peer_asks columns = %v, want exactly %v (no person, no time)", cols, want)
		}
		before := counts(t, db, "T1")
		_, _, err = s.CreateAsk(ctx, "T1", n.ID, strings.Repeat("?", peers.MaxAskLen+1))
		problemOn(t, "long ask", err, peers.FieldText)
		if _, _, err := s.CreateAsk(ctx, "T2", n.ID, "Elsewhere?"); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("ask in T1's network from T2: %v", err)
		}
		sameCounts(t, "refused asks", before, counts(t, db, "T1"))
		auditBefore, _ := modelstest.CountRows(ctx, db, "audit_log", "T1")
		ask, code, err := s.CreateAsk(ctx, "T1", n.ID, " How do you say no to your VP? ")
		if err != nil || len(code) != 10 || ask.Text != "How do you say no to your VP?" {
			t.Fatalf("CreateAsk = %+v, %q, %v", ask, code, err)
		}
		after := counts(t, db, "T1")
		before["peer_asks"]++
		sameCounts(t, "creating an ask (beyond its own row)", before, after)
		if a, _ := modelstest.CountRows(ctx, db, "audit_log", "T1"); a != auditBefore {
			t.Error("creating an ask wrote to the audit log")
		}
		_, rows, _ := modelstest.RawRows(ctx, db, "SELECT * FROM peer_asks WHERE id = ?", ask.ID)
		for _, v := range rows[0] {
			if v == code || strings.EqualFold(v, code) {
				t.Error("the code is stored as given")
			}
		}
		_, other, _ := s.CreateAsk(ctx, "T1", n.ID, "Another?")
		if other == code {
			t.Error("two asks got one code")
		}
		if err := s.SetAskPosted(ctx, "T1", ask.ID, "CNET", "1700000000.000100"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteAskByCode(ctx, "T1", "WRONGCODE1"); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("delete with a wrong code: %v", err)
		}
		if _, err := s.DeleteAskByCode(ctx, "T2", code); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("delete from T2: %v", err)
		}
		gone, err := s.DeleteAskByCode(ctx, "T1", strings.ToLower(code))
		if err != nil || gone.Channel != "CNET" || gone.TS != "1700000000.000100" {
			t.Fatalf("DeleteAskByCode = %+v, %v", gone, err)
		}
		if got, _ := s.Ask(ctx, "T1", ask.ID); !got.Deleted || got.Text != "" {
			t.Errorf("deleted ask = %+v, want blank and deleted", got)
		}
		if _, err := s.DeleteAskByCode(ctx, "T1", code); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		if _, err := s.Ask(ctx, "T2", ask.ID); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("read from T2: %v", err)
		}
	})
}
