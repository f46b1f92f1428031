/*
 * audit: the checks behind upsaudit.  Each finding names what is wrong and
 * the command that fixes it; nothing here changes the system.
 */
#include "audit.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/upsd_conf.h"
#include "conf/upsd_users.h"
#include "str.h"

/* Config files upsguard and NUT read; secrets must not be group-writable
 * or world-readable (upsd and upsmon refuse them). */
static const struct {
	const char *name;
	bool secret;
} conf_files[] = {
    {"ups.conf", false},     {"upsd.conf", false},     {"upsd.users", true},
    {"upsmon.conf", true},   {"upssched.conf", false}, {"hosts.conf", false},
    {"upsweb.conf", true},   {"rootwrap.conf", false},
};

/* Programs whose processes are audited, and whether one root instance is
 * expected (upsmon's privileged part). */
static const struct {
	const char *comm;
	bool root_part_allowed;
} audited_programs[] = {
    {"upsd", false},    {"upsmon", true},     {"upsweb", false},   {"upssched", false},
    {"dummy-ups", false}, {"usbhid-ups", false}, {"nutdrv_qx", false}, {"blazer_usb", false},
    {"blazer_ser", false}, {"apcsmart", false}, {"snmp-ups", false},
};

/* Exposure targets of issue 10 for the shipped units (0-10 scale). */
static const struct {
	const char *prefix;
	double target;
} unit_targets[] = {
    {"upsguard-server-socket.service", 0.4}, {"upsguard-server.service", 1.0},
    {"upsguard-driver@", 0.5},               {"upsguard-web.service", 1.0},
    {"upsguard-monitor.service", 2.0},       {"nut-", 5.0},
};

void
audit_init(struct audit *a, const struct audit_options *opt)
{
	memset(a, 0, sizeof(*a));
	a->opt = *opt;
	if (!a->opt.root)
		a->opt.root = "";
	if (!a->opt.group)
		a->opt.group = "upsguard";
}

void
audit_free(struct audit *a)
{
	free(a->findings);
	a->findings = NULL;
	a->nfindings = 0;
}

