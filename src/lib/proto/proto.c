/*
 * proto: error words and description tables of the network protocol.
 *
 * The description texts are upsguard's own wording of the standard names
 * (RFC 9271 / nut-names).  Both tables are sorted by name so lookups are a
 * binary search; a unit test checks the order.
 */
#include "proto.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const err_words[PROTO_E_COUNT] = {
    [PROTO_E_ACCESS_DENIED] = "ACCESS-DENIED",
    [PROTO_E_UNKNOWN_UPS] = "UNKNOWN-UPS",
    [PROTO_E_VAR_NOT_SUPPORTED] = "VAR-NOT-SUPPORTED",
    [PROTO_E_CMD_NOT_SUPPORTED] = "CMD-NOT-SUPPORTED",
    [PROTO_E_INVALID_ARGUMENT] = "INVALID-ARGUMENT",
    [PROTO_E_INSTCMD_FAILED] = "INSTCMD-FAILED",
    [PROTO_E_SET_FAILED] = "SET-FAILED",
    [PROTO_E_READONLY] = "READONLY",
    [PROTO_E_TOO_LONG] = "TOO-LONG",
    [PROTO_E_FEATURE_NOT_SUPPORTED] = "FEATURE-NOT-SUPPORTED",
    [PROTO_E_FEATURE_NOT_CONFIGURED] = "FEATURE-NOT-CONFIGURED",
    [PROTO_E_ALREADY_SSL_MODE] = "ALREADY-SSL-MODE",
    [PROTO_E_DRIVER_NOT_CONNECTED] = "DRIVER-NOT-CONNECTED",
    [PROTO_E_DATA_STALE] = "DATA-STALE",
    [PROTO_E_ALREADY_LOGGED_IN] = "ALREADY-LOGGED-IN",
    [PROTO_E_INVALID_PASSWORD] = "INVALID-PASSWORD",
    [PROTO_E_ALREADY_SET_PASSWORD] = "ALREADY-SET-PASSWORD",
    [PROTO_E_INVALID_USERNAME] = "INVALID-USERNAME",
    [PROTO_E_ALREADY_SET_USERNAME] = "ALREADY-SET-USERNAME",
    [PROTO_E_USERNAME_REQUIRED] = "USERNAME-REQUIRED",
    [PROTO_E_PASSWORD_REQUIRED] = "PASSWORD-REQUIRED",
    [PROTO_E_UNKNOWN_COMMAND] = "UNKNOWN-COMMAND",
    [PROTO_E_INVALID_VALUE] = "INVALID-VALUE",
    [PROTO_E_VAR_UNKNOWN] = "VAR-UNKNOWN",
    [PROTO_E_UNKNOWN_TYPE] = "UNKNOWN-TYPE",
    [PROTO_E_UNKNOWN_INSTCMD] = "UNKNOWN-INSTCMD",
    [PROTO_E_MISSING_ARGUMENT] = "MISSING-ARGUMENT",
    [PROTO_E_PASSWORD_INCORRECT] = "PASSWORD-INCORRECT",
    [PROTO_E_UNKNOWN_VAR] = "UNKNOWN-VAR",
};

const char *
proto_err_word(enum proto_err e)
{
	if ((int)e < 0 || e >= PROTO_E_COUNT)
		return NULL;
	return err_words[e];
}

int
proto_err_from_word(const char *word)
{
	for (int i = 0; i < PROTO_E_COUNT; i++)
		if (strcmp(err_words[i], word) == 0)
			return i;
	return -1;
}

struct desc {
	const char *name;
	const char *text;
};

