// Package dhcheck checks the Diffie-Hellman parameters and public values of
// Telegram secret chats against a server that may be hostile.
//
// The rules are those of https://core.telegram.org/api/end-to-end (section
// "Sending a Request") and docs/PROTOCOL.md section 4: p is a safe prime with
// 2^2047 < p < 2^2048, g is in 2..7 and a quadratic residue mod p (so that it
// generates the subgroup of prime order (p-1)/2), and g_a, g_b lie in
// [2^1984, p - 2^1984]. Numbers are big-endian byte strings as they arrive in
// TL bytes; leading zero bytes are ignored, and any length, including empty,
// is a value (never a panic).
//
// # Errors
//
// Each returned error matches exactly one of [ErrPrimeSize],
// [ErrNotSafePrime], [ErrGenerator] and [ErrRange] with errors.Is. Checks run
// in a fixed order and the first failing one decides: size, then (in
// [Checker.CheckParams]) the generator rule, then the safe-prime test.
//
// # The safe-prime test
//
// The server chooses p, so the test must be sound for a p crafted to fool
// it, not just for a random one. [CheckSafePrime] runs, cheapest first:
//
//  1. size: 2^2047 < p < 2^2048;
//  2. parity: p = 3 mod 4 (p odd and q = (p-1)/2 odd);
//  3. a sieve over the odd primes r < 4096: p mod r must be neither 0 (r | p)
//     nor 1 (r | q);
//  4. Miller-Rabin on q with 64 bases drawn uniformly from [2, q-2] with
//     crypto/rand, and Pocklington's test of p, run as 65 independent tasks
//     spread over GOMAXPROCS goroutines; the first failure stops the others.
//
// Error bound. For every odd composite n, at most (n-1)/4 bases in [1, n-1]
// are strong liars (the Monier-Rabin theorem), so one round with a base drawn
// uniformly and independently of n accepts a composite with probability at
// most 1/4, whatever the form of n. The bases come from crypto/rand after p
// is fixed, so a server cannot choose p against them; 64 rounds accept a
// composite q with probability at most 4^-64 = 2^-128. (math/big's
// ProbablyPrime derives its bases from n itself; its documentation warns that
// this is not safe for adversarial input. The better average-case bounds of
// Damgard, Landrock and Pomerance hold for random n only and are not used.)
//
// Pocklington. Given q prime, p = 2q+1 is prime if and only if there is an a
// with a^(p-1) = 1 mod p and gcd(a^2-1, p) = 1. Proof of "if": let r be a
// prime factor of p; then a^(2q) = 1 and a^2 != 1 mod r, so the order of a
// mod r divides 2q but not 2, hence q divides r-1; r-1 is then q or 2q, and
// r = q+1 is even, so r = 2q+1 = p. We use a = 2: gcd(2^2-1, p) = gcd(3, p) =
// 1 is guaranteed by the sieve, so one exponentiation 2^(p-1) mod p decides,
// with no error of its own (a composite p with prime q cannot pass it). The
// only error of the whole test is thus the Miller-Rabin bound, 2^-128.
// Conversely, for a prime p the test always passes, so no safe prime is ever
// rejected.
//
// # Speed
//
// Exponentiation uses [github.com/secretbench/secretbench/internal/modexp]'s
// variable-time path (public base and exponent): its own fixed-width
// radix-2^52 Montgomery arithmetic with AVX-512 IFMA where available, else
// math/big. The 64 Miller-Rabin rounds share the exponent d = (q-1)/2^s, so
// they run as 16 tasks of four rounds each, interleaved in one kernel; with
// Pocklington's exponentiation that is 17 tasks over GOMAXPROCS goroutines.
// Secret exponents elsewhere in the project use modexp's constant-time Exp
// instead.
//
// On the 2-core AMD EPYC (Zen 5) development machine, shared with other jobs,
// BenchmarkCheckSafePrime measured a cold check of a freshly generated safe
// prime at about 28 ms against about 330 ms for gotd/td's check
// (ProbablyPrime(64) on p and on (p-1)/2), about 12 times faster, while
// doing more work per bit of assurance (random bases, a proof for p). A warm
// [Checker.CheckParams] takes 20 to 50 ns and does not allocate.
//
// # Caching
//
// A [Checker] remembers verdicts per p in memory (the generator rule is
// recomputed from a stored p mod 840, so one test of p serves every g). The
// warm path is a lock-free lookup in a copy-on-write map keyed by p itself,
// with no hashing beyond the map's and no allocation. The well-known prime of
// docs/PROTOCOL.md section 4 is known good from the start, for g = 3, 4, 7 (the
// generator rule still rejects 2, 5 and 6 for it).
//
// With [WithStore], passing verdicts are also written to dir, one file per
// (p, g) whose whole content is determined by (p, g): a magic line, g, p in
// hex and the verdict. A read compares the file byte for byte with that
// content, so a missing, unreadable, truncated, corrupt or foreign entry is
// treated as absent and p is tested again; it is never taken as good.
// Failing verdicts are not stored (they are cached in memory only): a stored
// failure would gain nothing, since a good server never sends a bad p, and
// would be one more thing a corrupted store could get wrong. Files are
// written to a temporary file, synced, and renamed into place with
// permissions 0600 (directory 0700), so concurrent Checkers and processes
// never see a partial entry and need no lock. A failure to write the store
// does not fail the check; it only costs a full test later.
package dhcheck
