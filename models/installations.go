package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Installation is Trellis installed in one Slack workspace.
type Installation struct {
	WorkspaceID  string // Slack team id
	EnterpriseID string
	AppID        string
	BotUserID    string
	// BotToken is the xoxb- token in clear; stores encrypt it at rest.
	BotToken    string
	InstalledAt time.Time
	Active      bool
}

// Installations stores where Trellis is installed and the bot token for
// each workspace, encrypted at rest.
type Installations struct {
	db     *DB
	cipher *Cipher
}

// NewInstallations returns the installation store; c seals the tokens.
func NewInstallations(db *DB, c *Cipher) *Installations {
	return &Installations{db: db, cipher: c}
}

type installationRow struct {
	WorkspaceID   string     `gorm:"column:workspace_id;primaryKey"`
	EnterpriseID  string     `gorm:"column:enterprise_id"`
	AppID         string     `gorm:"column:app_id"`
	BotUserID     string     `gorm:"column:bot_user_id"`
	BotTokenEnc   []byte     `gorm:"column:bot_token_enc"`
	InstalledAt   time.Time  `gorm:"column:installed_at"`
	UninstalledAt *time.Time `gorm:"column:uninstalled_at"`
	Active        bool       `gorm:"column:active"`
}

func (installationRow) TableName() string { return "installations" }

// domain converts the row; the token is filled in by the caller, which
// decrypts it.
func (r installationRow) domain() Installation {
	return Installation{
		WorkspaceID:  r.WorkspaceID,
		EnterpriseID: r.EnterpriseID,
		AppID:        r.AppID,
		BotUserID:    r.BotUserID,
		InstalledAt:  r.InstalledAt.UTC(),
		Active:       r.Active,
	}
}

// installationRowFrom converts in, with the token already sealed.
func installationRowFrom(in Installation, sealed []byte) installationRow {
	return installationRow{
		WorkspaceID:  in.WorkspaceID,
		EnterpriseID: in.EnterpriseID,
		AppID:        in.AppID,
		BotUserID:    in.BotUserID,
		BotTokenEnc:  sealed,
		InstalledAt:  in.InstalledAt.UTC().Truncate(time.Microsecond),
		Active:       true,
	}
}

// Save records an installation, replacing any earlier one for the same
// workspace: a re-install brings a new token and reactivates it. A zero
// InstalledAt means now.
func (s *Installations) Save(ctx context.Context, in Installation) error {
	if in.WorkspaceID == "" {
		return fmt.Errorf("save installation: %w: no workspace id", ErrInvalid)
	}
	if in.BotToken == "" {
		return fmt.Errorf("save installation %s: %w: no bot token", in.WorkspaceID, ErrInvalid)
	}
	sealed, err := s.cipher.Seal([]byte(in.BotToken), []byte(in.WorkspaceID))
	if err != nil {
		return fmt.Errorf("save installation %s: %w", in.WorkspaceID, err)
	}
	if in.InstalledAt.IsZero() {
		in.InstalledAt = s.db.Now()
	}
	row := installationRowFrom(in, sealed)
	err = s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "workspace_id"}},
		DoUpdates: clause.AssignmentColumns([]string{
			"enterprise_id", "app_id", "bot_user_id", "bot_token_enc", "installed_at", "uninstalled_at", "active",
		}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("save installation %s: %w", in.WorkspaceID, Translate(err))
	}
	return nil
}

// Get returns the active installation of a workspace with its token in
// clear, or ErrNotFound if Trellis is not (or no longer) installed there.
func (s *Installations) Get(ctx context.Context, workspaceID string) (Installation, error) {
	var row installationRow
	err := s.db.Conn(ctx).Where("workspace_id = ? AND active", workspaceID).Take(&row).Error
	if err != nil {
		return Installation{}, fmt.Errorf("get installation %s: %w", workspaceID, Translate(err))
	}
	return s.open(row)
}

// BotToken returns the bot token, in clear, and the bot's user id of a
// workspace where Trellis is installed: what the Slack clients need, as
// plain values, so the transport depends on no store.
func (s *Installations) BotToken(ctx context.Context, workspaceID string) (token, botUserID string, err error) {
	in, err := s.Get(ctx, workspaceID)
	if err != nil {
		return "", "", err
	}
	return in.BotToken, in.BotUserID, nil
}

func (s *Installations) open(row installationRow) (Installation, error) {
	in := row.domain()
	token, err := s.cipher.Open(row.BotTokenEnc, []byte(row.WorkspaceID))
	if err != nil {
		return Installation{}, fmt.Errorf("installation %s: bot token: %w", row.WorkspaceID, err)
	}
	in.BotToken = string(token)
	return in, nil
}

// Deactivate marks a workspace's installation inactive and erases its token
// (app_uninstalled, tokens_revoked). Deactivating twice, or a workspace
// never seen, is not an error.
func (s *Installations) Deactivate(ctx context.Context, workspaceID string) error {
	err := s.db.Conn(ctx).Model(&installationRow{}).
		Where("workspace_id = ? AND active", workspaceID).
		Updates(map[string]any{"active": false, "bot_token_enc": nil, "uninstalled_at": s.db.Now()}).Error
	if err != nil {
		return fmt.Errorf("deactivate installation %s: %w", workspaceID, Translate(err))
	}
	return nil
}

// List returns the active installations, ordered by workspace id, with
// their tokens in clear. One whose token cannot be decrypted is left out
// and named in the error, which comes with the others.
func (s *Installations) List(ctx context.Context) ([]Installation, error) {
	var rows []installationRow
	if err := s.db.Conn(ctx).Where("active").Order("workspace_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list installations: %w", Translate(err))
	}
	out := make([]Installation, 0, len(rows))
	var errs []error
	for _, r := range rows {
		in, err := s.open(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, in)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("list installations: %w", errors.Join(errs...))
	}
	return out, nil
}
