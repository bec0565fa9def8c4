package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// OneOff is the payload of a one-off occurrence (PlanOnce): what the
// feature that plans it needs to write its message — the round a reminder
// is about, the person a notice names. The feature owns the type; the
// engine stores it as JSON on the occurrence and hands it back, decoded,
// to the schedule's composer in Context.OneOff.
//
// A feature declares each type for its schedules' kind with AcceptOneOff,
// and its composer tells them apart with a type switch.
type OneOff interface {
	// OneOffKind names the type among the one-offs of its schedules:
	// "reminder". It never changes once something was planned with it.
	OneOffKind() string
	// OneOffVersion is the version of the type's JSON form, from 1. A
	// change of form takes a new version; the type then reads the older
	// ones too (OneOffDecoder).
	OneOffVersion() int
	// OneOffKey tells apart the one-offs of this kind asked of one
	// schedule for one recipient at one instant: asking again for the
	// same schedule, kind, key, recipient and instant does nothing.
	OneOffKey() string
}

// OneOffDecoder is implemented by a OneOff type (on its pointer) that
// reads versions older than its current one (which is read as JSON). Version 0 is the form of a
// one-off planned before payloads existed: data is then the part of the
// old tag after the kind ("17:2" of "reminder:17:2"), not JSON.
type OneOffDecoder interface {
	DecodeOneOff(version int, data []byte) error
}

// oneOffSep separates a schedule's key from a one-off's identity in the
// occurrence's CadenceID: "checkin:42#reminder:17:2", the one-off's kind
// and key after it. The identity is what the unique constraint on
// occurrences sees, so it is written exactly as the tags before payloads
// were: a one-off planned before and again after an upgrade is one row.
const oneOffSep = "#"

// OneOffID is the CadenceID of the one-off p of the schedule key:
// "checkin:42#reminder:17:2", for a feature looking its one-offs up.
func OneOffID(key string, p OneOff) string {
	id := key + oneOffSep + p.OneOffKind()
	if k := p.OneOffKey(); k != "" {
		id += ":" + k
	}
	return id
}

// splitCadenceID returns the schedule key of an occurrence's CadenceID
// and whether the occurrence is a one-off.
func splitCadenceID(id string) (key string, oneOff bool) {
	key, _, oneOff = strings.Cut(id, oneOffSep)
	return key, oneOff
}

// envelope is a payload as stored: the kind and version say how to read
// data.
type envelope struct {
	Kind    string          `json:"kind"`
	Version int             `json:"version"`
	Data    json.RawMessage `json:"data"`
}

// oneOffType is a declared OneOff type: its version and how to read it.
type oneOffType struct {
	version int
	goType  reflect.Type
	decode  func(version int, data []byte) (OneOff, error)
}

// AcceptOneOff declares T as a one-off payload of schedules of kind
// scheduleKind ("checkin"): PlanOnce takes it, and the engine decodes it
// for the composer. It refuses a kind already declared for scheduleKind,
// a kind with a ':' or '#' in it, and a version below 1.
func AcceptOneOff[T OneOff](e *Engine, scheduleKind string) error {
	var zero T
	kind, version := zero.OneOffKind(), zero.OneOffVersion()
	switch {
	case kind == "" || strings.ContainsAny(kind, ":"+oneOffSep):
		return fmt.Errorf("accept one-off %q for %s: a kind is a word without ':' or %q", kind, scheduleKind, oneOffSep)
	case version < 1:
		return fmt.Errorf("accept one-off %q for %s: versions start at 1, not %d", kind, scheduleKind, version)
	}
	t := oneOffType{version: version, goType: reflect.TypeFor[T](), decode: func(v int, data []byte) (OneOff, error) {
		var p T
		switch d, older := any(&p).(OneOffDecoder); {
		case v == version:
			if err := json.Unmarshal(data, &p); err != nil {
				return nil, err
			}
		case v < version && older:
			if err := d.DecodeOneOff(v, data); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("version %d cannot be read (this build knows up to version %d)", v, version)
		}
		return p, nil
	}}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.oneOffs[scheduleKind] == nil {
		e.oneOffs[scheduleKind] = map[string]oneOffType{}
	}
	if _, taken := e.oneOffs[scheduleKind][kind]; taken {
		return fmt.Errorf("accept one-off %q for %s: already declared", kind, scheduleKind)
	}
	e.oneOffs[scheduleKind][kind] = t
	return nil
}