/* Sorted by strcasecmp of name. */
static const struct desc var_descs[] = {
    {"ambient.humidity", "Relative humidity around the device (percent)"},
    {"ambient.humidity.high", "Upper humidity alarm threshold (percent)"},
    {"ambient.humidity.low", "Lower humidity alarm threshold (percent)"},
    {"ambient.temperature", "Temperature around the device (degrees C)"},
    {"ambient.temperature.high", "Upper ambient temperature alarm threshold (degrees C)"},
    {"ambient.temperature.low", "Lower ambient temperature alarm threshold (degrees C)"},
    {"battery.charge", "Charge of the battery (percent)"},
    {"battery.charge.low", "Charge at which the device reports low battery (percent)"},
    {"battery.charge.restart", "Charge needed before the load is switched back on (percent)"},
    {"battery.charge.warning", "Charge at which the device warns of a draining battery (percent)"},
    {"battery.current", "Current flowing through the battery (A)"},
    {"battery.date", "Date the battery was installed or last replaced"},
    {"battery.mfr.date", "Date the battery was made"},
    {"battery.packs", "Number of battery packs"},
    {"battery.packs.bad", "Number of battery packs found faulty"},
    {"battery.runtime", "Estimated time the battery can carry the load (seconds)"},
    {"battery.runtime.low", "Remaining runtime at which the device reports low battery (seconds)"},
    {"battery.temperature", "Temperature of the battery (degrees C)"},
    {"battery.type", "Battery chemistry"},
    {"battery.voltage", "Voltage across the battery (V)"},
    {"battery.voltage.high", "Voltage of a fully charged battery (V)"},
    {"battery.voltage.low", "Voltage of an empty battery (V)"},
    {"battery.voltage.nominal", "Rated battery voltage (V)"},
    {"device.contact", "Person responsible for the device"},
    {"device.description", "Free-text description of the device"},
    {"device.location", "Where the device is installed"},
    {"device.mfr", "Maker of the device"},
    {"device.model", "Model name of the device"},
    {"device.serial", "Serial number of the device"},
    {"device.type", "Kind of device (ups, pdu, ats, ...)"},
    {"device.uptime", "Time the device has been running (seconds)"},
    {"driver.flag.allow_killpower", "Driver may send the power-kill command"},
    {"driver.name", "Name of the driver serving this device"},
    {"driver.parameter.pollinterval", "Seconds between two polls of the device"},
    {"driver.parameter.port", "Device port the driver uses"},
    {"driver.parameter.synchronous", "Whether the driver waits for upsd to read each update"},
    {"driver.version", "Version of the driver package"},
    {"driver.version.data", "Version of the driver's data mapping"},
    {"driver.version.internal", "Internal version of the driver"},
    {"input.current", "Current drawn from the mains (A)"},
    {"input.current.nominal", "Rated input current (A)"},
    {"input.frequency", "Frequency of the mains (Hz)"},
    {"input.frequency.nominal", "Rated input frequency (Hz)"},
    {"input.sensitivity", "How sensitive the device is to mains disturbances"},
    {"input.transfer.high", "Input voltage above which the device goes to battery (V)"},
    {"input.transfer.low", "Input voltage below which the device goes to battery (V)"},
    {"input.transfer.reason", "Why the device last went to battery"},
    {"input.voltage", "Voltage of the mains (V)"},
    {"input.voltage.maximum", "Highest mains voltage seen (V)"},
    {"input.voltage.minimum", "Lowest mains voltage seen (V)"},
    {"input.voltage.nominal", "Rated mains voltage (V)"},
    {"outlet.current", "Current drawn by the outlets (A)"},
    {"outlet.desc", "Description of the outlet"},
    {"outlet.id", "Identifier of the outlet"},
    {"outlet.power", "Apparent power drawn by the outlets (VA)"},
    {"outlet.realpower", "Real power drawn by the outlets (W)"},
    {"outlet.switchable", "Whether the outlet can be switched"},
    {"outlet.voltage", "Voltage at the outlets (V)"},
    {"output.current", "Current delivered to the load (A)"},
    {"output.current.nominal", "Rated output current (A)"},
    {"output.frequency", "Frequency delivered to the load (Hz)"},
    {"output.frequency.nominal", "Rated output frequency (Hz)"},
    {"output.voltage", "Voltage delivered to the load (V)"},
    {"output.voltage.nominal", "Rated output voltage (V)"},
    {"server.info", "Name and version of the server"},
    {"server.version", "Version of the server"},
    {"ups.alarm", "Alarms the device reports"},
    {"ups.beeper.status", "State of the audible alarm"},
    {"ups.delay.reboot", "Delay before the load is power-cycled (seconds)"},
    {"ups.delay.shutdown", "Delay before the load is switched off (seconds)"},
    {"ups.delay.start", "Delay before the load is switched back on (seconds)"},
    {"ups.efficiency", "Ratio of output to input power (percent)"},
    {"ups.firmware", "Firmware version of the device"},
    {"ups.firmware.aux", "Firmware version of an auxiliary processor"},
    {"ups.id", "Name the administrator gave the device"},
    {"ups.load", "Load on the device (percent of its capacity)"},
    {"ups.load.high", "Load above which the device raises an overload alarm (percent)"},
    {"ups.mfr", "Maker of the device"},
    {"ups.mfr.date", "Date the device was made"},
    {"ups.model", "Model name of the device"},
    {"ups.power", "Apparent power delivered (VA)"},
    {"ups.power.nominal", "Rated apparent power (VA)"},
    {"ups.productid", "USB product id of the device"},
    {"ups.realpower", "Real power delivered (W)"},
    {"ups.realpower.nominal", "Rated real power (W)"},
    {"ups.serial", "Serial number of the device"},
    {"ups.shutdown", "Shutdown ability of the device"},
    {"ups.start.auto", "Whether the load comes back on by itself when power returns"},
    {"ups.start.battery", "Whether the device may start on battery"},
    {"ups.start.reboot", "Whether the device power-cycles the load after a shutdown"},
    {"ups.status", "Device status flags (OL, OB, LB, ...)"},
    {"ups.temperature", "Temperature inside the device (degrees C)"},
    {"ups.test.date", "Date of the last self-test"},
    {"ups.test.interval", "Time between automatic self-tests (seconds)"},
    {"ups.test.result", "Outcome of the last self-test"},
    {"ups.timer.reboot", "Time left before the load is power-cycled (seconds)"},
    {"ups.timer.shutdown", "Time left before the load is switched off (seconds)"},
    {"ups.timer.start", "Time left before the load is switched on (seconds)"},
    {"ups.type", "Design of the device (online, line-interactive, ...)"},
    {"ups.vendorid", "USB vendor id of the device"},
    {"ups.watchdog.status", "State of the device's watchdog"},
};

