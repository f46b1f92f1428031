/*
 * Unit tests of the clients' shared code: credentials files (syntax, the
 * mode check, the size bound), upslog format strings, JSON strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clicommon.h"
#include "upslog_format.h"

static void
test_creds_parse(void **state)
{
	struct cli_creds c;
	char err[256];
	const char *text = "# comment\n"
	                   "username = admin\n"
	                   "password = \"p@ss\\\"word\"   # trailing comment\n";

	memset(&c, 0, sizeof(c));
	assert_int_equal(cli_creds_parse(text, strlen(text), &c, err, sizeof(err)), 0);
	assert_true(c.have_user && c.have_pass);
	assert_string_equal(c.user, "admin");
	assert_string_equal(c.pass, "p@ss\"word");
	assert_false(c.pass_from_argv);

	/* -u given on the command line wins over the file */
	memset(&c, 0, sizeof(c));
	cli_creds_set_user(&c, "cli");
	text = "user=fileuser\npass=x\n";
	assert_int_equal(cli_creds_parse(text, strlen(text), &c, err, sizeof(err)), 0);
	assert_string_equal(c.user, "cli");
	assert_string_equal(c.pass, "x");

	static const char *const bad[] = {"colour = blue\n", "username\n",
	                                  "password = a b c\n", "password = \"unterminated\n",
	                                  "password = \"a#b\"\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(cli_creds_parse(bad[i], strlen(bad[i]), &c, err, sizeof(err)), -1);
		if (!strstr(err, "line 1"))
			fail_msg("case %zu: %s", i, err);
	}
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_creds_file_mode(void **state)
{
	char dir[] = "/tmp/test-clicommon-XXXXXX";
	char path[128], link[128], err[512];
	struct cli_creds c;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/creds", dir);
	snprintf(link, sizeof(link), "%s/link", dir);

	write_file(path, "username = u\npassword = p\n", 0600);
	memset(&c, 0, sizeof(c));
	assert_int_equal(cli_creds_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.pass, "p");

	write_file(path, "username = u\npassword = p\n", 0400);
	memset(&c, 0, sizeof(c));
	assert_int_equal(cli_creds_load(path, &c, err, sizeof(err)), 0);

	static const mode_t refused[] = {0640, 0644, 0604, 0620, 0660, 0666};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		write_file(path, "password = p\n", refused[i]);
		memset(&c, 0, sizeof(c));
		assert_int_equal(cli_creds_load(path, &c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "chmod 600"));
		assert_false(c.have_pass);
	}

	/* a symlink is not followed */
	write_file(path, "password = p\n", 0600);
	assert_int_equal(symlink(path, link), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(cli_creds_load(link, &c, err, sizeof(err)), -1);

	/* the size bound: CLI_CREDFILE_MAX - 1 bytes is the most accepted */
	char *big = malloc(CLI_CREDFILE_MAX + 1);
	assert_non_null(big);
	memset(big, '\n', CLI_CREDFILE_MAX);
	memcpy(big, "password = p\n", 13);
	big[CLI_CREDFILE_MAX] = '\0';
	write_file(path, big, 0600);
	memset(&c, 0, sizeof(c));
	assert_int_equal(cli_creds_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));
	big[CLI_CREDFILE_MAX - 1] = '\0';
	write_file(path, big, 0600);
	memset(&c, 0, sizeof(c));
	assert_int_equal(cli_creds_load(path, &c, err, sizeof(err)), 0);
	free(big);

	assert_int_equal(cli_creds_load("/nonexistent/creds", &c, err, sizeof(err)), -1);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

/* ---- upslog formats ----------------------------------------------------------- */

static int
fake_var(void *arg, const char *var, char *buf, size_t size)
{
	(void)arg;
	if (strcmp(var, "ups.status") == 0) {
		snprintf(buf, size, "OL CHRG");
		return 0;
	}
	if (strcmp(var, "battery.charge") == 0) {
		snprintf(buf, size, "100");
		return 0;
	}
	return -1;
}

