package peers

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/models"
)

type promptRow struct {
	ID          int64     `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	Theme       string    `gorm:"column:theme"`
	Text        string    `gorm:"column:text"`
	CreatedBy   string    `gorm:"column:created_by"`
	CreatedAt   time.Time `gorm:"column:created_at"`
}

func (promptRow) TableName() string { return "peer_prompts" }

func (r promptRow) domain() CustomPrompt {
	return CustomPrompt{ID: r.ID, Theme: r.Theme, Text: r.Text, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
}

// Validate checks a custom prompt's theme and text. It returns nil or a
// *ValidationError listing every problem.
func (p CustomPrompt) Validate() error {
	var ps problems
	theme, text := strings.TrimSpace(p.Theme), strings.TrimSpace(p.Text)
	switch n := utf8.RuneCountInString(theme); {
	case n == 0:
		ps.add(FieldTheme, 0, "Give the prompt a theme, like “Feedback”.")
	case n > MaxThemeLen || strings.ContainsAny(theme, "\r\n"):
		ps.add(FieldTheme, 0, "A theme fits on one line of at most %d characters.", MaxThemeLen)
	}
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		ps.add(FieldText, 0, "Write the prompt.")
	case n > MaxPromptLen:
		ps.add(FieldText, 0, "That prompt is %d characters; keep it to %d.", n, MaxPromptLen)
	}
	return ps.err()
}

// AddPrompt stores a prompt of the workspace's own, added by actor, who
// must be an admin (else ErrNotAllowed). It refuses, storing nothing, a
// prompt Validate refuses.
func (s *Store) AddPrompt(ctx context.Context, ws string, p CustomPrompt, actor string, isAdmin bool) (CustomPrompt, error) {
	if !CanManagePrompts(isAdmin) {
		return CustomPrompt{}, fmt.Errorf("add prompt (by %s): %w", actor, ErrNotAllowed)
	}
	if err := p.Validate(); err != nil {
		return CustomPrompt{}, fmt.Errorf("add prompt: %w", err)
	}
	row := promptRow{WorkspaceID: ws, Theme: strings.TrimSpace(p.Theme), Text: strings.TrimSpace(p.Text), CreatedBy: actor, CreatedAt: s.db.Now()}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return CustomPrompt{}, fmt.Errorf("add prompt: %w", models.Translate(err))
	}
	return row.domain(), nil
}

// Prompts returns the workspace's own prompts, oldest first.
func (s *Store) Prompts(ctx context.Context, ws string) ([]CustomPrompt, error) {
	var rows []promptRow
	if err := s.db.Conn(ctx).Where("workspace_id = ?", ws).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("prompts of %s: %w", ws, models.Translate(err))
	}
	out := make([]CustomPrompt, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// DeletePrompt deletes a prompt of the workspace's own, for actor, an
// admin (else ErrNotAllowed); one not in the workspace is ErrNotFound.
func (s *Store) DeletePrompt(ctx context.Context, ws string, id int64, actor string, isAdmin bool) error {
	if !CanManagePrompts(isAdmin) {
		return fmt.Errorf("delete prompt %d (by %s): %w", id, actor, ErrNotAllowed)
	}
	res := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id).Delete(&promptRow{})
	err := models.Translate(res.Error)
	if err == nil && res.RowsAffected == 0 {
		err = models.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete prompt %d: %w", id, err)
	}
	return nil
}