static const struct desc cmd_descs[] = {
    {"beeper.disable", "Silence the audible alarm for good"},
    {"beeper.enable", "Turn the audible alarm on"},
    {"beeper.mute", "Silence the audible alarm for now"},
    {"beeper.off", "Turn the audible alarm off"},
    {"beeper.on", "Turn the audible alarm on"},
    {"beeper.toggle", "Switch the audible alarm on or off"},
    {"bypass.start", "Feed the load through the bypass"},
    {"bypass.stop", "Stop feeding the load through the bypass"},
    {"calibrate.start", "Start a runtime calibration"},
    {"calibrate.stop", "Stop a runtime calibration"},
    {"driver.killpower", "Ask the driver to cut power to the load"},
    {"driver.reload", "Ask the driver to re-read its configuration"},
    {"driver.reload-or-error", "Re-read the driver configuration, failing if that needs a restart"},
    {"driver.reload-or-exit", "Re-read the driver configuration, exiting if that needs a restart"},
    {"load.off", "Switch the load off at once"},
    {"load.off.delay", "Switch the load off after a delay"},
    {"load.on", "Switch the load on at once"},
    {"load.on.delay", "Switch the load on after a delay"},
    {"reset.input.minmax", "Clear the recorded input voltage extremes"},
    {"reset.watchdog", "Restart the device's watchdog timer"},
    {"shutdown.reboot", "Switch the load off, then back on"},
    {"shutdown.reboot.graceful", "Switch the load off after a delay, then back on"},
    {"shutdown.return", "Switch the load off; back on when power returns"},
    {"shutdown.stayoff", "Switch the load off and keep it off"},
    {"shutdown.stop", "Cancel a pending shutdown"},
    {"test.battery.start", "Start a battery test"},
    {"test.battery.start.deep", "Start a deep battery test"},
    {"test.battery.start.quick", "Start a quick battery test"},
    {"test.battery.stop", "Stop a battery test"},
    {"test.failure.start", "Simulate a mains failure"},
    {"test.failure.stop", "Stop a simulated mains failure"},
    {"test.panel.start", "Start a front panel test"},
    {"test.panel.stop", "Stop a front panel test"},
    {"test.system.start", "Start a system test"},
};

static int
desc_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct desc *)elem)->name);
}

static const char *
lookup(const struct desc *tab, size_t n, const char *name)
{
	const struct desc *d;

	if (strncasecmp(name, "upstream.", 9) == 0)
		name += 9;
	d = bsearch(name, tab, n, sizeof(*tab), desc_cmp);
	return d ? d->text : NULL;
}

const char *
proto_var_desc(const char *name)
{
	return lookup(var_descs, sizeof(var_descs) / sizeof(var_descs[0]), name);
}

const char *
proto_cmd_desc(const char *name)
{
	return lookup(cmd_descs, sizeof(cmd_descs) / sizeof(cmd_descs[0]), name);
}

int
proto_desc_tables_sorted(void)
{
	for (size_t i = 1; i < sizeof(var_descs) / sizeof(var_descs[0]); i++)
		if (strcasecmp(var_descs[i - 1].name, var_descs[i].name) >= 0)
			return 0;
	for (size_t i = 1; i < sizeof(cmd_descs) / sizeof(cmd_descs[0]); i++)
		if (strcasecmp(cmd_descs[i - 1].name, cmd_descs[i].name) >= 0)
			return 0;
	return 1;
}

const char *
proto_track_reply(int status)
{
	switch (status) {
	case PROTO_TRACK_PENDING:
		return "PENDING";
	case PROTO_TRACK_HANDLED:
		return "SUCCESS";
	case PROTO_TRACK_INVALID:
	case PROTO_TRACK_CONVERSION_FAILED:
		return "ERR INVALID-ARGUMENT";
	case PROTO_TRACK_FAILED:
		return "ERR FAILED";
	default:
		return "ERR UNKNOWN";
	}
}
