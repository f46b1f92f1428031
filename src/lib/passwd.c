/*
 * passwd: crypt(3) verification and yescrypt hashing through libxcrypt.
 *
 * Plaintext comparison digests both strings with SHA-256 and compares the
 * digests with CRYPTO_memcmp, so neither the length nor the first differing
 * byte leaks through timing.  crypt's large work area lives on the heap.
 */
#include "passwd.h"

#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* crypt(3) method prefixes we treat as hashes (libxcrypt's strong ones). */
static const char *const hash_ids[] = {
    "$y$", "$gy$", "$7$", "$6$", "$5$", "$2b$", "$2y$", "$2a$", "$sha1$", "$md5", "$1$",
};

bool
passwd_is_hash(const char *stored)
{
	if (!stored || stored[0] != '$')
		return false;
	for (size_t i = 0; i < sizeof(hash_ids) / sizeof(hash_ids[0]); i++)
		if (strncmp(stored, hash_ids[i], strlen(hash_ids[i])) == 0)
			return strchr(stored + 1, '$') != NULL;
	return false;
}

static void
digest(const char *s, unsigned char out[32])
{
	unsigned int n = 32;

	if (!EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL))
		memset(out, 0, 32);
}

bool
passwd_equal(const char *a, const char *b)
{
	unsigned char da[32], db[32];
	size_t la = strlen(a), lb = strlen(b);

	digest(a, da);
	digest(b, db);
	/* The length check is folded in after the constant-time compare. */
	return (CRYPTO_memcmp(da, db, sizeof(da)) == 0) & (la == lb);
}

int
passwd_verify(const char *stored, const char *given)
{
	struct crypt_data *cd;
	const char *h;
	int r;

	if (!stored || !given)
		return -EINVAL;
	if (!passwd_is_hash(stored))
		return passwd_equal(stored, given) ? 1 : 0;
	if (strlen(given) > PASSWD_MAX_LEN)
		return 0;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	h = crypt_rn(given, stored, cd, sizeof(*cd));
	if (!h || h[0] == '*')
		r = -EINVAL;
	else
		r = passwd_equal(h, stored) ? 1 : 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

int
passwd_hash(const char *password, char *out, size_t size)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int r = 0;

	if (strlen(password) > PASSWD_MAX_LEN || strchr(password, '\n'))
		return -EINVAL;
	/* A NULL random source makes libxcrypt read the kernel's CSPRNG. */
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)))
		return -EIO;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	h = crypt_rn(password, salt, cd, sizeof(*cd));
	if (!h || h[0] == '*')
		r = -EIO;
	else if (strlen(h) >= size)
		r = -ENOSPC;
	else
		memcpy(out, h, strlen(h) + 1);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}
