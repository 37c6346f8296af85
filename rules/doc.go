// Package rules is riskgraph's deterministic decision layer: block and
// allow lists, velocity limits, amount thresholds, typology rules and the
// score bands that turn a model score into approve, review or decline.
//
// Rules work with or without the model. The scorer computes a GNN score and
// the facts (velocity counts from the graph, typology hits) and calls
// Evaluate with HasScore set; when the model path misses its deadline it
// calls Evaluate with HasScore false (degraded mode) and the decision comes
// from the rules alone. A block-list hit declines in every mode.
//
// # File format
//
// A rules file is one YAML document (at most MaxFileSize bytes):
//
//	version: "2026-11-26.1"      # required; stamped on every Result
//	description: "…"             # optional, free text
//	degraded_decision: approve   # optional: the decision with no score and no hit (default approve)
//	lists:
//	  block: {cards: [tok_1, …], devices: […], ips: […], merchants: […],
//	          accounts: […], users: […], emails: […], phones: […]}
//	  allow: {…same kinds…}
//	velocity:
//	  - {id: V1, entity: card, window: 1h, max_count: 5, max_amount: 2000, action: review}
//	amount:
//	  - {id: A1, over: 5000, channel: web, country: DE, kind: card, currency: EUR, action: review}
//	typology:
//	  - {id: T1, typology: fan_in, min_hits: 1, action: review}
//	bands:
//	  - {below: 0.3, decision: approve}
//	  - {below: 0.8, decision: review}
//	  - {decision: decline}
//
// default.yaml documents every field and is the shipped default (Default).
//
// Every rule (velocity, amount, typology; bands optionally) has an id,
// unique across the file, matching [A-Za-z][A-Za-z0-9_-]* (no dots: the
// ids "block.card", "allow.user", … name list hits and "band.N" the N-th
// band, from 1, when it has no id). A rule may carry a reason code
// (UPPER_SNAKE_CASE; a default is derived from the rule) and a detail
// template whose {placeholders} are filled in on a hit: {id}, {amount},
// {currency}, {channel}, {country} everywhere; {entity}, {window}, {count},
// {sum}, {max_count}, {max_amount} in velocity rules; {over} in amount
// rules; {typology}, {hits}, {min_hits} in typology rules; {score},
// {below} in bands. "{{" and "}}" are literal braces.
//
// Rule semantics:
//
//   - Lists match exact strings (callers normalise, e.g. lower-case
//     emails). Block-listed accounts match both the debited account and the
//     counterparty; allow-listed accounts match only the debited account. A
//     value may not be on both lists of a kind.
//   - A velocity rule fires when Facts.Velocity[entity][window] exceeds
//     max_count (Count > max_count) or max_amount (Amount > max_amount).
//     The counts include the transaction being decided. entity is one of
//     user, account, card, device, ip, merchant, email, phone; window is 1h,
//     24h or 7d. At least one limit is required; limits are ≥ 0.
//   - An amount rule fires when Txn.Amount > over and every filter given
//     (channel, country, kind, currency) equals the transaction's field
//     (country and currency case-insensitively).
//   - A typology rule fires when Facts.Typologies[typology] ≥ min_hits
//     (default 1); typology "*" fires when any single typology does.
//   - Bands partition [0,1]: band i covers [below(i-1), below(i)), the first
//     from 0, the last (which has no below) up to and including 1. Scores
//     below 0 fall in the first band and above 1 in the last; a NaN score
//     counts as no score.
//
// Rule actions are review or decline: only the allow list approves.
//
// Loading validates everything (types, unknown and repeated keys,
// duplicate ids, windows, actions, limits, band coverage, placeholders) and
// reports every problem, each as an *Error naming file:line:column and the
// field; the joined error wraps ErrInvalid.
//
// # Precedence
//
// Evaluate applies every rule, records every hit (in the order block, allow,
// velocity, amount, typology, band) and decides:
//
//	block hit | allow hit | strictest rule action | score             | decision
//	----------+-----------+-----------------------+-------------------+-------------------------------
//	yes       | any       | any                   | any or none       | decline (Blocked), every mode
//	no        | yes       | decline               | any or none       | decline
//	no        | yes       | review or none        | any or none       | approve
//	no        | no        | r                     | band decision b   | stricter of r and b
//	no        | no        | r                     | none (degraded)   | stricter of r and degraded_decision
//
// Strictness is approve < review < decline. The allow list thus lowers
// a review (from a rule, a band or degraded_decision) and a band's decline
// to approve, but never a decline from a velocity, amount or typology rule,
// nor a block.
//
// # Hot reload and backtests
//
// A Watcher polls a rules file (size, mtime and SHA-256; no fsnotify),
// validates a changed file and swaps the active *Set atomically; readers
// (Current) never block and a file that fails validation leaves the old set
// active. Backtest replays inputs through two sets and counts the decisions
// that change, for `riskgraph rules test`.
package rules
