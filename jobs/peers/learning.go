package peers

import (
	"context"
	"time"

	"github.com/trellis-bot/trellis/models/peers"
)

// stepLearning opens a learning network's round when it is due.
func (s *Service) stepLearning(ctx context.Context, ws string, n peers.Network, now time.Time) (time.Time, error) {
	return time.Time{}, nil
}
