package modelstest

import (
	"context"
	"fmt"

	"github.com/trellis-bot/trellis/models"
)

// Raw access to what is stored, bypassing the stores, for tests of any
// store (models and its capability packages, such as models/checkins).

// Exec runs a statement.
func Exec(ctx context.Context, db *models.DB, sql string, args ...any) error {
	return db.Conn(ctx).Exec(sql, args...).Error
}

// Tables lists the tables in the database (the current schema on Postgres).
func Tables(ctx context.Context, db *models.DB) ([]string, error) {
	return db.Conn(ctx).Migrator().GetTables()
}

// CountRows counts a workspace's rows in table.
func CountRows(ctx context.Context, db *models.DB, table, workspaceID string) (int64, error) {
	var n int64
	err := db.Conn(ctx).Table(table).Where("workspace_id = ?", workspaceID).Count(&n).Error
	return n, err
}

// RawRows runs a query and returns its column names and every row as
// text (NULL as ""), for tests that read what is stored, column by column.
func RawRows(ctx context.Context, db *models.DB, query string, args ...any) ([]string, [][]string, error) {
	rows, err := db.Conn(ctx).Raw(query, args...).Rows()
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
