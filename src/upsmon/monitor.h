/*
 * monitor: upsmon's decisions, as pure logic over a clock the caller gives.
 *
 * The [net] process feeds it poll results and asks it what to do; the unit
 * tests drive it with a fake clock.  It implements NUT 2.8.x semantics
 * (reference nut-protocol-and-peers.md 4.2-4.4): notification edges,
 * DEADTIME promotion of a silent OB UPS to OB+LB, the "critical" rules,
 * the power-value sum against MINSUPPLIES, and the shutdown sequence
 * (FSD -> wait for secondaries up to HOSTSYNC -> SHUTDOWN notice ->
 * FINALDELAY -> request the shutdown).
 *
 * Times are milliseconds of a monotonic clock; settings are seconds.
 */
#ifndef UPSMON_MONITOR_H
#define UPSMON_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MON_NAME_MAX 128   /* "ups@host:port", NUL included */
#define MON_DETAIL_MAX 256 /* alarm text or unclassified tokens kept for edges */

/* Status flags (ups.status tokens upsmon interprets). */
enum mon_flag {
	MF_OL = 1u << 0,
	MF_OB = 1u << 1,
	MF_LB = 1u << 2,
	MF_RB = 1u << 3,
	MF_FSD = 1u << 4,
	MF_CAL = 1u << 5,
	MF_OFF = 1u << 6,
	MF_BYPASS = 1u << 7,
	MF_ECO = 1u << 8,
	MF_ALARM = 1u << 9,
	MF_OVER = 1u << 10,
	MF_TRIM = 1u << 11,
	MF_BOOST = 1u << 12,
	MF_OTHER = 1u << 13,
};

struct mon_settings {
	int minsupplies;
	int deadtime;
	int hostsync;
	int finaldelay;
	int rbwarntime;
	int nocommwarntime;
	int offduration;  /* < 0 disables */
	int overduration; /* < 0 disables */
	int oblbduration; /* <= 0: act at once */
	bool alarmcritical;
};

/* NUT's defaults (clients/upsmon.c 2.8.5). */
void mon_settings_default(struct mon_settings *s);

struct mon_ups {
	char name[MON_NAME_MAX]; /* as written in MONITOR, used in messages */
	unsigned pv;             /* power value */
	bool primary;
	/* state below is the monitor's */
	unsigned flags;
	int commstate; /* -1 never polled, 0 lost, 1 ok */
	int linestate; /* -1 at start, 0 on battery, 1 on line */
	bool polled;   /* at least one good poll */
	bool rb_warned, nc_warned, fsd_notified;
	int64_t lastpoll, lastnoncrit, lastrbwarn, lastncwarn;
	int64_t offsince, oversince, oblbsince;
	char alarm[MON_DETAIL_MAX];
	char other[MON_DETAIL_MAX];
};

typedef void (*mon_notify_fn)(void *ctx, unsigned event, const char *ups, const char *detail);

enum mon_sd {
	MON_SD_NONE,  /* monitoring */
	MON_SD_FSD,   /* shutdown decided: the caller sends FSD to primary UPSes */
	MON_SD_SYNC,  /* primary: waiting for secondaries (NUMLOGINS <= 1) */
	MON_SD_FINAL, /* SHUTDOWN notice given, waiting FINALDELAY */
	MON_SD_DONE,  /* the caller must request the shutdown now */
};

struct mon {
	struct mon_settings s;
	struct mon_ups *ups;
	size_t nups;
	mon_notify_fn notify;
	void *ctx;
	enum mon_sd sd;
	int64_t sd_deadline;
	bool hostsync_notified;
	bool userfsd;
};

/* Attach ups[0..n) (owned by the caller) and start the clocks at now. */
void mon_init(struct mon *m, const struct mon_settings *s, struct mon_ups *ups, size_t n,
    mon_notify_fn notify, void *ctx, int64_t now);

/* Sum of all power values; the caller refuses to start when < minsupplies. */
unsigned mon_total_pv(const struct mon *m);

/* Parse a ups.status value (and ups.mode.buzzwords, may be NULL) into
 * flags; unclassified tokens go to other (space-separated, cut to size). */
unsigned mon_parse_status(const char *status, const char *buzzwords, char *other, size_t size);

/* A good poll of UPS i: its status, ups.alarm (may be NULL), buzzwords. */
void mon_poll_ok(struct mon *m, size_t i, int64_t now, const char *status, const char *alarm,
    const char *buzzwords);

/* A failed poll of UPS i (connection down, error reply, timeout). */
void mon_poll_failed(struct mon *m, size_t i, int64_t now);

/* Whether UPS i is critical now (after DEADTIME promotion). */
bool mon_is_critical(struct mon *m, size_t i, int64_t now);

/*
 * After polling everything: promote dead UPSes, sum the power values of
 * non-critical ones, and start the shutdown sequence when the sum is below
 * MINSUPPLIES or an FSD was requested.  Returns true when it started.
 */
bool mon_recalc(struct mon *m, int64_t now);

/* `upsmon -c fsd`: the next mon_recalc() starts the shutdown. */
void mon_request_fsd(struct mon *m);

/* Start the shutdown sequence now (also called by mon_recalc). */
void mon_shutdown_begin(struct mon *m, int64_t now);

/* MON_SD_FSD: the caller sent FSD to every primary UPS; notifies FSD once
 * per UPS and moves on to SYNC (primary) or FINAL (secondary only). */
void mon_fsd_sent(struct mon *m, int64_t now);

/* MON_SD_SYNC: the largest NUMLOGINS seen on our primary UPSes (-1 if none
 * could be read). Moves to FINAL when <= 1 or HOSTSYNC has passed. */
void mon_sync_logins(struct mon *m, int64_t now, int maxlogins);

/* MON_SD_FINAL: moves to DONE once FINALDELAY has passed; true then. */
bool mon_final_due(struct mon *m, int64_t now);

/* Whether this host is primary for at least one UPS. */
bool mon_any_primary(const struct mon *m);

#endif