func (e *Engine) oneOffType(scheduleKind, kind string) (oneOffType, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, ok := e.oneOffs[scheduleKind][kind]
	return t, ok
}

// encodeOneOff is p as stored on an occurrence of a schedule of kind
// scheduleKind, refusing a type not declared for it.
func (e *Engine) encodeOneOff(scheduleKind string, p OneOff) (string, error) {
	t, ok := e.oneOffType(scheduleKind, p.OneOffKind())
	if !ok || t.goType != reflect.TypeOf(p) {
		return "", fmt.Errorf("one-off %q (%T) is not declared for %s schedules", p.OneOffKind(), p, scheduleKind)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("one-off %q: %w", p.OneOffKind(), err)
	}
	env, err := json.Marshal(envelope{Kind: p.OneOffKind(), Version: t.version, Data: data})
	if err != nil {
		return "", fmt.Errorf("one-off %q: %w", p.OneOffKind(), err)
	}
	return string(env), nil
}

// Why a one-off's payload cannot be read by this build.
var (
	// errUnreadable wraps why a payload is damaged: no build can read it,
	// and the occurrence is settled as skipped, its reason saying so.
	errUnreadable = errors.New("unreadable")
	// errNewerOneOff wraps why a payload was planned by a newer build than
	// this one: a kind it does not know, or a version newer than it knows.
	// During a rolling deploy a newer replica can send it, so the
	// occurrence is deferred rather than skipped (see deliver).
	errNewerOneOff = errors.New("planned by a newer build")
)

// decodeOneOff is the payload of occurrence cadenceID/payload of a
// schedule of kind scheduleKind: nil for the schedule's own occurrences.
// A one-off planned before payloads (no payload, its tag in the
// CadenceID) is read as version 0 of its kind. A payload of a kind this
// build does not know, or of a version newer than it knows, is an error
// wrapping errNewerOneOff; what no build can read — a payload that does
// not parse, an old tag of an unknown kind or that does not read back, an
// older version its type does not read — one wrapping errUnreadable.
func (e *Engine) decodeOneOff(scheduleKind, cadenceID, payload string) (OneOff, error) {
	_, tag, oneOff := strings.Cut(cadenceID, oneOffSep)
	if !oneOff {
		return nil, nil
	}
	env := envelope{Version: 0}
	if payload == "" {
		// Planned before payloads: the tag is the kind, then the key.
		var key string
		env.Kind, key, _ = strings.Cut(tag, ":")
		env.Data = []byte(key)
	} else if err := json.Unmarshal([]byte(payload), &env); err != nil {
		return nil, fmt.Errorf("%w: %v", errUnreadable, err)
	}
	t, ok := e.oneOffType(scheduleKind, env.Kind)
	if !ok {
		why := errNewerOneOff
		if payload == "" {
			// Builds that wrote tags without payloads are all older.
			why = errUnreadable
		}
		return nil, fmt.Errorf("%w: no %s message of kind %q is known", why, scheduleKind, env.Kind)
	}
	if env.Version > t.version {
		return nil, fmt.Errorf("%w: %s %q version %d (this build knows up to version %d)", errNewerOneOff, scheduleKind, env.Kind, env.Version, t.version)
	}
	p, err := t.decode(env.Version, env.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q version %d: %v", errUnreadable, scheduleKind, env.Kind, env.Version, err)
	}
	if env.Version == 0 && OneOffID("", p) != oneOffSep+tag {
		// The old tag must be read back exactly: "17:2x" is not "17:2".
		return nil, fmt.Errorf("%w: %s tag %q does not read as a %q message", errUnreadable, scheduleKind, tag, env.Kind)
	}
	return p, nil
}
