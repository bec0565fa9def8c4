package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CheckinScheduleKey is the delivery-engine schedule that sends a
// check-in's rounds.
func CheckinScheduleKey(id int64) string { return "checkin:" + strconv.FormatInt(id, 10) }

// Checkins stores check-ins. Each check-in owns a schedule of the delivery
// engine (CheckinScheduleKey) whose targets are its participants, kept in
// the same transaction as the check-in itself.
type Checkins struct {
	db        *DB
	schedules *Schedules
}

// NewCheckins returns the check-in store.
func NewCheckins(db *DB) *Checkins { return &Checkins{db: db, schedules: NewSchedules(db)} }

type checkinRow struct {
	ID           int64     `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID  string    `gorm:"column:workspace_id"`
	ChannelID    string    `gorm:"column:channel_id"`
	OwnerID      string    `gorm:"column:owner_id"`
	Name         string    `gorm:"column:name"`
	Cadence      string    `gorm:"column:cadence"`
	Anchor       Date      `gorm:"column:anchor;type:text"`
	Participants string    `gorm:"column:participants"`
	Destination  string    `gorm:"column:destination"`
	RoundMinutes int       `gorm:"column:round_minutes"`
	Reminders    int       `gorm:"column:reminders"`
	Paused       bool      `gorm:"column:paused"`
	CreatedAt    time.Time `gorm:"column:created_at"`
	UpdatedAt    time.Time `gorm:"column:updated_at"`
}

func (checkinRow) TableName() string { return "checkins" }

type questionRow struct {
	CheckinID   int64  `gorm:"column:checkin_id;primaryKey"`
	WorkspaceID string `gorm:"column:workspace_id"`
	Position    int    `gorm:"column:position;primaryKey"`
	Kind        string `gorm:"column:kind"`
	Prompt      string `gorm:"column:prompt"`
	Options     string `gorm:"column:options"`
	Anonymous   bool   `gorm:"column:anonymous"`
	Required    bool   `gorm:"column:required"`
}

func (questionRow) TableName() string { return "checkin_questions" }

type checkinPersonRow struct {
	CheckinID   int64  `gorm:"column:checkin_id;primaryKey"`
	WorkspaceID string `gorm:"column:workspace_id"`
	UserID      string `gorm:"column:user_id;primaryKey"`
}

func (checkinPersonRow) TableName() string { return "checkin_people" }

// Create stores a new check-in with its questions and chosen people, and
// registers its schedule (participants in chosen mode become its targets
// at once; in channel mode the caller sets them from the channel's
// members with SetParticipants). parseCadence checks the cadence (see
// Checkin.Validate); an invalid check-in is refused with a *CheckinError
// and nothing is stored.
func (s *Checkins) Create(ctx context.Context, c Checkin, parseCadence func(string) error) (Checkin, error) {
	if c.WorkspaceID == "" || c.ChannelID == "" || c.OwnerID == "" {
		return Checkin{}, fmt.Errorf("create check-in: %w: a check-in needs a workspace, a channel and an owner", ErrInvalid)
	}
	if c.Anchor.IsZero() {
		c.Anchor = DateOf(s.db.now())
	}
	if err := c.Validate(parseCadence); err != nil {
		return Checkin{}, fmt.Errorf("create check-in: %w", err)
	}
	var out Checkin
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		now := s.db.now()
		row := checkinRow{
			WorkspaceID: c.WorkspaceID, ChannelID: c.ChannelID, OwnerID: c.OwnerID, Name: strings.TrimSpace(c.Name),
			Cadence: strings.TrimSpace(c.Cadence), Anchor: c.Anchor, Participants: string(c.Participants),
			Destination: string(c.Destination), RoundMinutes: int(c.RoundLength / time.Minute), Reminders: c.Reminders,
			Paused: c.Paused, CreatedAt: now, UpdatedAt: now,
		}
		if err := s.db.conn(ctx).Create(&row).Error; err != nil {
			return translate(err)
		}
		if err := s.insertQuestions(ctx, row.ID, c.WorkspaceID, c.Questions); err != nil {
			return err
		}
		if c.Participants == ParticipantsChosen {
			if err := s.setPeople(ctx, row.ID, c.WorkspaceID, c.People); err != nil {
				return err
			}
		}
		key := CheckinScheduleKey(row.ID)
		if _, err := s.schedules.Put(ctx, Schedule{WorkspaceID: c.WorkspaceID, Key: key, Title: row.Name,
			Cadence: row.Cadence, Anchor: c.Anchor, Paused: c.Paused}); err != nil {
			return err
		}
		if c.Participants == ParticipantsChosen {
			if _, _, err := s.schedules.SetTargets(ctx, c.WorkspaceID, key, c.People, now); err != nil {
				return err
			}
		}
		var err error
		out, err = s.Get(ctx, c.WorkspaceID, row.ID)
		return err
	})
	if err != nil {
		return Checkin{}, fmt.Errorf("create check-in %q: %w", c.Name, err)
	}
	return out, nil
}

// insertQuestions stores a check-in's questions, by position from 1.
func (s *Checkins) insertQuestions(ctx context.Context, id int64, workspaceID string, questions []Question) error {
	qs := make([]questionRow, len(questions))
	for i, q := range questions {
		opts, err := json.Marshal(q.Options)
		if err != nil {
			return err
		}
		if q.Options == nil {
			opts = []byte("[]")
		}
		qs[i] = questionRow{CheckinID: id, WorkspaceID: workspaceID, Position: i + 1, Kind: string(q.Kind),
			Prompt: strings.TrimSpace(q.Prompt), Options: string(opts), Anonymous: q.Anonymous, Required: q.Required}
	}
	return translate(s.db.conn(ctx).Create(&qs).Error)
}

// setPeople replaces a check-in's chosen people.
func (s *Checkins) setPeople(ctx context.Context, id int64, workspaceID string, people []string) error {
	if err := s.db.conn(ctx).Where("checkin_id = ?", id).Delete(&checkinPersonRow{}).Error; err != nil {
		return translate(err)
	}
	seen := map[string]bool{}
	var rows []checkinPersonRow
	for _, u := range people {
		if u = strings.TrimSpace(u); u != "" && !seen[u] {
			seen[u] = true
			rows = append(rows, checkinPersonRow{CheckinID: id, WorkspaceID: workspaceID, UserID: u})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return translate(s.db.conn(ctx).Create(&rows).Error)
}

// Get returns the check-in with its questions and chosen people, or
// ErrNotFound.
func (s *Checkins) Get(ctx context.Context, workspaceID string, id int64) (Checkin, error) {
	var row checkinRow
	if err := s.db.conn(ctx).Where("workspace_id = ? AND id = ?", workspaceID, id).Take(&row).Error; err != nil {
		return Checkin{}, fmt.Errorf("get check-in %d: %w", id, translate(err))
	}
	list, err := s.complete(ctx, []checkinRow{row})
	if err != nil {
		return Checkin{}, fmt.Errorf("get check-in %d: %w", id, err)
	}
	return list[0], nil
}

// InChannel returns a channel's check-ins, oldest first.
func (s *Checkins) InChannel(ctx context.Context, workspaceID, channelID string) ([]Checkin, error) {
	var rows []checkinRow
	if err := s.db.conn(ctx).Where("workspace_id = ? AND channel_id = ?", workspaceID, channelID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", channelID, translate(err))
	}
	return s.complete(ctx, rows)
}

// complete reads the questions and people of rows and builds check-ins.
func (s *Checkins) complete(ctx context.Context, rows []checkinRow) ([]Checkin, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var qs []questionRow
	if err := s.db.conn(ctx).Where("checkin_id IN ?", ids).Order("checkin_id, position").Find(&qs).Error; err != nil {
		return nil, translate(err)
	}
	var ps []checkinPersonRow
	if err := s.db.conn(ctx).Where("checkin_id IN ?", ids).Order("checkin_id, user_id").Find(&ps).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]Checkin, len(rows))
	for i, r := range rows {
		c := Checkin{
			ID: r.ID, WorkspaceID: r.WorkspaceID, ChannelID: r.ChannelID, OwnerID: r.OwnerID, Name: r.Name,
			Cadence: r.Cadence, Anchor: r.Anchor, Participants: ParticipantMode(r.Participants),
			Destination: Destination(r.Destination), RoundLength: time.Duration(r.RoundMinutes) * time.Minute,
			Reminders: r.Reminders, Paused: r.Paused, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		}
		for _, q := range qs {
			if q.CheckinID != r.ID {
				continue
			}
			var opts []string
			if err := json.Unmarshal([]byte(q.Options), &opts); err != nil {
				return nil, fmt.Errorf("question %d of check-in %d: options: %w", q.Position, r.ID, err)
			}
			c.Questions = append(c.Questions, Question{ID: int64(q.Position), Kind: QuestionKind(q.Kind), Prompt: q.Prompt,
				Options: opts, Anonymous: q.Anonymous, Required: q.Required})
		}
		for _, p := range ps {
			if p.CheckinID == r.ID {
				c.People = append(c.People, p.UserID)
			}
		}
		out[i] = c
	}
	return out, nil
}

// ErrNotOwner means a person who is neither a check-in's owner nor a
// workspace admin tried to change it.
var ErrNotOwner = errors.New("only the check-in's owner or a workspace admin can change it")

// mayChange loads a check-in for a change by actor, refusing anyone but
// its owner or an admin with ErrNotOwner.
func (s *Checkins) mayChange(ctx context.Context, workspaceID string, id int64, actor string, admin bool) (Checkin, error) {
	c, err := s.Get(ctx, workspaceID, id)
	if err != nil {
		return Checkin{}, err
	}
	if c.OwnerID != actor && !admin {
		return Checkin{}, ErrNotOwner
	}
	return c, nil
}

// SetPaused pauses or resumes a check-in for actor (its owner, or an
// admin when admin is set). While paused its rounds are recorded as
// skipped ("paused"), so participants can see why nothing came.
func (s *Checkins) SetPaused(ctx context.Context, workspaceID string, id int64, paused bool, actor string, admin bool) (Checkin, error) {
	var out Checkin
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		c, err := s.mayChange(ctx, workspaceID, id, actor, admin)
		if err != nil {
			return err
		}
		if err := s.db.conn(ctx).Model(&checkinRow{}).Where("id = ?", id).
			Updates(map[string]any{"paused": paused, "updated_at": s.db.now()}).Error; err != nil {
			return translate(err)
		}
		if err := s.schedules.SetPaused(ctx, workspaceID, CheckinScheduleKey(id), paused); err != nil {
			return err
		}
		c.Paused = paused
		out = c
		return nil
	})
	if err != nil {
		return Checkin{}, fmt.Errorf("pause check-in %d: %w", id, err)
	}
	return out, nil
}

// Delete removes a check-in for actor (its owner, or an admin when admin
// is set), with its schedule: nothing more of it is sent, and what was
// still waiting is recorded as skipped.
func (s *Checkins) Delete(ctx context.Context, workspaceID string, id int64, actor string, admin bool) (Checkin, error) {
	var out Checkin
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		c, err := s.mayChange(ctx, workspaceID, id, actor, admin)
		if err != nil {
			return err
		}
		if err := s.schedules.Delete(ctx, workspaceID, CheckinScheduleKey(id), fmt.Sprintf("removed: the check-in %q was deleted", c.Name)); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := s.db.conn(ctx).Where("id = ?", id).Delete(&checkinRow{}).Error; err != nil {
			return translate(err)
		}
		out = c
		return nil
	})
	if err != nil {
		return Checkin{}, fmt.Errorf("delete check-in %d: %w", id, err)
	}
	return out, nil
}

// SetMembers makes a channel-mode check-in ask the channel's members as
// read from Slack at readAt, unless a list read later was applied already:
// two replicas handling a join and a leave at once each read the list,
// and the older read must not be the one that stays. It reports whether
// the list was applied.
func (s *Checkins) SetMembers(ctx context.Context, workspaceID string, id int64, users []string, readAt time.Time) (added, removed int, applied bool, err error) {
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		res := s.db.conn(ctx).Model(&checkinRow{}).
			Where("workspace_id = ? AND id = ? AND (members_read_at IS NULL OR members_read_at < ?)", workspaceID, id, dbTime(readAt)).
			Update("members_read_at", dbTime(readAt))
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		applied = true
		added, removed, err = s.SetParticipants(ctx, workspaceID, id, users)
		return err
	})
	if err != nil {
		return 0, 0, false, fmt.Errorf("members of check-in %d: %w", id, err)
	}
	return added, removed, applied, nil
}

// SetParticipants makes users the people a check-in asks: the channel's
// members in channel mode (kept in sync as people join and leave), its
// chosen people otherwise. It returns how many were added and removed.
func (s *Checkins) SetParticipants(ctx context.Context, workspaceID string, id int64, users []string) (added, removed int, err error) {
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		c, err := s.Get(ctx, workspaceID, id)
		if err != nil {
			return err
		}
		users = slices.DeleteFunc(slices.Clone(users), func(u string) bool { return strings.TrimSpace(u) == "" })
		if c.Participants == ParticipantsChosen {
			if err := s.setPeople(ctx, id, workspaceID, users); err != nil {
				return err
			}
		}
		added, removed, err = s.schedules.SetTargets(ctx, workspaceID, CheckinScheduleKey(id), users, s.db.now())
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("participants of check-in %d: %w", id, err)
	}
	return added, removed, nil
}
