package peers

import (
	"context"
	"time"

	"github.com/trellis-bot/trellis/models/peers"
)

// stepCircles opens a circles network's term and sessions when due.
func (s *Service) stepCircles(ctx context.Context, ws string, n peers.Network, now time.Time) (time.Time, error) {
	return time.Time{}, nil
}
