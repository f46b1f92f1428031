/*
 * auth: who may do what, from upsd.users and upsd.conf.
 *
 * NUT's model (reference 1.2): USERNAME and PASSWORD are only checked when
 * an action needs them; an unknown user, a wrong password and a missing
 * right all give ACCESS-DENIED.  upsguard adds: crypt(3) hashes compared
 * in constant time, allowfrom per user, anonymous reads by ANONYMOUS_READ,
 * and a growing delay for addresses that keep failing passwords.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "passwd.h"
#include "upsd.h"

static void
addr_key(const struct client *c, int *family, uint8_t key[16])
{
	const struct sockaddr *sa = &c->addr.sa;

	memset(key, 0, 16);
	*family = sa ? sa->sa_family : AF_UNSPEC;
	if (*family == AF_INET)
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (*family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

static struct failent *
fail_slot(struct server *srv, const struct client *c, bool create)
{
	struct failent *oldest = &srv->fails[0];
	uint8_t key[16];
	int family;

	addr_key(c, &family, key);
	for (size_t i = 0; i < UPSD_FAIL_TABLE; i++) {
		struct failent *f = &srv->fails[i];

		if (f->count && f->family == family && memcmp(f->addr, key, 16) == 0)
			return f;
		if (f->last < oldest->last)
			oldest = f;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	oldest->family = family;
	memcpy(oldest->addr, key, 16);
	return oldest;
}

static void
note_failure(struct server *srv, struct client *c, const char *why)
{
	char addr[INET6_ADDRSTRLEN];
	struct failent *f = fail_slot(srv, c, true);
	time_t now = time(NULL);

	if (now - f->last > UPSD_FAIL_WINDOW)
		f->count = 0;
	f->count++;
	f->last = now;
	if (f->count > UPSD_FAIL_FREE)
		c->flags |= CL_HELD;
	log_warn("authentication failed for user %s from %s (%s; %u recent failure%s)", c->username,
	         client_addr_str(c, addr, sizeof(addr)), why, f->count, f->count == 1 ? "" : "s");
}

unsigned
auth_fail_delay(struct server *srv, struct client *c)
{
	struct failent *f = fail_slot(srv, c, false);
	unsigned d;

	if (!f || time(NULL) - f->last > UPSD_FAIL_WINDOW || f->count <= UPSD_FAIL_FREE)
		return 0;
	/* Two more seconds per failure beyond the free ones, up to the cap. */
	d = 2 * (f->count - UPSD_FAIL_FREE);
	return d > UPSD_FAIL_DELAY_MAX ? UPSD_FAIL_DELAY_MAX : d;
}

static bool
any_hash(struct server *srv)
{
	for (size_t i = 0; i < srv->users->nusers; i++)
		if (srv->users->users[i].password && passwd_is_hash(srv->users->users[i].password))
			return true;
	return false;
}

/* The user whose USERNAME/PASSWORD this client sent, verified; NULL when
 * unknown, wrong or not allowed from the client's address. */
static const struct upsd_user *
verified_user(struct server *srv, struct client *c)
{
	const struct upsd_user *u;
	int r;

	if (!c->username || !c->password || !srv->users)
		return NULL;
	u = upsd_users_find(srv->users, c->username);
	if (c->flags & CL_AUTH_DONE)
		return (c->flags & CL_AUTH_OK) ? u : NULL;
	c->flags |= CL_AUTH_DONE;
	if (!u || !u->password) {
		/* An unknown user costs about as much as a known one (when
		 * hashes are in use at all). */
		if (!srv->dummy_hash[0] && any_hash(srv))
			(void)passwd_hash("upsguard", srv->dummy_hash, sizeof(srv->dummy_hash));
		if (srv->dummy_hash[0])
			(void)passwd_verify(srv->dummy_hash, c->password);
		note_failure(srv, c, u ? "user has no password" : "no such user in upsd.users");
		return NULL;
	}
	r = passwd_verify(u->password, c->password);
	if (r != 1) {
		note_failure(srv, c, r < 0 ? "unusable password hash" : "wrong password");
		return NULL;
	}
	if (u->nallowfrom && !conf_cidr_match(u->allowfrom, u->nallowfrom, &c->addr.sa)) {
		note_failure(srv, c, "address not in the user's allowfrom in upsd.users");
		return NULL;
	}
	c->flags |= CL_AUTH_OK;
	return u;
}

bool
auth_valid_user(struct server *srv, struct client *c)
{
	return verified_user(srv, c) != NULL;
}

bool
auth_check(struct server *srv, struct client *c, enum auth_right r)
{
	static const unsigned need[] = {
	    [AUTH_LOGIN] = UPSD_ACT_LOGIN,
	    [AUTH_PRIMARY] = UPSD_ACT_PRIMARY,
	    [AUTH_FSD] = UPSD_ACT_FSD,
	    [AUTH_SET] = UPSD_ACT_SET,
	};
	const struct upsd_user *u = verified_user(srv, c);

	return u && (upsd_user_actions(u) & need[r]);
}

bool
auth_check_instcmd(struct server *srv, struct client *c, const char *cmd)
{
	const struct upsd_user *u = verified_user(srv, c);

	if (!u)
		return false;
	if (u->instcmds_all)
		return true;
	for (size_t i = 0; i < u->ninstcmds; i++)
		if (strcasecmp(u->instcmds[i], cmd) == 0)
			return true;
	return false;
}

bool
auth_may_read(struct server *srv, struct client *c)
{
	switch (srv->conf->anonymous_read) {
	case UPSD_ANON_ANY:
		return true;
	case UPSD_ANON_LOOPBACK:
		if (c->flags & CL_LOOPBACK)
			return true;
		break;
	case UPSD_ANON_NONE:
		break;
	}
	return auth_valid_user(srv, c);
}
