// Package peers is the runtime of peer networks: the working windows the
// matching reads (windows.go), and, as they land, the service that opens
// rounds, terms and sessions once across replicas and the composers of
// every message they send through the delivery engine.
package peers
