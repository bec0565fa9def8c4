package peers

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// Anonymous asks: "Someone in this network asks: …" in the network's
// channel. Asking writes the ask's row (network, text, the hash of a
// random code; no person, no time) and the channel one-off that posts
// it, whose payload is the ask's id: nothing stored names the asker. The
// post is planned at a random instant of a 5-minute grid from 2 to 15
// minutes after the ask (AskPostAt), so neither the one-off's planned
// time nor the post's time lines up with the asker's request.

// When an ask is posted: on a grid of AskGrid, from AskMinDelay to
// AskMaxDelay after it was asked.
const (
	AskMinDelay = 2 * time.Minute
	AskMaxDelay = 15 * time.Minute
	AskGrid     = 5 * time.Minute
)

// AskPostAt is when an ask made at now is posted: the instant of the
// AskGrid (in UTC) that r picks among those from AskMinDelay to
// AskMaxDelay after now, each equally likely for a uniform r.
func AskPostAt(now time.Time, r uint64) time.Time {
	lo := now.Add(AskMinDelay)
	first := lo.Truncate(AskGrid)
	if first.Before(lo) {
		first = first.Add(AskGrid)
	}
	slots := uint64(now.Add(AskMaxDelay).Sub(first)/AskGrid) + 1
	return first.Add(time.Duration(r%slots) * AskGrid)
}

// DeleteFunc deletes a message Trellis posted in a channel of the
// workspace (chat.delete).
type DeleteFunc func(ctx context.Context, ws, channel, ts string) error

// ErrTooFewToAsk refuses an ask in a network smaller than the
// workspace's minimum group size: in a smaller one an anonymous question
// is too easy to trace back. Its Error is a message to show.
type ErrTooFewToAsk struct {
	// Have is how many people take part; Need the minimum.
	Have, Need int
}

func (e *ErrTooFewToAsk) Error() string {
	return fmt.Sprintf("This network has %d people taking part; anonymous questions need at least %d, so nobody can guess who asked.", e.Have, e.Need)
}

// ErrNetworkPaused refuses an ask in a paused network: nothing would post it.
var ErrNetworkPaused = errors.New("this network is paused; ask again once it is resumed")

// Ask posts text anonymously to network networkID's channel, a few
// minutes from now (AskPostAt), and
// returns the code that alone deletes it, for the asker's eyes only. It
// refuses, changing nothing, a network of fewer active participants than
// the workspace's minimum group size (*ErrTooFewToAsk), a paused network
// (ErrNetworkPaused), and text the store refuses (*peers.ValidationError:
// empty, or over peers.MaxAskLen characters).
func (s *Service) Ask(ctx context.Context, ws string, networkID int64, text string) (string, error) {
	n, err := s.store.Network(ctx, ws, networkID)
	if err != nil {
		return "", fmt.Errorf("ask: %w", err)
	}
	if n.Paused {
		return "", ErrNetworkPaused
	}
	workspace, err := s.wss.Get(ctx, ws)
	if err != nil {
		return "", fmt.Errorf("ask: %w", err)
	}
	parts, err := s.store.Participants(ctx, ws, networkID)
	if err != nil {
		return "", fmt.Errorf("ask: %w", err)
	}
	now := s.clock.Now().UTC().Truncate(time.Second)
	active := 0
	for _, p := range parts {
		if p.Active(today(n, now)) {
			active++
		}
	}
	if active < workspace.MinGroupSize {
		return "", &ErrTooFewToAsk{Have: active, Need: workspace.MinGroupSize}
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("ask: %w", err)
	}
	at := AskPostAt(now, binary.BigEndian.Uint64(b[:]))
	var code string
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		a, c, err := s.store.CreateAsk(ctx, ws, networkID, text)
		if err != nil {
			return err
		}
		code = c
		_, err = s.eng.PlanOnce(ctx, ws, ScheduleKey(networkID), askPost{AskID: a.ID}, n.Channel, at)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("ask: %w", err)
	}
	return code, nil
}

// DeleteAsk deletes the ask code belongs to: its text is blanked, a post
// still waiting is skipped when its turn comes, and a post already in
// the channel is deleted (through Config.Delete). A code that matches no
// live ask is peers.ErrNotFound.
func (s *Service) DeleteAsk(ctx context.Context, ws, code string) error {
	a, err := s.store.DeleteAskByCode(ctx, ws, code)
	if err != nil {
		return err
	}
	channel, ts := a.Channel, a.TS
	if ts == "" {
		if channel, ts, err = s.askReceipt(ctx, ws, a); err != nil {
			return fmt.Errorf("delete ask: %w", err)
		}
	}
	if ts == "" {
		return nil
	}
	if s.del == nil {
		return fmt.Errorf("delete ask: %w", errors.New("this Trellis cannot delete messages"))
	}
	if err := s.del(ctx, ws, channel, ts); err != nil {
		return fmt.Errorf("delete ask's post: %w", err)
	}
	return nil
}

// askLookback bounds how many of the channel's messages DeleteAsk looks
// through for an ask's post.
const askLookback = 2000

// askReceipt finds where the ask's post landed, from the engine's record
// of its one-off; empty when it was not delivered.
func (s *Service) askReceipt(ctx context.Context, ws string, a peers.Ask) (string, string, error) {
	n, err := s.store.Network(ctx, ws, a.NetworkID)
	if errors.Is(err, models.ErrNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	id := engine.OneOffID(ScheduleKey(n.ID), askPost{AskID: a.ID})
	occs, err := models.NewOccurrences(s.db).ForRecipient(ctx, ws, n.Channel, time.Time{}, askLookback)
	if err != nil {
		return "", "", err
	}
	for _, o := range occs {
		if o.CadenceID == id && o.Status == models.OccurrenceDelivered {
			return o.Receipt.Channel, o.Receipt.TS, nil
		}
	}
	return "", "", nil
}

// askPost is an anonymous ask's post in the network's channel. It holds
// the ask's id only.
type askPost struct {
	AskID int64 `json:"ask"`
}

func (askPost) OneOffKind() string  { return "ask" }
func (askPost) OneOffVersion() int  { return 1 }
func (m askPost) OneOffKey() string { return strconv.FormatInt(m.AskID, 10) }
func (m askPost) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws := c.Occurrence.WorkspaceID
	a, err := s.store.Ask(ctx, ws, m.AskID)
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip("removed: the question was deleted")
	}
	if err != nil {
		return engine.Message{}, err
	}
	if a.Deleted {
		return engine.Message{}, engine.Skip("the question was deleted by the person who asked it")
	}
	n, err := s.store.Network(ctx, ws, a.NetworkID)
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip("removed: the peer network was deleted")
	}
	if err != nil {
		return engine.Message{}, err
	}
	if n.Paused {
		return engine.Message{}, engine.Skip("paused: the peer network is paused")
	}
	return askMessage(n, a), nil
}