static const char *
render(const char *fmt)
{
	static char line[ULF_LINE_MAX];
	struct ulf_format f;
	struct ulf_context ctx = {.upshost = "ups@host:3493", .hostname = "myhost", .pid = 42,
	                          .now = 86400 * 365, .get_var = fake_var};

	assert_int_equal(ulf_compile(fmt, &f), 0);
	ulf_render(&f, &ctx, line, sizeof(line));
	ulf_free(&f);
	return line;
}

static void
test_format(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(render("%TIME @Y-@m-@d @H:@M:@S% [%VAR ups.status%]"),
	                    "1971-01-01 00:00:00 [OL CHRG]");
	assert_string_equal(render("%ETIME% %PID% %HOST% %UPSHOST%"),
	                    "31536000 42 myhost ups@host:3493");
	assert_string_equal(render("%VAR nosuch.var% %VAR nodot% %VAR%"), "NA INVALID INVALID");
	assert_string_equal(render("%% 100% %FOO% x"), "% 100INVALIDFOOINVALID x");
	assert_string_equal(render("%% 100%"), "% 100INVALID");
	assert_string_equal(render("a%FOO%b"), "aINVALIDb");
	/* NUT matches names by prefix and case-insensitively */
	assert_string_equal(render("%hostname% %var battery.charge%"), "myhost 100");
	assert_string_equal(render("%TIME%"), "");
	assert_string_equal(render(""), "");
	assert_string_equal(render("%VAR battery.charge%%VAR ups.status%"), "100OL CHRG");

	/* the default format renders with NA for missing variables */
	assert_string_equal(render(ULF_DEFAULT), "19710101 000000 100 NA NA [OL CHRG] NA NA");
}

static void
test_format_bounds(void **state)
{
	struct ulf_format f;
	char *fmt = malloc(ULF_FORMAT_MAX + 1);

	assert_non_null(fmt);
	memset(fmt, 'x', ULF_FORMAT_MAX);
	fmt[ULF_FORMAT_MAX] = '\0';
	assert_int_equal(ulf_compile(fmt, &f), -E2BIG);
	ulf_free(&f);
	fmt[ULF_FORMAT_MAX - 1] = '\0';
	assert_int_equal(ulf_compile(fmt, &f), 0);
	assert_int_equal(f.n, 1); /* literals merge */
	ulf_free(&f);

	/* more items than ULF_ITEMS_MAX: escapes and literals alternate */
	size_t n = 0;
	for (int i = 0; i < ULF_ITEMS_MAX / 2; i++)
		n += (size_t)snprintf(fmt + n, ULF_FORMAT_MAX - n, "%%PID%%x");
	assert_int_equal(ulf_compile(fmt, &f), 0); /* exactly ULF_ITEMS_MAX */
	assert_int_equal(f.n, ULF_ITEMS_MAX);
	ulf_free(&f);
	snprintf(fmt + n, ULF_FORMAT_MAX - n, "%%PID%%");
	assert_int_equal(ulf_compile(fmt, &f), -E2BIG);
	ulf_free(&f);

	/* rendering is cut at the buffer size */
	char line[16];
	struct ulf_context ctx = {.upshost = "a-long-ups-name@some.host:3493", .hostname = "h",
	                          .get_var = fake_var};
	assert_int_equal(ulf_compile("%UPSHOST% %UPSHOST%", &f), 0);
	assert_int_equal(ulf_render(&f, &ctx, line, sizeof(line)), sizeof(line) - 1);
	assert_int_equal(strlen(line), sizeof(line) - 1);
	ulf_free(&f);
	free(fmt);
}

static void
test_json(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cli_json_string(f, "a \"q\" \\ b\x01\n\t\r\b\f/");
	fclose(f);
	assert_string_equal(buf, "\"a \\\"q\\\" \\\\ b\\u0001\\n\\t\\r\\b\\f/\"");
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creds_parse), cmocka_unit_test(test_creds_file_mode),
		cmocka_unit_test(test_format),      cmocka_unit_test(test_format_bounds),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
