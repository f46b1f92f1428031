/*
 * passwd: password verification and hashing for upsd.users.
 *
 * A stored password is either a crypt(3) hash written by upspasswd
 * (yescrypt "$y$", sha512-crypt "$6$", ...) or, for NUT compatibility,
 * plaintext.  Verification takes the same time whether or where the given
 * password differs from the stored one.
 */
#ifndef UPSGUARD_PASSWD_H
#define UPSGUARD_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any hash passwd_hash() writes, NUL included (CRYPT_OUTPUT_SIZE). */
#define PASSWD_HASH_MAX 384

/* Longest password accepted for hashing or verification. */
#define PASSWD_MAX_LEN 512

/*
 * True when `stored` looks like a crypt(3) hash ("$id$..." with a known
 * id) rather than a plaintext password.
 */
bool passwd_is_hash(const char *stored);

/*
 * Check `given` against `stored` (hash or plaintext).  Returns 1 on a match,
 * 0 on a mismatch, -EINVAL for a hash crypt(3) cannot use (unsupported or
 * malformed: never a match), -ENOMEM.  Comparison is constant time.
 */
int passwd_verify(const char *stored, const char *given);

/*
 * Hash `password` with yescrypt and a fresh random salt into out (size
 * bytes, PASSWD_HASH_MAX is enough).  Returns 0, -EINVAL (password too long
 * or containing a newline), -ENOSPC (out too small), -ENOMEM, or -EIO when
 * crypt(3) fails.
 */
int passwd_hash(const char *password, char *out, size_t size);

/*
 * Constant-time comparison of two NUL-terminated strings of any lengths:
 * true when equal.  The time depends on neither content nor on where they
 * differ (both are digested first).
 */
bool passwd_equal(const char *a, const char *b);

#endif
