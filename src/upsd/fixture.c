/*
 * fixture: see fixture.h.
 */
#include "config.h"

#include "fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char users_text[] = "[admin]\n password = secret\n actions = SET FSD\n"
                                 " instcmds = ALL\n"
                                 "[mon]\n password = m\n upsmon primary\n"
                                 "[sec]\n password = s\n upsmon secondary\n"
                                 "[far]\n password = f\n actions = SET\n allowfrom = 10.0.0.0/8\n";

static void
fill_tree(struct st_tree *t)
{
	(void)st_set(t, "ups.status", "OL CHRG");
	(void)st_set(t, "ups.id", "has \"quote\" \\ and #");
	(void)st_set_flags(t, "ups.id", ST_F_RW | ST_F_STRING);
	(void)st_set_aux(t, "ups.id", 8);
	(void)st_set(t, "input.sensitivity", "H");
	(void)st_set_flags(t, "input.sensitivity", ST_F_RW);
	(void)st_add_enum(t, "input.sensitivity", "H");
	(void)st_add_enum(t, "input.sensitivity", "L");
	(void)st_set(t, "ups.delay.shutdown", "20");
	(void)st_set_flags(t, "ups.delay.shutdown", ST_F_RW | ST_F_NUMBER);
	(void)st_add_range(t, "ups.delay.shutdown", 0, 100);
	(void)st_set(t, "battery.charge", "100");
	(void)st_set(t, "ups.bad", "x");
	(void)st_set_flags(t, "ups.bad", ST_F_RW | ST_F_STRING);
	(void)st_add_cmd(t, "load.off");
	(void)st_add_cmd(t, "test.battery.start");
}

int
fixture_init(struct fixture *f, const char *upsd_conf)
{
	const char *cf = upsd_conf ? upsd_conf : "ANONYMOUS_READ any\n";
	char name[] = "dev", driver[] = "dummy", port[] = "x", desc[] = "Test \"dev\"";
	struct ups_conf_ups cu = {.name = name, .driver = driver, .port = port, .desc = desc};
	struct conf_diag d;
	int sv[2];

	memset(f, 0, sizeof(*f));
	f->driver_fd = -1;
	tok_init(&f->srv.shared_tok);
	conf_diag_init(&d);
	if (upsd_conf_parse("upsd.conf", cf, strlen(cf), &f->srv.conf, &d) < 0 ||
	    upsd_users_parse("upsd.users", users_text, sizeof(users_text) - 1, &f->srv.users, &d) <
	        0) {
		conf_diag_free(&d);
		return -EINVAL;
	}
	conf_diag_free(&d);
	f->srv.statepath = strdup("/nonexistent");
	f->srv.base = event_base_new();
	if (!f->srv.base || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -ENOMEM;
	f->ups = ups_new(&f->srv, &cu);
	if (!f->ups)
		return -ENOMEM;
	f->srv.upses = f->ups;
	evutil_make_socket_nonblocking(sv[0]);
	f->ups->bev = bufferevent_socket_new(f->srv.base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_enable(f->ups->bev, EV_WRITE);
	f->driver_fd = sv[1];
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	f->ups->dumpdone = true;
	f->ups->last_heard = time(NULL);
	fill_tree(&f->ups->tree);
	f->c = calloc(1, sizeof(*f->c));
	if (!f->c)
		return -ENOMEM;
	f->c->srv = &f->srv;
	f->c->fd = -1;
	f->c->seq = 1;
	f->c->flags = CL_LOOPBACK;
	f->c->addr.in4.sin_family = AF_INET;
	f->c->addr.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->srv.clients_head = f->srv.clients_tail = f->c;
	f->srv.nclients = 1;
	return 0;
}

const char *
fixture_feed(struct fixture *f, const char *data, size_t len)
{
	struct tokenizer *t = &f->srv.shared_tok;
	size_t off = 0;

	f->srv.reply.len = 0;
	while (off < len) {
		int ret;

		off += tok_feed(t, data + off, len - off, &ret);
		if (ret == TOK_LINE)
			netcmd_dispatch(&f->srv, f->c, &t->line);
	}
	f->c->flags &= ~(CL_HELD | CL_STARTTLS | CL_CLOSING);
	obuf_add(&f->srv.reply, "", 1);
	if (f->srv.reply.len)
		f->srv.reply.len--;
	return f->srv.reply.buf ? f->srv.reply.buf : "";
}

size_t
fixture_driver_read(struct fixture *f, char *buf, size_t size)
{
	ssize_t n;

	(void)event_base_loop(f->srv.base, EVLOOP_NONBLOCK);
	n = read(f->driver_fd, buf, size - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return (size_t)n;
}

void
fixture_free(struct fixture *f)
{
	if (f->c) {
		free(f->c->username);
		free(f->c->password);
		free(f->c);
	}
	while (f->srv.upses) {
		struct ups *u = f->srv.upses;

		f->srv.upses = u->next;
		ups_free(u);
	}
	if (f->driver_fd >= 0)
		close(f->driver_fd);
	tracking_free(&f->srv);
	upsd_conf_free(f->srv.conf);
	upsd_users_free(f->srv.users);
	obuf_free(&f->srv.reply);
	tok_free(&f->srv.shared_tok);
	if (f->srv.base)
		event_base_free(f->srv.base);
	free(f->srv.statepath);
}
