package models

import (
	"context"
	"fmt"
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
	return db.migrateThrough(ctx, version)
}
