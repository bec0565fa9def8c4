package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // zone names are validated the same way on every host

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models/calendar"
)

// People stores the members of each workspace, the boundaries they set and
// their time off.
type People struct {
	db *DB
}

// NewPeople returns the people store.
func NewPeople(db *DB) *People { return &People{db: db} }

type personRow struct {
	WorkspaceID      string     `gorm:"column:workspace_id;primaryKey"`
	UserID           string     `gorm:"column:user_id;primaryKey"`
	Name             string     `gorm:"column:name"`
	SlackTZ          string     `gorm:"column:slack_tz"`
	TZOverride       string     `gorm:"column:tz_override"`
	Days             *int       `gorm:"column:days"`
	StartMin         *int       `gorm:"column:start_min"`
	EndMin           *int       `gorm:"column:end_min"`
	HolidayRegion    string     `gorm:"column:holiday_region"`
	IsAdmin          bool       `gorm:"column:is_admin"`
	StatusText       string     `gorm:"column:status_text"`
	StatusEmoji      string     `gorm:"column:status_emoji"`
	StatusExpiration *time.Time `gorm:"column:status_expiration"`
	DailyBudget      *int       `gorm:"column:daily_budget"`
	DMChannel        string     `gorm:"column:dm_channel"`
	AvatarURL        string     `gorm:"column:avatar_url"`
	CreatedAt        time.Time  `gorm:"column:created_at"`
	UpdatedAt        time.Time  `gorm:"column:updated_at"`
}

func (personRow) TableName() string { return "people" }

func (r personRow) domain() Person {
	p := Person{
		WorkspaceID:   r.WorkspaceID,
		UserID:        r.UserID,
		Name:          r.Name,
		SlackTZ:       r.SlackTZ,
		TZOverride:    r.TZOverride,
		HolidayRegion: r.HolidayRegion,
		IsAdmin:       r.IsAdmin,
		Status:        calendar.Status{Text: r.StatusText, Emoji: r.StatusEmoji},
		DMChannel:     r.DMChannel,
		AvatarURL:     r.AvatarURL,
		CreatedAt:     r.CreatedAt.UTC(),
		UpdatedAt:     r.UpdatedAt.UTC(),
	}
	if r.Days != nil && r.StartMin != nil && r.EndMin != nil {
		p.Hours = &calendar.WorkingHours{Days: calendar.Weekdays(*r.Days), Start: calendar.TimeOfDay(*r.StartMin), End: calendar.TimeOfDay(*r.EndMin)}
	}
	if r.StatusExpiration != nil {
		p.Status.Expiration = r.StatusExpiration.UTC()
	}
	if r.DailyBudget != nil {
		p.DailyBudget = *r.DailyBudget
	}
	return p
}

func personRowFrom(p Person) personRow {
	r := personRow{
		WorkspaceID:   p.WorkspaceID,
		UserID:        p.UserID,
		Name:          p.Name,
		SlackTZ:       p.SlackTZ,
		TZOverride:    p.TZOverride,
		HolidayRegion: p.HolidayRegion,
		IsAdmin:       p.IsAdmin,
		StatusText:    p.Status.Text,
		StatusEmoji:   p.Status.Emoji,
		DMChannel:     p.DMChannel,
		AvatarURL:     p.AvatarURL,
		CreatedAt:     p.CreatedAt,
		UpdatedAt:     p.UpdatedAt,
	}
	if h := p.Hours; h != nil {
		days, start, end := int(h.Days), int(h.Start), int(h.End)
		r.Days, r.StartMin, r.EndMin = &days, &start, &end
	}
	if !p.Status.Expiration.IsZero() {
		t := p.Status.Expiration.UTC().Truncate(time.Microsecond)
		r.StatusExpiration = &t
	}
	if p.DailyBudget > 0 {
		b := p.DailyBudget
		r.DailyBudget = &b
	}
	return r
}

// personKey is the people table's primary key, for ON CONFLICT.
func personKey() []clause.Column {
	return []clause.Column{{Name: "workspace_id"}, {Name: "user_id"}}
}

// Get returns one person, or ErrNotFound.
func (s *People) Get(ctx context.Context, workspaceID, userID string) (Person, error) {
	var row personRow
	err := s.db.Conn(ctx).Where("workspace_id = ? AND user_id = ?", workspaceID, userID).Take(&row).Error
	if err != nil {
		return Person{}, fmt.Errorf("get person %s/%s: %w", workspaceID, userID, Translate(err))
	}
	return row.domain(), nil
}