static void __attribute__((format(printf, 5, 6)))
add(struct audit *a, enum audit_severity sev, const char *check, const char *subject,
    const char *fmt, ...)
{
	struct audit_finding *f;
	va_list ap;

	if (!a->findings) {
		a->findings = calloc(AUDIT_MAX_FINDINGS, sizeof(*a->findings));
		if (!a->findings) {
			a->truncated = true;
			return;
		}
	}
	if (a->nfindings >= AUDIT_MAX_FINDINGS) {
		a->truncated = true;
		return;
	}
	f = &a->findings[a->nfindings++];
	f->severity = sev;
	f->check = check;
	str_copy(f->subject, subject, sizeof(f->subject));
	va_start(ap, fmt);
	(void)vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

/* Attach the fix to the finding added last. */
static void __attribute__((format(printf, 2, 3)))
fix(struct audit *a, const char *fmt, ...)
{
	va_list ap;

	if (a->nfindings == 0 || a->truncated)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(a->findings[a->nfindings - 1].fix, AUDIT_TEXT_MAX, fmt, ap);
	va_end(ap);
}

/* The path as seen on the live system, and as found under --root. */
static void
paths(const struct audit *a, const char *dir, const char *name, char *live, char *real)
{
	if (name)
		(void)snprintf(live, PATH_MAX, "%s/%s", dir, name);
	else
		(void)snprintf(live, PATH_MAX, "%s", dir);
	(void)snprintf(real, PATH_MAX, "%s%s", a->opt.root, live);
}

static void
check_owner_and_write(struct audit *a, const char *live, const struct stat *st, bool dir)
{
	if (st->st_uid != 0) {
		add(a, AUDIT_ERROR, "ownership", live,
		    "%s is owned by uid %u, not root: its owner can change what upsguard trusts",
		    dir ? "directory" : "file", (unsigned)st->st_uid);
		fix(a, "chown root:%s %s", a->opt.group, live);
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		add(a, AUDIT_ERROR, "permissions", live, "%s is writable by %s (mode %04o)",
		    dir ? "directory" : "file", (st->st_mode & S_IWOTH) ? "everyone" : "its group",
		    (unsigned)(st->st_mode & 07777));
		fix(a, "chmod go-w %s", live);
	}
}

void
audit_check_config_files(struct audit *a)
{
	char live[PATH_MAX], real[PATH_MAX];
	struct stat st;

	paths(a, a->opt.confdir, NULL, live, real);
	if (lstat(real, &st) < 0) {
		add(a, AUDIT_WARNING, "config", live, "configuration directory is missing: %s",
		    strerror(errno));
		fix(a, "install -d -m 0755 -o root -g %s %s", a->opt.group, live);
		return;
	}
	check_owner_and_write(a, live, &st, true);
	for (size_t i = 0; i < sizeof(conf_files) / sizeof(conf_files[0]); i++) {
		paths(a, a->opt.confdir, conf_files[i].name, live, real);
		if (lstat(real, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			add(a, AUDIT_WARNING, "config", live,
			    "is a symbolic link: the link's target decides what is trusted");
			fix(a, "replace the link with the file itself (cp --remove-destination "
			       "\"$(readlink -f %s)\" %s)",
			    live, live);
			continue;
		}
		check_owner_and_write(a, live, &st, false);
		if (conf_files[i].secret && (st.st_mode & S_IROTH)) {
			add(a, AUDIT_ERROR, "secrets", live,
			    "holds passwords and is world-readable (mode %04o)",
			    (unsigned)(st.st_mode & 07777));
			fix(a, "chmod 0640 %s && chown root:%s %s", live, a->opt.group, live);
		}
	}
}

void
audit_check_statepath(struct audit *a)
{
	char live[PATH_MAX], real[PATH_MAX];
	struct stat st;

	paths(a, a->opt.statepath, NULL, live, real);
	if (stat(real, &st) < 0) {
		add(a, AUDIT_INFO, "statepath", live, "state directory does not exist (yet): %s",
		    strerror(errno));
		fix(a, "install -d -m 0770 -o root -g %s %s", a->opt.group, live);
		return;
	}
	if (st.st_mode & S_IWOTH) {
		add(a, AUDIT_ERROR, "statepath", live,
		    "state directory is world-writable (mode %04o): anyone can plant a fake "
		    "driver socket",
		    (unsigned)(st.st_mode & 07777));
		fix(a, "chmod 0770 %s && chown root:%s %s", live, a->opt.group, live);
	} else if (st.st_mode & (S_IROTH | S_IXOTH)) {
		add(a, AUDIT_WARNING, "statepath", live,
		    "state directory is open to other users (mode %04o): anyone may send SET "
		    "and INSTCMD to the drivers' sockets",
		    (unsigned)(st.st_mode & 07777));
		fix(a, "chmod 0770 %s", live);
	}
}

/* Load a config file below --root; report its errors as findings. */
static void
report_diag(struct audit *a, const char *live, const struct conf_diag *diag)
{
	for (size_t i = 0; i < diag->nmsgs; i++) {
		const char *text = diag->msgs[i].text;
		bool listen = strstr(text, "LISTEN") && strstr(text, "not a loopback");

		if (diag->msgs[i].warning)
			continue;
		add(a, AUDIT_ERROR, listen ? "listen" : "config", live, "%s", text);
		if (listen)
			fix(a, "set CERTFILE in %s (STARTTLS), or listen on loopback only: "
			       "LISTEN 127.0.0.1",
			    live);
		else
			fix(a, "correct the line named above; upsd -t checks the file");
	}
}

void
audit_check_users(struct audit *a)
{
	char live[PATH_MAX], real[PATH_MAX];
	struct upsd_users *users = NULL;
	struct conf_diag diag;

	paths(a, a->opt.confdir, "upsd.users", live, real);
	if (access(real, F_OK) < 0)
		return;
	conf_diag_init(&diag);
	if (upsd_users_load(real, &users, &diag) < 0) {
		report_diag(a, live, &diag);
		conf_diag_free(&diag);
		return;
	}
	conf_diag_free(&diag);
	for (size_t i = 0; i < users->nusers; i++) {
		const struct upsd_user *u = &users->users[i];
		char subject[PATH_MAX + CONF_MAX_NAME + 8];

		(void)snprintf(subject, sizeof(subject), "%s [%s]", live, u->name);
		if (u->password && !upsd_user_password_is_hash(u)) {
			add(a, AUDIT_WARNING, "users", subject,
			    "password is stored in plaintext; anyone who reads the file can use it");
			fix(a, "upspasswd -f %s change %s", live, u->name);
		}
		if (u->instcmds_all) {
			add(a, AUDIT_WARNING, "users", subject,
			    "instcmds = ALL lets this user run every instant command, including "
			    "load.off and shutdown.*");
			fix(a, "list only the commands the user needs: instcmds = <command> ... in %s",
			    live);
		}
	}
	upsd_users_free(users);
}

/* CERTFILE holds the private key: nobody but root and upsd's group may read it. */
static void
check_certfile(struct audit *a, const char *certfile)
{
	char real[PATH_MAX];
	struct stat st;

	(void)snprintf(real, sizeof(real), "%s%s", a->opt.root, certfile);
	if (stat(real, &st) < 0) {
		add(a, AUDIT_ERROR, "certificate", certfile, "CERTFILE cannot be read: %s",
		    strerror(errno));
		fix(a, "create it (certificate chain and key in one PEM file) or remove CERTFILE");
		return;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		add(a, AUDIT_ERROR, "certificate", certfile,
		    "holds the TLS private key and is open to others (mode %04o)",
		    (unsigned)(st.st_mode & 07777));
		fix(a, "chmod 0640 %s && chown root:%s %s", certfile, a->opt.group, certfile);
	}
}

void
audit_check_listen(struct audit *a)
{
	char live[PATH_MAX], real[PATH_MAX];
	struct upsd_conf *conf = NULL;
	struct conf_diag diag;

	paths(a, a->opt.confdir, "upsd.conf", live, real);
	if (access(real, F_OK) < 0)
		return;
	conf_diag_init(&diag);
	if (upsd_conf_load(real, &conf, &diag) < 0) {
		report_diag(a, live, &diag);
		conf_diag_free(&diag);
		return;
	}
	conf_diag_free(&diag);
	for (size_t i = 0; i < conf->nlisten; i++) {
		const struct upsd_listen *l = &conf->listen[i];

		if (upsd_conf_addr_is_loopback(l->addr) || conf->certfile)
			continue;
		add(a, AUDIT_WARNING, "listen", live,
		    "LISTEN %s %u without TLS (allowed by ALLOW_PLAINTEXT_LISTEN): passwords "
		    "cross the network in clear",
		    l->addr, l->port);
		fix(a, "set CERTFILE in %s and use --tls/FORCESSL on the clients", live);
	}
	if (conf->certfile)
		check_certfile(a, conf->certfile);
	upsd_conf_free(conf);
}

/* Read "Key:\tvalue" from a /proc status text; empty when absent. */
static void
status_field(const char *status, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = status;

	out[0] = '\0';
	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			size_t n = strcspn(p, "\n");
			if (n >= size)
				n = size - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

static int
read_small_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (int)n;
}

static int
program_index(const char *comm)
{
	for (size_t i = 0; i < sizeof(audited_programs) / sizeof(audited_programs[0]); i++)
		if (strcmp(comm, audited_programs[i].comm) == 0)
			return (int)i;
	return -1;
}

static void
check_one_process(struct audit *a, const char *pid, const char *comm, bool root_allowed,
    const char *status)
{
	char uid[64], capeff[32], nnp[8], seccomp[8], subject[PATH_MAX];
	bool is_root;

	status_field(status, "Uid", uid, sizeof(uid));
	status_field(status, "CapEff", capeff, sizeof(capeff));
	status_field(status, "NoNewPrivs", nnp, sizeof(nnp));
	status_field(status, "Seccomp", seccomp, sizeof(seccomp));
	(void)snprintf(subject, sizeof(subject), "%s[%s]", comm, pid);
	is_root = strtol(uid, NULL, 10) == 0 || strstr(uid, "\t0") || strstr(uid, " 0");
	if (is_root && !root_allowed) {
		add(a, AUDIT_ERROR, "process", subject,
		    "runs as root (Uid %s) although it parses network or device data", uid);
		fix(a, "restart it from its upsguard unit, or with -u <user> as an unprivileged "
		       "user");
		return;
	}
	if (is_root)
		return; /* upsmon's privileged part: its capabilities come from its unit */
	if (strtoull(capeff, NULL, 16) != 0) {
		add(a, AUDIT_ERROR, "process", subject, "holds capabilities (CapEff %s)", capeff);
		fix(a, "run it with CapabilityBoundingSet= empty (see upsguard's units)");
	}
	if (strcmp(nnp, "1") != 0 || strcmp(seccomp, "2") != 0) {
		add(a, AUDIT_WARNING, "sandbox", subject,
		    "runs without its sandbox (NoNewPrivs %s, Seccomp %s)", nnp[0] ? nnp : "?",
		    seccomp[0] ? seccomp : "?");
		fix(a, "use upsguard's %s, which applies no-new-privileges, Landlock and seccomp",
		    comm);
	}
}

void
audit_check_processes(struct audit *a)
{
	char path[PATH_MAX], comm[64], status[4096];
	struct dirent *de;
	DIR *d = opendir(a->opt.procdir);
	int roots_seen = 0;

	if (!d) {
		add(a, AUDIT_INFO, "process", a->opt.procdir, "cannot read: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		int idx;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s/comm", a->opt.procdir, de->d_name);
		if (read_small_file(path, comm, sizeof(comm)) <= 0)
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		idx = program_index(comm);
		if (idx < 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s/status", a->opt.procdir, de->d_name);
		if (read_small_file(path, status, sizeof(status)) <= 0)
			continue;
		bool root_ok = audited_programs[idx].root_part_allowed && roots_seen == 0;
		char uid[64];
		status_field(status, "Uid", uid, sizeof(uid));
		if (root_ok && strtol(uid, NULL, 10) == 0)
			roots_seen++;
		check_one_process(a, de->d_name, comm, root_ok, status);
	}
	closedir(d);
}

static double
unit_target(const char *name)
{
	for (size_t i = 0; i < sizeof(unit_targets) / sizeof(unit_targets[0]); i++)
		if (strncmp(name, unit_targets[i].prefix, strlen(unit_targets[i].prefix)) == 0)
			return unit_targets[i].target;
	return -1;
}

/* Score one unit file with systemd-analyze; returns the exposure or -1. */
static double
unit_score(const char *unit_path)
{
	char cmd[PATH_MAX + 128], line[512];
	double score = -1;
	FILE *p;

	if (strchr(unit_path, '\''))
		return -1;
	(void)snprintf(cmd, sizeof(cmd),
	    "systemd-analyze security --offline=true --no-pager '%s' 2>/dev/null", unit_path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		const char *m = strstr(line, "Overall exposure level for ");
		if (m) {
			m = strchr(m + 27, ':');
			if (m)
				score = strtod(m + 1, NULL);
		}
	}
	(void)pclose(p);
	return score;
}

void
audit_check_units(struct audit *a)
{
	char real[PATH_MAX], live[PATH_MAX];

	for (size_t u = 0; u < a->opt.nunitdirs; u++) {
		struct dirent *de;
		DIR *d;

		paths(a, a->opt.unitdirs[u], NULL, live, real);
		d = opendir(real);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			double target = unit_target(de->d_name), score;
			size_t len = strlen(de->d_name);

			if (target < 0 || len < 8 || strcmp(de->d_name + len - 8, ".service"))
				continue;
			paths(a, a->opt.unitdirs[u], de->d_name, live, real);
			score = unit_score(real);
			if (score < 0) {
				add(a, AUDIT_INFO, "unit", live,
				    "could not be scored (is systemd-analyze installed?)");
				continue;
			}
			if (score > target) {
				add(a, score >= 5.0 ? AUDIT_ERROR : AUDIT_WARNING, "unit", live,
				    "exposure %.1f is above upsguard's target %.1f", score, target);
				fix(a, "systemd-analyze security --offline=true %s  # then harden it "
				       "or use upsguard's shipped unit",
				    live);
			}
		}
		closedir(d);
	}
}

void
audit_run_all(struct audit *a)
{
	audit_check_config_files(a);
	audit_check_users(a);
	audit_check_listen(a);
	audit_check_statepath(a);
	if (a->opt.procdir)
		audit_check_processes(a);
	if (a->opt.nunitdirs)
		audit_check_units(a);
}

int
audit_worst(const struct audit *a)
{
	int worst = -1;

	for (size_t i = 0; i < a->nfindings; i++)
		if ((int)a->findings[i].severity > worst)
			worst = (int)a->findings[i].severity;
	return worst;
}

const char *
audit_severity_name(enum audit_severity s)
{
	switch (s) {
	case AUDIT_INFO:
		return "info";
	case AUDIT_WARNING:
		return "warning";
	case AUDIT_ERROR:
		return "error";
	}
	return "?";
}

void
audit_print_text(const struct audit *a, FILE *f)
{
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct audit_finding *x = &a->findings[i];

		fprintf(f, "%-7s %-11s %s: %s\n", audit_severity_name(x->severity), x->check,
		    x->subject, x->message);
		if (x->fix[0])
			fprintf(f, "        fix: %s\n", x->fix);
	}
	if (a->truncated)
		fprintf(f, "(more than %d findings; the rest were dropped)\n", AUDIT_MAX_FINDINGS);
	if (a->nfindings == 0)
		fprintf(f, "no findings\n");
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
audit_print_json(const struct audit *a, FILE *f)
{
	int worst = audit_worst(a);

	fprintf(f, "{\"worst\":");
	if (worst < 0)
		fprintf(f, "null");
	else
		json_string(f, audit_severity_name((enum audit_severity)worst));
	fprintf(f, ",\"truncated\":%s,\"findings\":[", a->truncated ? "true" : "false");
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct audit_finding *x = &a->findings[i];

		fprintf(f, "%s{\"severity\":", i ? "," : "");
		json_string(f, audit_severity_name(x->severity));
		fprintf(f, ",\"check\":");
		json_string(f, x->check);
		fprintf(f, ",\"subject\":");
		json_string(f, x->subject);
		fprintf(f, ",\"message\":");
		json_string(f, x->message);
		fprintf(f, ",\"fix\":");
		json_string(f, x->fix);
		fputc('}', f);
	}
	fprintf(f, "]}\n");
}
