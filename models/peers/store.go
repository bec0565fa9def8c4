package peers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// The store: the rows of migration 0018
// (models/migrations/*/0018_peer_networks.sql) and the methods that read
// and write them, in the store*.go files. Every method takes the
// workspace: an id of another workspace is not found (ErrNotFound) and
// nothing of it changes. Every write checks everything first and stores
// nothing when anything is wrong, and a write of several rows is one
// transaction. Row stamps come from the DB's clock (models.WithClock).

// Store stores peer networks, their people, rounds, groups, circle
// sessions, commitments, the workspace's own prompts and anonymous asks.
type Store struct {
	db *models.DB
}

// NewStore returns the peer networks' store.
func NewStore(db *models.DB) *Store { return &Store{db: db} }

type networkRow struct {
	ID          int64         `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string        `gorm:"column:workspace_id"`
	Kind        string        `gorm:"column:kind"`
	Name        string        `gorm:"column:name"`
	NameKey     string        `gorm:"column:name_key"`
	Channel     string        `gorm:"column:channel"`
	ChannelTZ   string        `gorm:"column:channel_tz"`
	Membership  string        `gorm:"column:membership"`
	Cadence     string        `gorm:"column:cadence"`
	Weekday     int           `gorm:"column:weekday"`
	Anchor      calendar.Date `gorm:"column:anchor;type:text"`
	GroupSize   int           `gorm:"column:group_size"`
	TeamSource  string        `gorm:"column:team_source"`
	TermMonths  int           `gorm:"column:term_months"`
	MinSize     int           `gorm:"column:min_size"`
	MaxSize     int           `gorm:"column:max_size"`
	Capacity    int           `gorm:"column:capacity"`
	Paused      bool          `gorm:"column:paused"`
	OwnerID     string        `gorm:"column:owner_id"`
	CreatedAt   time.Time     `gorm:"column:created_at"`
	UpdatedAt   time.Time     `gorm:"column:updated_at"`
}

func (networkRow) TableName() string { return "peer_networks" }

func (r networkRow) domain() Network {
	return Network{ID: r.ID, Kind: NetworkKind(r.Kind), Name: r.Name, Channel: r.Channel, ChannelTZ: r.ChannelTZ,
		Membership: Membership(r.Membership), Cadence: Cadence(r.Cadence), Weekday: time.Weekday(r.Weekday), Anchor: r.Anchor,
		GroupSize: r.GroupSize, TeamSource: r.TeamSource, TermMonths: r.TermMonths, MinSize: r.MinSize, MaxSize: r.MaxSize,
		Capacity: r.Capacity, Paused: r.Paused, Owner: r.OwnerID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// networkRowFrom is n (normalized) as a row of ws.
func networkRowFrom(ws string, n Network) networkRow {
	return networkRow{ID: n.ID, WorkspaceID: ws, Kind: string(n.Kind), Name: n.Name, NameKey: nameKey(n.Name), Channel: n.Channel,
		ChannelTZ: n.ChannelTZ, Membership: string(n.Membership), Cadence: string(n.Cadence), Weekday: int(n.Weekday), Anchor: n.Anchor,
		GroupSize: n.GroupSize, TeamSource: n.TeamSource, TermMonths: n.TermMonths, MinSize: n.MinSize, MaxSize: n.MaxSize,
		Capacity: n.Capacity, Paused: n.Paused, OwnerID: n.Owner, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
}

// nameKey is how network names compare: trimmed, in lower case.
func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

type participantRow struct {
	NetworkID     int64          `gorm:"column:network_id;primaryKey;autoIncrement:false"`
	UserID        string         `gorm:"column:user_id;primaryKey"`
	WorkspaceID   string         `gorm:"column:workspace_id"`
	Chosen        bool           `gorm:"column:chosen"`
	Left          bool           `gorm:"column:is_left"`
	JoinedAt      time.Time      `gorm:"column:joined_at"`
	PausedUntil   *calendar.Date `gorm:"column:paused_until;type:text"`
	Paused        bool           `gorm:"column:paused"`
	Priority      bool           `gorm:"column:priority"`
	IgnoredRounds int            `gorm:"column:ignored_rounds"`
	Skills        string         `gorm:"column:skills"`
	Capacity      *int           `gorm:"column:capacity"`
}

func (participantRow) TableName() string { return "peer_participants" }

func (r participantRow) domain() Participant {
	p := Participant{NetworkID: r.NetworkID, User: r.UserID, Chosen: r.Chosen, Left: r.Left, JoinedAt: r.JoinedAt.UTC(),
		Paused: r.Paused, Priority: r.Priority, IgnoredRounds: r.IgnoredRounds, Skills: r.Skills}
	if r.PausedUntil != nil {
		p.PausedUntil = *r.PausedUntil
	}
	if r.Capacity != nil {
		p.Capacity = *r.Capacity
	}
	return p
}

type avoidRow struct {
	WorkspaceID string `gorm:"column:workspace_id;primaryKey"`
	UserID      string `gorm:"column:user_id;primaryKey"`
	OtherID     string `gorm:"column:other_id;primaryKey"`
}

func (avoidRow) TableName() string { return "peer_avoid" }

type roundRow struct {
	ID          int64         `gorm:"column:id;primaryKey;autoIncrement"`
	NetworkID   int64         `gorm:"column:network_id"`
	WorkspaceID string        `gorm:"column:workspace_id"`
	Kind        string        `gorm:"column:kind"`
	Number      int           `gorm:"column:number"`
	StartsOn    calendar.Date `gorm:"column:starts_on;type:text"`
	EndsOn      calendar.Date `gorm:"column:ends_on;type:text"`
	Seed        int64         `gorm:"column:seed"`
	CreatedAt   time.Time     `gorm:"column:created_at"`
}

func (roundRow) TableName() string { return "peer_rounds" }

func (r roundRow) domain() Round {
	return Round{ID: r.ID, NetworkID: r.NetworkID, Kind: RoundKind(r.Kind), Number: r.Number, StartsOn: r.StartsOn, EndsOn: r.EndsOn,
		Seed: r.Seed, CreatedAt: r.CreatedAt.UTC()}
}

type groupRow struct {
	ID           int64          `gorm:"column:id;primaryKey;autoIncrement"`
	RoundID      int64          `gorm:"column:round_id"`
	NetworkID    int64          `gorm:"column:network_id"`
	WorkspaceID  string         `gorm:"column:workspace_id"`
	Kind         string         `gorm:"column:kind"`
	Skill        string         `gorm:"column:skill"`
	Shared       string         `gorm:"column:shared"`
	Conversation string         `gorm:"column:conversation"`
	Outcome      string         `gorm:"column:outcome"`
	Asked        int            `gorm:"column:asked"`
	EndedOn      *calendar.Date `gorm:"column:ended_on;type:text"`
	CreatedAt    time.Time      `gorm:"column:created_at"`
}

func (groupRow) TableName() string { return "peer_groups" }

// span is an Interval as stored: JSON, in UTC.
type span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

func encodeSpans(ivs []Interval) (string, error) {
	out := make([]span, len(ivs))
	for i, iv := range ivs {
		out[i] = span{Start: iv.Start.UTC(), End: iv.End.UTC()}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("encode shared spans: %w", err)
	}
	return string(b), nil
}

func (r groupRow) domain(members []GroupMember) (RoundGroup, error) {
	g := RoundGroup{ID: r.ID, RoundID: r.RoundID, NetworkID: r.NetworkID, Kind: GroupKind(r.Kind), Skill: r.Skill,
		Conversation: r.Conversation, Outcome: Outcome(r.Outcome), Asked: r.Asked, Members: members, CreatedAt: r.CreatedAt.UTC()}
	if r.EndedOn != nil {
		g.EndedOn = *r.EndedOn
	}
	var spans []span
	if err := json.Unmarshal([]byte(r.Shared), &spans); err != nil {
		return RoundGroup{}, fmt.Errorf("group %d: shared spans: %w", r.ID, err)
	}
	for _, s := range spans {
		g.Shared = append(g.Shared, Interval{Start: s.Start.UTC(), End: s.End.UTC()})
	}
	return g, nil
}

type memberRow struct {
	GroupID     int64  `gorm:"column:group_id;primaryKey;autoIncrement:false"`
	UserID      string `gorm:"column:user_id;primaryKey"`
	NetworkID   int64  `gorm:"column:network_id"`
	WorkspaceID string `gorm:"column:workspace_id"`
	Role        string `gorm:"column:role"`
}

func (memberRow) TableName() string { return "peer_group_members" }

type unmatchedRow struct {
	RoundID     int64  `gorm:"column:round_id;primaryKey;autoIncrement:false"`
	UserID      string `gorm:"column:user_id;primaryKey"`
	WorkspaceID string `gorm:"column:workspace_id"`
	Reason      string `gorm:"column:reason"`
}

func (unmatchedRow) TableName() string { return "peer_unmatched" }

// network reads one network of the workspace, or ErrNotFound.
func (s *Store) network(ctx context.Context, ws string, id int64) (Network, error) {
	var row networkRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id).Take(&row).Error; err != nil {
		return Network{}, models.Translate(err)
	}
	return row.domain(), nil
}

// cleanUsers is users trimmed, without blanks, sorted and unique.
func cleanUsers(users []string) []string {
	var out []string
	for _, u := range users {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