// List returns the people of a workspace, ordered by user id.
func (s *People) List(ctx context.Context, workspaceID string) ([]Person, error) {
	var rows []personRow
	if err := s.db.Conn(ctx).Where("workspace_id = ?", workspaceID).Order("user_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list people %s: %w", workspaceID, Translate(err))
	}
	out := make([]Person, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// SyncProfile records what Slack says about a person (Name, SlackTZ,
// IsAdmin, Status, AvatarURL), creating the person if new. It never touches the
// choices the person made (TZOverride, Hours, HolidayRegion). A zone name
// the tz database does not know is stored as "" (the person then counts as
// UTC until they set a zone). It returns the person as stored.
func (s *People) SyncProfile(ctx context.Context, p Person) (Person, error) {
	if err := checkPersonKey(p.WorkspaceID, p.UserID); err != nil {
		return Person{}, fmt.Errorf("sync profile: %w", err)
	}
	if p.SlackTZ != "" && !knownZone(p.SlackTZ) {
		s.db.log.WarnContext(ctx, "unknown slack time zone ignored", "workspace", p.WorkspaceID, "user", p.UserID, "tz", p.SlackTZ)
		p.SlackTZ = ""
	}
	row := personRowFrom(Person{
		WorkspaceID: p.WorkspaceID,
		UserID:      p.UserID,
		Name:        p.Name,
		SlackTZ:     p.SlackTZ,
		IsAdmin:     p.IsAdmin,
		Status:      p.Status,
		AvatarURL:   avatarURL(p.AvatarURL),
	})
	var out Person
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.upsert(ctx, row, "name", "slack_tz", "is_admin", "status_text", "status_emoji", "status_expiration", "avatar_url"); err != nil {
			return err
		}
		if err := touchTargets(ctx, s.db, p.WorkspaceID, p.UserID); err != nil {
			return err
		}
		var err error
		out, err = s.Get(ctx, p.WorkspaceID, p.UserID)
		return err
	})
	if err != nil {
		return Person{}, fmt.Errorf("sync profile %s/%s: %w", p.WorkspaceID, p.UserID, err)
	}
	return out, nil
}

// SetTZOverride sets the zone a person chose, which wins over Slack's; ""
// follows Slack again. The zone must be an IANA name ("Europe/Paris").
func (s *People) SetTZOverride(ctx context.Context, workspaceID, userID, tz string) error {
	tz = strings.TrimSpace(tz)
	if tz != "" && !knownZone(tz) {
		return fmt.Errorf("set time zone: %w: %q is not a time zone name like Europe/Paris or America/New_York", ErrInvalid, tz)
	}
	row := personRow{WorkspaceID: workspaceID, UserID: userID, TZOverride: tz}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.upsertChecked(ctx, row, "tz_override"); err != nil {
			return err
		}
		return touchTargets(ctx, s.db, workspaceID, userID)
	})
	if err != nil {
		return fmt.Errorf("set time zone %s/%s: %w", workspaceID, userID, err)
	}
	return nil
}

// SetDailyBudget sets the most proactive DMs a person wants per local day,
// from 1 to MaxDailyBudget; 0 follows the workspace's default again. A
// number above the workspace's default is stored but has no effect: a
// person can lower their budget, not raise it.
func (s *People) SetDailyBudget(ctx context.Context, workspaceID, userID string, n int) error {
	if n < 0 || n > MaxDailyBudget {
		return fmt.Errorf("set daily budget: %w: it must be between 1 and %d, got %d", ErrInvalid, MaxDailyBudget, n)
	}
	if err := checkPersonKey(workspaceID, userID); err != nil {
		return fmt.Errorf("set daily budget: %w", err)
	}
	var v *int
	if n > 0 {
		v = &n
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.ensure(ctx, workspaceID, userID); err != nil {
			return err
		}
		return Translate(s.db.Conn(ctx).Model(&personRow{}).
			Where("workspace_id = ? AND user_id = ?", workspaceID, userID).
			Updates(map[string]any{"daily_budget": v, "updated_at": s.db.Now()}).Error)
	})
	if err != nil {
		return fmt.Errorf("set daily budget %s/%s: %w", workspaceID, userID, err)
	}
	return nil
}

