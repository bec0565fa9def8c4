package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// RawRows runs a query and returns its column names and every row as
// text (NULL as ""), for tests that read what is stored, column by column.
func RawRows(ctx context.Context, db *DB, query string, args ...any) ([]string, [][]string, error) {
	rows, err := db.conn(ctx).Raw(query, args...).Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
			case []byte:
				row[i] = string(v)
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		out = append(out, row)
	}
	return cols, out, rows.Err()
}

// MigrateThrough applies the migrations up to and including version, as
// Migrate would, so a test can store data in an older schema and then
// migrate it.
func MigrateThrough(ctx context.Context, db *DB, version int) error {
	g := db.gorm.WithContext(ctx)
	if err := g.Exec(schemaMigrationsDDL(db.dialect)).Error; err != nil {
		return err
	}
	for _, m := range migrations() {
		if m.version > version {
			break
		}
		if err := g.Transaction(func(tx *gorm.DB) error {
			if err := m.apply(tx, db.dialect); err != nil {
				return err
			}
			return tx.Create(&schemaMigrationRow{Version: m.version, Name: m.name, AppliedAt: db.now()}).Error
		}); err != nil {
			return fmt.Errorf("version %d: %w", m.version, err)
		}
	}
	return nil
}
