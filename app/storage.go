package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models"
)

// OpenDB opens the configured database: Postgres from DATABASE_URL, or the
// SQLite file in the data directory. It does not migrate.
func OpenDB(ctx context.Context, log *slog.Logger, cfg Config, opts ...models.Option) (*models.DB, error) {
	url := cfg.DatabaseURL.Reveal()
	if url == "" {
		if err := prepareDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
		if err := createPrivateFile(cfg.sqlitePath()); err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		url = cfg.sqlitePath()
	}
	db, err := models.Open(ctx, log, url, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// openStorage opens and migrates the database, opens Redis (running
// degraded when it does not answer yet), reads the encryption key and
// makes the metrics registry.
func (a *App) openStorage(ctx context.Context) error {
	db, err := OpenDB(ctx, a.log, a.cfg, models.WithClock(a.clk))
	if err != nil {
		return err
	}
	a.db = db
	a.onClose(db.Close)
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	store, err := kv.Open(ctx, a.log, a.cfg.RedisURL.Reveal(), a.cfg.RedisPrefix)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	a.store = store
	a.onClose(store.Close)
	if !store.Healthy() {
		a.log.Warn("redis is not reachable at start; running degraded until it is")
	}

	key, err := encryptionKey(a.cfg)
	if err != nil {
		return err
	}
	if a.cipher, err = models.NewCipher(key); err != nil {
		return fmt.Errorf("encryption key: %w", err)
	}

	a.reg = prometheus.NewRegistry()
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.metrics = bot.NewMetrics(a.reg)
	return nil
}

// encryptionKey is TRELLIS_ENCRYPTION_KEY, or in the sandbox a key generated
// once and kept in the data directory.
func encryptionKey(cfg Config) ([]byte, error) {
	if cfg.EncryptionKey != "" {
		key, err := models.ParseKey(cfg.EncryptionKey.Reveal())
		if err != nil {
			return nil, &ConfigError{"TRELLIS_ENCRYPTION_KEY", err.Error()}
		}
		return key, nil
	}
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	return models.LoadOrCreateKeyFile(cfg.keyPath())
}
