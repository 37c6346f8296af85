// Package synth generates realistic synthetic payment traffic with labelled
// fraud and anti-money-laundering (AML) patterns: the data behind
// `riskgraph gen`, the demos, the benchmarks and the tests of the feature,
// typology, sampling and training code.
//
// Generate streams graph.Transaction rows, in non-decreasing time order,
// to a callback. Every row carries a Label (legit for normal traffic, fraud
// or laundering for the patterns below) and Attrs["pattern"], the name of
// the pattern that produced it; Attrs holds nothing else.
//
// # Determinism and cost
//
// The output is a pure function of the Config: the same Config gives the
// same rows, byte for byte. All randomness comes from math/rand/v2 PCG
// streams seeded with Config.Seed, one stream per day of normal traffic and
// one per pattern, so switching a pattern off or changing its rate leaves
// the content of the normal traffic unchanged (only transaction ids, which
// count rows, shift). Rows are generated one day at a time, sorted and
// emitted, so memory is one day of traffic (64 bytes a row until it is
// emitted) plus the population (about 90 bytes a customer), whatever Days
// is. One core produces about 900,000 rows a second (BenchmarkGenerate):
// 10 million rows (400,000 customers × 30 days) take about 11 seconds and
// under 200 MiB of heap.
//
// # Volumes
//
// With the defaults, each ordinary customer makes about 0.82 transactions a
// day: 0.72 purchases (a few more while travelling), 0.05 person-to-person
// transfers, a monthly salary for 70% and a monthly rent for 35% of
// customers. The patterns add about 1.5% fraud and 0.65% laundering rows,
// so there are about 0.84 rows per customer-day in all, and Users × Days ≈
// rows / 0.84: 4,000 users × 30 days ≈ 100,000 rows;
// 400,000 users × 30 days ≈ 10 million. Config.ExpectedTxns estimates the
// count for any Config.
//
// # Identifiers
//
// Ids are short: transactions t00000001 (eight zero-padded digits in
// emission order, longer past 99,999,999), users u<n>, accounts a<n>,
// devices d<n>, merchants m<n>, emails e<n>@example.com|net|org, phones
// +1555 followed by seven digits, IPv4 addresses in dotted-quad form (a
// fictional geography: each country owns two made-up /8 prefixes, and
// datacenter space lives in 45/8, 185/8 and 198/8). Party n owns user u<n>,
// account a<n>, email n and phone n. Customers are parties 1..Users,
// employers come next, then the fresh parties patterns make up. Cards are
// 16-digit Luhn-valid PANs under public test BINs (400000, 411111, 424242,
// 555555, 510510, 222300): the ingest layer must tokenise them, and its
// PAN-leak tests have something to catch.
//
// # Normal traffic (pattern "normal", label legit)
//
// Customers live in ten countries (GB 30%, DE 15%, FR 15%, ES 8%, IT 8%,
// NL 6%, PL 5%, US 5%, IE 4%, SE 4%). Each has 1–3 devices (a phone first),
// 1–2 cards, a home address plus shared mobile-carrier addresses, 3–6
// favourite merchants drawn from a Zipf-like (s = 1.1) popularity ranking of
// their country's merchants (70%) or of all online merchants (30%), and 1–3
// payees. Merchants (one per 15 customers, 200 to 100,000) belong to 14
// categories (MCCs) with log-normal amounts (e.g. grocery median 35, fast
// food 10, electronics 180, airlines 280, jewellery 450) and sell in person
// (pos), online (web, app) or both.
//
//   - Purchases: Poisson per customer-day with a customer-specific rate
//     (log-normal, mean Config.Purchases = 0.72), a weekly rhythm (Friday
//     ×1.2, Sunday ×0.75) and a diurnal one (few purchases between midnight
//     and six, peaks at lunch and around 18:00–19:00 UTC). Three in four are
//     at a favourite merchant. Kind card, or bnpl for 15% of online
//     purchases in categories that offer it. In-store purchases carry no
//     device, address, email or phone; online ones carry the device, the
//     address, the email and (app, bnpl) the phone. Country is the
//     merchant's for pos and the address's online; currency is the
//     merchant's.
//   - Travel: about three trips a year (3–10 days) to another home country,
//     buying there from local addresses: legitimate foreign activity.
//   - New phones: about one a year per customer (at most one per customer
//     in a data set), a legitimately new device.
//   - Transfers (kind transfer, account → counterparty): person-to-person,
//     mostly to the customer's payees (Config.Transfers = 0.05 a day, median
//     40); monthly rent to one of the 2% of customers who are landlords
//     (a legitimate fan-in); monthly salaries from employers (one per 150
//     customers) paid in one early-morning batch on the 25th or the Friday
//     before it (a legitimate fan-out).
//
// # Fraud patterns (label fraud)
//
// Default rates are pattern instances started per 10,000 customers per day.
// Fraudsters act at any hour, from devices and addresses new to their
// victims, partly drawn from a shared pool (so the graph links instances).
//
//   - account_takeover (5; ~6 rows): an existing customer's cards are used
//     from a never-seen device and an address abroad (60%) or a residential
//     proxy at home, for 3–8 high-value online purchases (median 600) 1–10
//     minutes apart, half the time with the fraudster's email and phone;
//     half the time a transfer of the balance (median 1,500) to a fresh drop
//     account ends the burst.
//   - card_testing (1.2; ~27 rows): 10–40 purchases of 0.50–2.00 at 10–30
//     distinct digital-goods and charity merchants, 5–40 seconds apart, on
//     one customer's card from one device and address with a throwaway
//     email; half the time a high-value purchase (median 700) follows
//     within half an hour.
//   - synthetic_identity (0.45 rings; ~65 rows): 3–8 made-up customers
//     sharing 1–2 devices, 1–2 phones, 1–3 emails and 1–2 addresses build a
//     history over 10–30 days (0.4 modest online purchases a day, a transfer
//     to another member for half of them), then bust out within about a day
//     and a half: 2–5 high-value purchases each (median 1,500) and, for a
//     third, a transfer (median 2,000) to a fresh cash-out account.
//   - mule (3; ~10 rows): 3–10 scam victims (customers, on their own
//     devices) pay a mule account (a recruited customer 60% of the time)
//     about 900 each over 4 hours to 3 days; 10 minutes to 6 hours after
//     the last payment in, the mule forwards 90–98% of the total to 2–6
//     fresh cash-out accounts, 1–20 minutes apart.
//
// # Laundering patterns (label laundering, kind transfer)
//
// The accounts of an instance are recruited customers (who keep their
// ordinary traffic) or fresh accounts, a tenth of them abroad; in 40% of
// instances the fresh accounts often share their operator's device and
// address.
//
//   - aml_fan_in (0.6; ~14 rows): 8–20 distinct accounts each pay one
//     account (median 1,500) within 2 to 48 hours.
//   - aml_fan_out (0.6; ~14 rows): one account pays 8–20 distinct accounts
//     (median 1,500) within 2 to 48 hours.
//   - aml_cycle (1.5; ~4.5 rows): A→B→…→A through 3–6 distinct accounts,
//     each hop 30 minutes to 12 hours after the previous, starting around
//     12,000 and shrinking by a 0.5–2% fee per hop.
//   - aml_scatter_gather (0.8; ~11 rows): a source splits a sum (median
//     20,000) across 3–8 intermediaries within 6 hours; each passes its
//     share less 0.5–3% to one sink 1 to 24 hours later.
//   - aml_gather_scatter (0.5; ~17 rows): 5–12 accounts pay a hub (median
//     2,500 each) within 24 hours; 1 to 12 hours later the hub pays 95–99%
//     of it out to 5–12 other accounts within 24 hours.
//   - aml_structuring (1.5; ~5.5 rows): one account sends 3–8 transfers in
//     [0.9·T, T), T = Config.ReportingThreshold (10,000), half of them
//     rounded down to a multiple of 50, to 1–3 counterparties over 1 to 10
//     days.
//   - aml_rapid_pass_through (1.4; ~4 rows): an account receives a sum
//     (median 8,000) and passes 97–99.9% of it on 5 minutes to 3 hours
//     later; 1–3 rounds, 12 to 72 hours apart.
//
// # Scheduling
//
// A pattern with rate R is started E = R × Users/10,000 × Days times,
// rounded stochastically (⌊E⌋, plus one with probability E − ⌊E⌋), so a
// pattern appears whenever E ≥ 1 (every pattern does at the defaults with
// 2,000 users over 14 days). Start times are uniform over the period less
// the pattern's usual duration; when the period is too short for an
// instance, its timeline is compressed about its start, keeping its order.
package synth
