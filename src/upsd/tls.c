/*
 * tls: the server's TLS context for STARTTLS.
 *
 * CERTFILE is a PEM file holding the certificate chain and the private key
 * (as NUT's OpenSSL build reads it).  CERTPATH names a CA directory or
 * bundle used to verify client certificates; CERTREQUEST 0 asks for none,
 * 1 requests one (a presented certificate must verify), 2 requires one.
 * TLS 1.2 is the minimum whatever DISABLE_WEAK_SSL says.
 */
#include "config.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "upsd.h"

static void
ssl_msg(char *msg, size_t size, const char *what, const char *path)
{
	char e[256] = "";
	unsigned long code = ERR_get_error();

	if (code)
		ERR_error_string_n(code, e, sizeof(e));
	snprintf(msg, size, "%s %s: %s", what, path, e[0] ? e : "failed");
	ERR_clear_error();
}

static int
load_ca(SSL_CTX *ctx, const char *path, char *msg, size_t size)
{
	struct stat st;
	int ok;

	if (stat(path, &st) < 0) {
		snprintf(msg, size, "CERTPATH %s: cannot open", path);
		return -ENOENT;
	}
	if (S_ISDIR(st.st_mode)) {
		ok = SSL_CTX_load_verify_locations(ctx, NULL, path);
	} else {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(path);

		ok = SSL_CTX_load_verify_locations(ctx, path, NULL);
		if (names)
			SSL_CTX_set_client_CA_list(ctx, names);
	}
	if (!ok) {
		ssl_msg(msg, size, "CERTPATH", path);
		return -EINVAL;
	}
	return 0;
}

int
tls_setup(struct server *srv, char *msg, size_t size)
{
	const struct upsd_conf *cf = srv->conf;
	SSL_CTX *ctx;
	int mode = SSL_VERIFY_NONE;

	if (!cf->certfile) {
		if (cf->certrequest > 0) {
			snprintf(msg, size, "CERTREQUEST needs CERTFILE (the server certificate)");
			return -EINVAL;
		}
		return 0;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(msg, size, "cannot create a TLS context");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->certfile) != 1) {
		ssl_msg(msg, size, "CERTFILE: cannot read the certificate from", cf->certfile);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cf->certfile, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_msg(msg, size, "CERTFILE: no matching private key in", cf->certfile);
		goto fail;
	}
	if (cf->certrequest > 0) {
		if (!cf->certpath) {
			snprintf(msg, size,
			         "CERTREQUEST %ld needs CERTPATH (the CA that signs client "
			         "certificates)",
			         cf->certrequest);
			goto fail;
		}
		if (load_ca(ctx, cf->certpath, msg, size) < 0)
			goto fail;
		mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
		if (cf->certrequest >= 2)
			mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	}
	SSL_CTX_set_verify(ctx, mode, NULL);
	srv->ssl_ctx = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -EINVAL;
}
