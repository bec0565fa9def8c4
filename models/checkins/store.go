package checkins

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// ScheduleKey is the delivery-engine schedule that sends a
// check-in's rounds.
func ScheduleKey(id int64) string { return "checkin:" + strconv.FormatInt(id, 10) }

// Store stores check-ins. Each check-in owns a schedule of the delivery
// engine (ScheduleKey) whose targets are its participants, kept in
// the same transaction as the check-in itself.
type Store struct {
	db        *models.DB
	schedules *models.Schedules
}

// NewStore returns the check-in store.
func NewStore(db *models.DB) *Store { return &Store{db: db, schedules: models.NewSchedules(db)} }

type checkinRow struct {
	ID           int64         `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID  string        `gorm:"column:workspace_id"`
	ChannelID    string        `gorm:"column:channel_id"`
	OwnerID      string        `gorm:"column:owner_id"`
	Name         string        `gorm:"column:name"`
	Cadence      string        `gorm:"column:cadence"`
	Anchor       calendar.Date `gorm:"column:anchor;type:text"`
	Participants string        `gorm:"column:participants"`
	Destination  string        `gorm:"column:destination"`
	RoundMinutes int           `gorm:"column:round_minutes"`
	Reminders    int           `gorm:"column:reminders"`
	Paused       bool          `gorm:"column:paused"`
	CreatedAt    time.Time     `gorm:"column:created_at"`
	UpdatedAt    time.Time     `gorm:"column:updated_at"`
}

func (checkinRow) TableName() string { return "checkins" }

// questionRow is one question of a check-in. Its id is stable: answers
// refer to it, so a row is never changed in a way that changes what its
// answers mean (see saveQuestions). A retired question is no longer asked
// and stays for the rounds that asked it.
type questionRow struct {
	ID          int64  `gorm:"column:id;primaryKey;autoIncrement"`
	CheckinID   int64  `gorm:"column:checkin_id"`
	WorkspaceID string `gorm:"column:workspace_id"`
	Position    int    `gorm:"column:position"`
	Kind        string `gorm:"column:kind"`
	Prompt      string `gorm:"column:prompt"`
	Options     string `gorm:"column:options"`
	Anonymous   bool   `gorm:"column:anonymous"`
	Required    bool   `gorm:"column:required"`
	Retired     bool   `gorm:"column:retired"`
}

func (questionRow) TableName() string { return "checkin_questions" }

func (q questionRow) domain() (Question, error) {
	var opts []string
	if err := json.Unmarshal([]byte(q.Options), &opts); err != nil {
		return Question{}, fmt.Errorf("question %d: options: %w", q.ID, err)
	}
	return Question{ID: q.ID, Kind: QuestionKind(q.Kind), Prompt: q.Prompt, Options: opts, Anonymous: q.Anonymous, Required: q.Required}, nil
}

// sameMeaning reports whether a stored question asks what q asks: the
// same kind, text, options and anonymity. Only then may answers given to
// one be read as answers to the other.
func (q questionRow) sameMeaning(kind, prompt, options string, anonymous bool) bool {
	return q.Kind == kind && q.Prompt == prompt && q.Options == options && q.Anonymous == anonymous
}

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
// Checkin.Validate); an invalid check-in is refused with a *ValidationError
// and nothing is stored.
func (s *Store) Create(ctx context.Context, c Checkin, parseCadence func(string) error) (Checkin, error) {
	if c.WorkspaceID == "" || c.ChannelID == "" || c.OwnerID == "" {
		return Checkin{}, fmt.Errorf("create check-in: %w: a check-in needs a workspace, a channel and an owner", models.ErrInvalid)
	}
	if c.Anchor.IsZero() {
		c.Anchor = calendar.DateOf(s.db.Now())
	}
	if err := c.Validate(parseCadence); err != nil {
		return Checkin{}, fmt.Errorf("create check-in: %w", err)
	}
	var out Checkin
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		now := s.db.Now()
		row := checkinRow{
			WorkspaceID: c.WorkspaceID, ChannelID: c.ChannelID, OwnerID: c.OwnerID, Name: strings.TrimSpace(c.Name),
			Cadence: strings.TrimSpace(c.Cadence), Anchor: c.Anchor, Participants: string(c.Participants),
			Destination: string(c.Destination), RoundMinutes: int(c.RoundLength / time.Minute), Reminders: c.Reminders,
			Paused: c.Paused, CreatedAt: now, UpdatedAt: now,
		}
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		if err := s.saveQuestions(ctx, row.ID, c.WorkspaceID, c.Questions); err != nil {
			return err
		}
		if c.Participants == ParticipantsChosen {
			if err := s.setPeople(ctx, row.ID, c.WorkspaceID, c.People); err != nil {
				return err
			}
		}
		key := ScheduleKey(row.ID)
		if _, err := s.schedules.Put(ctx, models.Schedule{WorkspaceID: c.WorkspaceID, Key: key, Title: row.Name,
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

// saveQuestions makes questions, in order, the check-in's current
// questions. A stored question (current or retired) with the same kind,
// text, options and anonymity keeps its id and takes its new position and
// required flag; any other question is stored anew with a new id; current
// questions not asked any more are retired, keeping their last position.
// So answers already given are never relabelled, re-aggregated or
// revealed by an edit: a changed question is a new question. The ids the
// caller puts in questions are ignored.
func (s *Store) saveQuestions(ctx context.Context, id int64, workspaceID string, questions []Question) error {
	var stored []questionRow
	if err := s.db.Conn(ctx).Where("checkin_id = ?", id).Order("retired, position, id").Find(&stored).Error; err != nil {
		return models.Translate(err)
	}
	taken := make([]bool, len(stored))
	for i, q := range questions {
		opts := []byte("[]")
		if len(q.Options) > 0 {
			var err error
			if opts, err = json.Marshal(q.Options); err != nil {
				return err
			}
		}
		kind, prompt := string(q.Kind), strings.TrimSpace(q.Prompt)
		match := -1
		for j, r := range stored {
			if !taken[j] && r.sameMeaning(kind, prompt, string(opts), q.Anonymous) {
				match = j
				break
			}
		}
		if match < 0 {
			row := questionRow{CheckinID: id, WorkspaceID: workspaceID, Position: i + 1, Kind: kind,
				Prompt: prompt, Options: string(opts), Anonymous: q.Anonymous, Required: q.Required}
			if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
				return models.Translate(err)
			}
			continue
		}
		taken[match] = true
		if err := s.db.Conn(ctx).Model(&questionRow{}).Where("id = ?", stored[match].ID).
			Updates(map[string]any{"position": i + 1, "required": q.Required, "retired": false}).Error; err != nil {
			return models.Translate(err)
		}
	}
	for j, r := range stored {
		if taken[j] || r.Retired {
			continue
		}
		if err := s.db.Conn(ctx).Model(&questionRow{}).Where("id = ?", r.ID).Update("retired", true).Error; err != nil {
			return models.Translate(err)
		}
	}
	return nil
}

// setPeople replaces a check-in's chosen people.
func (s *Store) setPeople(ctx context.Context, id int64, workspaceID string, people []string) error {
	if err := s.db.Conn(ctx).Where("checkin_id = ?", id).Delete(&checkinPersonRow{}).Error; err != nil {
		return models.Translate(err)
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
	return models.Translate(s.db.Conn(ctx).Create(&rows).Error)
}

// Get returns the check-in with its questions and chosen people, or
// ErrNotFound.
func (s *Store) Get(ctx context.Context, workspaceID string, id int64) (Checkin, error) {
	var row checkinRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", workspaceID, id).Take(&row).Error; err != nil {
		return Checkin{}, fmt.Errorf("get check-in %d: %w", id, models.Translate(err))
	}
	list, err := s.complete(ctx, []checkinRow{row})
	if err != nil {
		return Checkin{}, fmt.Errorf("get check-in %d: %w", id, err)
	}
	return list[0], nil
}

// InChannel returns a channel's check-ins, oldest first.
func (s *Store) InChannel(ctx context.Context, workspaceID, channelID string) ([]Checkin, error) {
	var rows []checkinRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND channel_id = ?", workspaceID, channelID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", channelID, models.Translate(err))
	}
	return s.complete(ctx, rows)
}

// complete reads the questions and people of rows and builds check-ins.
func (s *Store) complete(ctx context.Context, rows []checkinRow) ([]Checkin, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var qs []questionRow
	if err := s.db.Conn(ctx).Where("checkin_id IN ? AND retired = ?", ids, false).Order("checkin_id, position, id").Find(&qs).Error; err != nil {
		return nil, models.Translate(err)
	}
	var ps []checkinPersonRow
	if err := s.db.Conn(ctx).Where("checkin_id IN ?", ids).Order("checkin_id, user_id").Find(&ps).Error; err != nil {
		return nil, models.Translate(err)
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
			dq, err := q.domain()
			if err != nil {
				return nil, fmt.Errorf("check-in %d: %w", r.ID, err)
			}
			c.Questions = append(c.Questions, dq)
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

// SetPaused pauses or resumes a check-in for actor (its owner, or an
// admin when admin is set). While paused its rounds are recorded as
// skipped ("paused"), so participants can see why nothing came.
func (s *Store) SetPaused(ctx context.Context, workspaceID string, id int64, paused bool, actor string, admin bool) (Checkin, error) {
	var out Checkin
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		c, err := s.mayChange(ctx, workspaceID, id, actor, admin)
		if err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Model(&checkinRow{}).Where("id = ?", id).
			Updates(map[string]any{"paused": paused, "updated_at": s.db.Now()}).Error; err != nil {
			return models.Translate(err)
		}
		if err := s.schedules.SetPaused(ctx, workspaceID, ScheduleKey(id), paused); err != nil {
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
func (s *Store) Delete(ctx context.Context, workspaceID string, id int64, actor string, admin bool) (Checkin, error) {
	var out Checkin
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		c, err := s.mayChange(ctx, workspaceID, id, actor, admin)
		if err != nil {
			return err
		}
		if err := s.schedules.Delete(ctx, workspaceID, ScheduleKey(id), fmt.Sprintf("removed: the check-in %q was deleted", c.Name)); err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if err := s.db.Conn(ctx).Where("id = ?", id).Delete(&checkinRow{}).Error; err != nil {
			return models.Translate(err)
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
func (s *Store) SetMembers(ctx context.Context, workspaceID string, id int64, users []string, readAt time.Time) (added, removed int, applied bool, err error) {
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		res := s.db.Conn(ctx).Model(&checkinRow{}).
			Where("workspace_id = ? AND id = ? AND (members_read_at IS NULL OR members_read_at < ?)", workspaceID, id, models.DBTime(readAt)).
			Update("members_read_at", models.DBTime(readAt))
		if res.Error != nil {
			return models.Translate(res.Error)
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
func (s *Store) SetParticipants(ctx context.Context, workspaceID string, id int64, users []string) (added, removed int, err error) {
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
		added, removed, err = s.schedules.SetTargets(ctx, workspaceID, ScheduleKey(id), users, s.db.Now())
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("participants of check-in %d: %w", id, err)
	}
	return added, removed, nil
}

// ForPerson returns the check-ins a person owns or is asked (a target of
// the check-in's schedule), ordered by name then id.
func (s *Store) ForPerson(ctx context.Context, workspaceID, userID string) ([]Checkin, error) {
	targets, err := s.schedules.ForRecipient(ctx, workspaceID, userID)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", userID, err)
	}
	var ids []int64
	for _, t := range targets {
		kind, id, _ := strings.Cut(t.Schedule.Key, ":")
		if n, err := strconv.ParseInt(id, 10, 64); kind == "checkin" && err == nil {
			ids = append(ids, n)
		}
	}
	q := s.db.Conn(ctx).Where("workspace_id = ?", workspaceID)
	if len(ids) > 0 {
		q = q.Where("(owner_id = ? OR id IN ?)", userID, ids)
	} else {
		q = q.Where("owner_id = ?", userID)
	}
	var rows []checkinRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", userID, models.Translate(err))
	}
	out, err := s.complete(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %s: %w", userID, err)
	}
	// Sorted here, so both databases agree whatever their collation.
	slices.SortFunc(out, func(a, b Checkin) int { return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// Update changes a check-in for actor (its owner, or an admin when admin
// is set; anyone else gets ErrNotOwner): its name, questions, cadence,
// anchor (kept when c.Anchor is zero), participants mode, chosen people,
// destination, round length and reminders. The channel, owner and paused
// state are not changed here. c is checked as Create checks it (a
// *ValidationError, nothing stored). The schedule follows in the same
// transaction (title, cadence, anchor; its paused state and channel zone
// kept). In chosen mode the schedule's targets become the people; in
// channel mode the caller sets them from the channel's members with
// SetParticipants, and until then the targets stay as they were.
//
// Questions keep their ids only while their meaning is unchanged (see
// saveQuestions): answers already given stay with the exact question they
// were given to, whatever is reordered, reworded or made (not) anonymous.
func (s *Store) Update(ctx context.Context, c Checkin, actor string, admin bool, parseCadence func(string) error) (Checkin, error) {
	if c.WorkspaceID == "" || c.ID == 0 {
		return Checkin{}, fmt.Errorf("update check-in: %w: which check-in? it needs a workspace and an id", models.ErrInvalid)
	}
	var out Checkin
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		old, err := s.mayChange(ctx, c.WorkspaceID, c.ID, actor, admin)
		if err != nil {
			return err
		}
		if c.Anchor.IsZero() {
			c.Anchor = old.Anchor
		}
		if err := c.Validate(parseCadence); err != nil {
			return err
		}
		name, cadence := strings.TrimSpace(c.Name), strings.TrimSpace(c.Cadence)
		if err := s.db.Conn(ctx).Model(&checkinRow{}).Where("id = ?", c.ID).Updates(map[string]any{
			"name": name, "cadence": cadence, "anchor": c.Anchor, "participants": string(c.Participants),
			"destination": string(c.Destination), "round_minutes": int(c.RoundLength / time.Minute),
			"reminders": c.Reminders, "updated_at": s.db.Now(),
		}).Error; err != nil {
			return models.Translate(err)
		}
		if err := s.saveQuestions(ctx, c.ID, c.WorkspaceID, c.Questions); err != nil {
			return err
		}
		var people []string
		if c.Participants == ParticipantsChosen {
			people = c.People
		}
		if err := s.setPeople(ctx, c.ID, c.WorkspaceID, people); err != nil {
			return err
		}
		key := ScheduleKey(c.ID)
		sc, err := s.schedules.Get(ctx, c.WorkspaceID, key)
		switch {
		case errors.Is(err, models.ErrNotFound):
			sc = models.Schedule{WorkspaceID: c.WorkspaceID, Key: key}
		case err != nil:
			return err
		}
		sc.Title, sc.Cadence, sc.Anchor, sc.Paused = name, cadence, c.Anchor, old.Paused
		if _, err := s.schedules.Put(ctx, sc); err != nil {
			return err
		}
		if c.Participants == ParticipantsChosen {
			if _, _, err := s.schedules.SetTargets(ctx, c.WorkspaceID, key, c.People, s.db.Now()); err != nil {
				return err
			}
		}
		out, err = s.Get(ctx, c.WorkspaceID, c.ID)
		return err
	})
	if err != nil {
		return Checkin{}, fmt.Errorf("update check-in %d: %w", c.ID, err)
	}
	return out, nil
}