// SetDMChannel records the id of the person's DM with Trellis, which
// Slack returns with the first message sent there.
func (s *People) SetDMChannel(ctx context.Context, workspaceID, userID, channel string) error {
	err := s.db.Conn(ctx).Model(&personRow{}).
		Where("workspace_id = ? AND user_id = ? AND dm_channel <> ?", workspaceID, userID, channel).
		Update("dm_channel", channel).Error
	if err != nil {
		return fmt.Errorf("set dm channel %s/%s: %w", workspaceID, userID, Translate(err))
	}
	return nil
}

// SetHours sets a person's working hours; nil follows the workspace
// default again.
func (s *People) SetHours(ctx context.Context, workspaceID, userID string, h *calendar.WorkingHours) error {
	if h != nil {
		if err := h.Validate(); err != nil {
			return fmt.Errorf("set hours: %w", err)
		}
	}
	row := personRowFrom(Person{WorkspaceID: workspaceID, UserID: userID, Hours: h})
	if err := s.upsertChecked(ctx, row, "days", "start_min", "end_min"); err != nil {
		return fmt.Errorf("set hours %s/%s: %w", workspaceID, userID, err)
	}
	return nil
}

// SetHolidayRegion sets the region whose public holidays apply to a person:
// a code from the holidays package ("DE-BY"), "none", or "" for the
// workspace's. The caller checks that the code exists.
func (s *People) SetHolidayRegion(ctx context.Context, workspaceID, userID, region string) error {
	row := personRow{WorkspaceID: workspaceID, UserID: userID, HolidayRegion: normalizeRegion(region)}
	if err := s.upsertChecked(ctx, row, "holiday_region"); err != nil {
		return fmt.Errorf("set holiday region %s/%s: %w", workspaceID, userID, err)
	}
	return nil
}

// upsertChecked checks the key, then upserts.
func (s *People) upsertChecked(ctx context.Context, row personRow, cols ...string) error {
	if err := checkPersonKey(row.WorkspaceID, row.UserID); err != nil {
		return err
	}
	return s.upsert(ctx, row, cols...)
}

// upsert inserts row, or, if the person exists, updates only cols (and
// updated_at). A person may run a command before Trellis saw their profile.
func (s *People) upsert(ctx context.Context, row personRow, cols ...string) error {
	now := s.db.Now()
	row.CreatedAt, row.UpdatedAt = now, now
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   personKey(),
		DoUpdates: clause.AssignmentColumns(append(cols, "updated_at")),
	}).Create(&row).Error
	return Translate(err)
}

// ensure creates an empty person row if there is none.
func (s *People) ensure(ctx context.Context, workspaceID, userID string) error {
	now := s.db.Now()
	row := personRow{WorkspaceID: workspaceID, UserID: userID, CreatedAt: now, UpdatedAt: now}
	return Translate(s.db.Conn(ctx).Clauses(clause.OnConflict{Columns: personKey(), DoNothing: true}).Create(&row).Error)
}

// DeleteAll erases everything stored about a person: their profile,
// settings and time off. Deleting someone unknown is not an error.
func (s *People) DeleteAll(ctx context.Context, workspaceID, userID string) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		g := s.db.Conn(ctx)
		if err := g.Where("workspace_id = ? AND user_id = ?", workspaceID, userID).Delete(&awayRow{}).Error; err != nil {
			return Translate(err)
		}
		return Translate(s.db.Conn(ctx).Where("workspace_id = ? AND user_id = ?", workspaceID, userID).Delete(&personRow{}).Error)
	})
	if err != nil {
		return fmt.Errorf("delete person %s/%s: %w", workspaceID, userID, err)
	}
	return nil
}

func checkPersonKey(workspaceID, userID string) error {
	if workspaceID == "" || userID == "" {
		return fmt.Errorf("%w: a person needs a workspace id and a user id", ErrInvalid)
	}
	return nil
}

// knownZone reports whether name is an IANA zone. "Local" is refused: it
// would mean the server's zone, which is nobody's.
func knownZone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// normalizeRegion upper-cases a region code; "none" stays lower case.
func normalizeRegion(region string) string {
	region = strings.TrimSpace(region)
	if strings.EqualFold(region, "none") {
		return "none"
	}
	return strings.ToUpper(region)
}

// maxAvatarURL bounds a stored profile picture's URL.
const maxAvatarURL = 500

// avatarURL is u when it is an https URL of a sane length, else "": it is
// only ever given to Slack as a message's icon.
func avatarURL(u string) string {
	u = strings.TrimSpace(u)
	if !strings.HasPrefix(u, "https://") || len(u) > maxAvatarURL || strings.ContainsAny(u, " \t\r\n") {
		return ""
	}
	return u
}
