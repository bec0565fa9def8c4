package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// tokenStore is what Clients needs of where installations are kept: the
// bot token, in clear, and the bot's user id of an installed workspace.
type tokenStore interface {
	BotToken(ctx context.Context, workspaceID string) (token, botUserID string, err error)
}

// Clients hands out the Web API client of each workspace. Every client it
// builds sends through that workspace's paced Transport, so all of Trellis's
// Slack calls share one rate-limit view per workspace, across replicas.
type Clients struct {
	store  tokenStore
	apiURL string
	base   TransportConfig
	ttl    time.Duration

	mu         sync.Mutex
	transports map[string]*Transport
	clients    map[string]cachedClient
}

type cachedClient struct {
	client  *slack.Client
	token   string
	botUser string
	at      time.Time
}

// NewClients returns Clients that read tokens from store and build
// Transports from base (its TeamID is set per workspace). apiURL overrides
// Slack's Web API address (the emulator); empty means Slack's.
func NewClients(store tokenStore, apiURL string, base TransportConfig) *Clients {
	return &Clients{
		store:      store,
		apiURL:     apiURL,
		base:       base,
		ttl:        time.Minute,
		transports: map[string]*Transport{},
		clients:    map[string]cachedClient{},
	}
}

// Transport returns the paced transport of a workspace, creating it once.
func (c *Clients) Transport(teamID string) *Transport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transportLocked(teamID)
}

func (c *Clients) transportLocked(teamID string) *Transport {
	t, ok := c.transports[teamID]
	if !ok {
		cfg := c.base
		cfg.TeamID = teamID
		t = NewTransport(cfg)
		c.transports[teamID] = t
	}
	return t
}

// New builds a client for token in teamID's workspace, through its Transport.
func (c *Clients) New(teamID, token string, opts ...slack.Option) *slack.Client {
	opts = append([]slack.Option{slack.OptionHTTPClient(c.Transport(teamID))}, opts...)
	if c.apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(c.apiURL))
	}
	return slack.New(token, opts...)
}

// ClientFor returns the client of an installed workspace. Tokens are re-read
// from the store every minute, so a reinstall takes effect without a restart.
func (c *Clients) ClientFor(ctx context.Context, teamID string) (*slack.Client, error) {
	cc, err := c.lookup(ctx, teamID)
	if err != nil {
		return nil, err
	}
	return cc.client, nil
}

// BotUserID returns the bot's user id in a workspace, or "" when unknown.
func (c *Clients) BotUserID(ctx context.Context, teamID string) string {
	cc, err := c.lookup(ctx, teamID)
	if err != nil {
		return ""
	}
	return cc.botUser
}

func (c *Clients) lookup(ctx context.Context, teamID string) (cachedClient, error) {
	c.mu.Lock()
	cc, ok := c.clients[teamID]
	c.mu.Unlock()
	if ok && time.Since(cc.at) < c.ttl {
		return cc, nil
	}
	token, botUser, err := c.store.BotToken(ctx, teamID)
	if err != nil {
		return cachedClient{}, fmt.Errorf("installation of %s: %w", teamID, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cc, ok := c.clients[teamID]; ok && cc.token == token {
		cc.at = time.Now()
		c.clients[teamID] = cc
		return cc, nil
	}
	opts := []slack.Option{slack.OptionHTTPClient(c.transportLocked(teamID))}
	if c.apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(c.apiURL))
	}
	cc = cachedClient{client: slack.New(token, opts...), token: token, botUser: botUser, at: time.Now()}
	c.clients[teamID] = cc
	return cc, nil
}

// Forget drops a workspace's cached client, after an uninstall.
func (c *Clients) Forget(teamID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, teamID)
}
