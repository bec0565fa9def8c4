package peers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

type sessionRow struct {
	ID          int64         `gorm:"column:id;primaryKey;autoIncrement"`
	GroupID     int64         `gorm:"column:group_id"`
	NetworkID   int64         `gorm:"column:network_id"`
	WorkspaceID string        `gorm:"column:workspace_id"`
	Number      int           `gorm:"column:number"`
	OnDate      calendar.Date `gorm:"column:on_date;type:text"`
	Facilitator string        `gorm:"column:facilitator"`
	PromptID    string        `gorm:"column:prompt_id"`
	Present     string        `gorm:"column:present"`
	CreatedAt   time.Time     `gorm:"column:created_at"`
}

func (sessionRow) TableName() string { return "peer_sessions" }

func (r sessionRow) domain() (Session, error) {
	out := Session{ID: r.ID, GroupID: r.GroupID, NetworkID: r.NetworkID, Number: r.Number, On: r.OnDate, Facilitator: r.Facilitator,
		PromptID: r.PromptID, CreatedAt: r.CreatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Present), &out.Present); err != nil {
		return Session{}, fmt.Errorf("session %d: present: %w", r.ID, err)
	}
	return out, nil
}

type commitmentRow struct {
	ID          int64     `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	NetworkID   int64     `gorm:"column:network_id"`
	GroupID     int64     `gorm:"column:group_id"`
	SessionID   int64     `gorm:"column:session_id"`
	UserID      string    `gorm:"column:user_id"`
	Text        string    `gorm:"column:text"`
	Shared      bool      `gorm:"column:shared"`
	CreatedAt   time.Time `gorm:"column:created_at"`
	UpdatedAt   time.Time `gorm:"column:updated_at"`
}

func (commitmentRow) TableName() string { return "peer_commitments" }

func (r commitmentRow) domain() Commitment {
	return Commitment{ID: r.ID, SessionID: r.SessionID, GroupID: r.GroupID, NetworkID: r.NetworkID, User: r.UserID, Text: r.Text,
		Shared: r.Shared, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// SaveSession stores a session of a circle of the workspace (by
// ss.GroupID, a group of kind circle), once: a second save of the same
// number (another replica, a restart) stores nothing and returns the
// stored session with created false. It refuses, storing nothing, a
// number below 1, no day, and a facilitator or present person who is not
// in the circle.
func (s *Store) SaveSession(ctx context.Context, ws string, ss Session) (Session, bool, error) {
	var out Session
	var created bool
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		g, err := s.Group(ctx, ws, ss.GroupID)
		if err != nil {
			return err
		}
		var ps problems
		if g.Kind != GroupCircle {
			ps.add(FieldSession, 0, "Only circles have sessions.")
		}
		if ss.Number < 1 {
			ps.add(FieldSession, 0, "Sessions are numbered from 1.")
		}
		if ss.On.IsZero() || ss.On.AddDays(0) != ss.On {
			ps.add(FieldSession, 0, "A session needs its day.")
		}
		if ss.Facilitator != "" && !g.Has(ss.Facilitator) {
			ps.add(FieldSession, 0, "The facilitator is one of the circle.")
		}
		for _, p := range ss.Present {
			if !g.Has(p) {
				ps.add(FieldSession, 0, "%s is not in the circle.", p)
			}
		}
		if err := ps.err(); err != nil {
			return err
		}
		present, err := json.Marshal(cleanUsers(ss.Present))
		if err != nil {
			return fmt.Errorf("encode present: %w", err)
		}
		if ss.Present == nil {
			present = []byte("[]")
		}
		row := sessionRow{GroupID: g.ID, NetworkID: g.NetworkID, WorkspaceID: ws, Number: ss.Number, OnDate: ss.On,
			Facilitator: ss.Facilitator, PromptID: strings.TrimSpace(ss.PromptID), Present: string(present), CreatedAt: s.db.Now()}
		res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return models.Translate(res.Error)
		}
		if res.RowsAffected == 0 {
			if err := s.db.Conn(ctx).Where("workspace_id = ? AND group_id = ? AND number = ?", ws, g.ID, ss.Number).Take(&row).Error; err != nil {
				return models.Translate(err)
			}
		} else {
			created = true
		}
		out, err = row.domain()
		return err
	})
	if err != nil {
		return Session{}, false, fmt.Errorf("save session %d of circle %d: %w", ss.Number, ss.GroupID, err)
	}
	return out, created, nil
}

// Sessions returns a circle's sessions, by number.
func (s *Store) Sessions(ctx context.Context, ws string, groupID int64) ([]Session, error) {
	var rows []sessionRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND group_id = ?", ws, groupID).Order("number").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sessions of circle %d: %w", groupID, models.Translate(err))
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		ss, err := r.domain()
		if err != nil {
			return nil, err
		}
		out[i] = ss
	}
	return out, nil
}

// UsedPrompts returns the prompts a circle's sessions used, in session
// order (with repeats, without blanks).
func (s *Store) UsedPrompts(ctx context.Context, ws string, groupID int64) ([]string, error) {
	ss, err := s.Sessions(ctx, ws, groupID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, x := range ss {
		if x.PromptID != "" {
			out = append(out, x.PromptID)
		}
	}
	return out, nil
}

// LastFacilitated returns, for each member who facilitated a session of
// a circle, the number of the last session they facilitated.
func (s *Store) LastFacilitated(ctx context.Context, ws string, groupID int64) (map[string]int, error) {
	ss, err := s.Sessions(ctx, ws, groupID)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, x := range ss {
		if x.Facilitator != "" {
			out[x.Facilitator] = max(out[x.Facilitator], x.Number)
		}
	}
	return out, nil
}

// SetCommitment stores user's commitment at a session of the workspace,
// replacing theirs there. user must be in the session's circle (else
// ErrNotAllowed); the text is 1 to MaxCommitmentLen characters (else a
// *ValidationError, storing nothing).
func (s *Store) SetCommitment(ctx context.Context, ws string, sessionID int64, user, text string, shared bool) (Commitment, error) {
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return Commitment{}, fmt.Errorf("set commitment: %w", refuse(FieldText, "Write what you commit to."))
	case n > MaxCommitmentLen:
		return Commitment{}, fmt.Errorf("set commitment: %w", refuse(FieldText, "That is %d characters; keep it to %d.", n, MaxCommitmentLen))
	}
	var out Commitment
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var ss sessionRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, sessionID).Take(&ss).Error; err != nil {
			return models.Translate(err)
		}
		g, err := s.Group(ctx, ws, ss.GroupID)
		if err != nil {
			return err
		}
		if !g.Has(user) {
			return ErrNotAllowed
		}
		now := s.db.Now()
		row := commitmentRow{WorkspaceID: ws, NetworkID: ss.NetworkID, GroupID: ss.GroupID, SessionID: sessionID, UserID: user,
			Text: text, Shared: shared, CreatedAt: now, UpdatedAt: now}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "session_id"}, {Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"text", "shared", "updated_at"}),
		}).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		if err := s.db.Conn(ctx).Where("session_id = ? AND user_id = ?", sessionID, user).Take(&row).Error; err != nil {
			return models.Translate(err)
		}
		out = row.domain()
		return nil
	})
	if err != nil {
		return Commitment{}, fmt.Errorf("set %s's commitment at session %d: %w", user, sessionID, err)
	}
	return out, nil
}

// Commitment returns user's own commitment at a session of the
// workspace; false when they made none. The caller passes the person
// asking: nobody reads another's.
func (s *Store) Commitment(ctx context.Context, ws string, sessionID int64, user string) (Commitment, bool, error) {
	return s.commitment(ctx, s.db.Conn(ctx).Where("workspace_id = ? AND session_id = ? AND user_id = ?", ws, sessionID, user))
}

// LatestCommitment returns user's own commitment at the latest session
// of a circle of the workspace they made one at; false when none.
func (s *Store) LatestCommitment(ctx context.Context, ws, user string, groupID int64) (Commitment, bool, error) {
	sub := s.db.Conn(ctx).Model(&sessionRow{}).Select("MAX(number)").Where("workspace_id = ? AND group_id = ? AND id IN (?)", ws, groupID,
		s.db.Conn(ctx).Model(&commitmentRow{}).Select("session_id").Where("workspace_id = ? AND user_id = ? AND group_id = ?", ws, user, groupID))
	ids := s.db.Conn(ctx).Model(&sessionRow{}).Select("id").Where("workspace_id = ? AND group_id = ? AND number = (?)", ws, groupID, sub)
	return s.commitment(ctx, s.db.Conn(ctx).Where("workspace_id = ? AND user_id = ? AND session_id IN (?)", ws, user, ids))
}

func (s *Store) commitment(_ context.Context, q *gorm.DB) (Commitment, bool, error) {
	var rows []commitmentRow
	if err := q.Limit(1).Find(&rows).Error; err != nil {
		return Commitment{}, false, fmt.Errorf("commitment: %w", models.Translate(err))
	}
	if len(rows) == 0 {
		return Commitment{}, false, nil
	}
	return rows[0].domain(), true, nil
}

// Session returns one session of the workspace, or ErrNotFound.
func (s *Store) Session(ctx context.Context, ws string, id int64) (Session, error) {
	var row sessionRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id).Take(&row).Error; err != nil {
		return Session{}, fmt.Errorf("session %d: %w", id, models.Translate(err))
	}
	return row.domain()
}
