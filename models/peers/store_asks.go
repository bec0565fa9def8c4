package peers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/models"
)

// Anonymous asks: a row holds the network, the text, where it was posted
// and the hash of a code only the asker was given, and nothing else: no
// person, no time. Creating one writes that row alone.

type askRow struct {
	ID          int64  `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string `gorm:"column:workspace_id"`
	NetworkID   int64  `gorm:"column:network_id"`
	CodeHash    string `gorm:"column:code_hash"`
	Text        string `gorm:"column:text"`
	Channel     string `gorm:"column:channel"`
	TS          string `gorm:"column:ts"`
	Deleted     bool   `gorm:"column:deleted"`
}

func (askRow) TableName() string { return "peer_asks" }

func (r askRow) domain() Ask {
	return Ask{ID: r.ID, NetworkID: r.NetworkID, Text: r.Text, Channel: r.Channel, TS: r.TS, Deleted: r.Deleted}
}

// codeLen is the length of an ask's code: 10 base32 characters, 50
// random bits.
const codeLen = 10

// hashCode is how a code is stored: the hex SHA-256 of its upper-case
// form, so a code typed in lower case still matches.
func hashCode(code string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(sum[:])
}

// newCode is a fresh random code.
func newCode() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:codeLen], nil
}

// CreateAsk stores an anonymous ask for a network of the workspace and
// returns it with the code that alone deletes it, to be given to the
// asker once: only the code's hash is stored, and nothing that names the
// asker or when they asked. It refuses, storing nothing, an empty text or
// one over MaxAskLen characters.
func (s *Store) CreateAsk(ctx context.Context, ws string, networkID int64, text string) (Ask, string, error) {
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return Ask{}, "", fmt.Errorf("create ask: %w", refuse(FieldText, "Write your question."))
	case n > MaxAskLen:
		return Ask{}, "", fmt.Errorf("create ask: %w", refuse(FieldText, "That is %d characters; keep it to %d.", n, MaxAskLen))
	}
	code, err := newCode()
	if err != nil {
		return Ask{}, "", fmt.Errorf("create ask: %w", err)
	}
	var out Ask
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.network(ctx, ws, networkID); err != nil {
			return err
		}
		row := askRow{WorkspaceID: ws, NetworkID: networkID, CodeHash: hashCode(code), Text: text}
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		out = row.domain()
		return nil
	})
	if err != nil {
		return Ask{}, "", fmt.Errorf("create ask in network %d: %w", networkID, err)
	}
	return out, code, nil
}

// SetAskPosted records where an ask of the workspace was posted.
func (s *Store) SetAskPosted(ctx context.Context, ws string, id int64, channel, ts string) error {
	res := s.db.Conn(ctx).Model(&askRow{}).Where("workspace_id = ? AND id = ? AND deleted = ?", ws, id, false).
		Updates(map[string]any{"channel": channel, "ts": ts})
	err := models.Translate(res.Error)
	if err == nil && res.RowsAffected == 0 {
		err = models.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("ask %d posted: %w", id, err)
	}
	return nil
}

// DeleteAskByCode deletes the ask of the workspace code belongs to: its
// text is blanked and it is marked deleted. It returns the ask as it was,
// so the caller deletes the posted message (Channel, TS). A code that
// matches no ask of the workspace, or one already deleted, is
// ErrNotFound.
func (s *Store) DeleteAskByCode(ctx context.Context, ws, code string) (Ask, error) {
	var out Ask
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var row askRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND code_hash = ? AND deleted = ?", ws, hashCode(code), false).
			Take(&row).Error; err != nil {
			return models.Translate(err)
		}
		out = row.domain()
		return models.Translate(s.db.Conn(ctx).Model(&askRow{}).Where("id = ?", row.ID).
			Updates(map[string]any{"text": "", "deleted": true}).Error)
	})
	if err != nil {
		return Ask{}, fmt.Errorf("delete ask by code: %w", err)
	}
	return out, nil
}

// Ask returns one ask of the workspace, or ErrNotFound.
func (s *Store) Ask(ctx context.Context, ws string, id int64) (Ask, error) {
	var row askRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id).Take(&row).Error; err != nil {
		return Ask{}, fmt.Errorf("ask %d: %w", id, models.Translate(err))
	}
	return row.domain(), nil
}
