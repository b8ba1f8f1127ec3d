/*
 * fuzz_conf.c - postern.conf (conf_read_file, then conf_finish with its
 * $name expansion and typed values) and master.conf (svc_table_read),
 * both on the same bytes, read through a path as the daemons read them.
 */
#include "fuzz.h"

#include "mail/params.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/svc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	struct conf *c;
	struct svc_table t = { 0 };
	struct buf errors;
	char path[64];
	int fd;

	if (size > 65536)
		return 0;
	if (!registered) {
		params_register();
		registered = 1;
	}
	fd = fuzz_memfd(data, size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	buf_init(&errors, 1 << 20);
	c = conf_new();
	if (conf_read_file(c, path, &errors) == 0 &&
	    conf_finish(c, &errors) == 0) {
		const struct conf_def *d = NULL;

		while ((d = conf_def_next(d)) != NULL)
			FUZZ_CHECK(conf_value(c, d->name) != NULL);
	}
	conf_free(&c);
	FUZZ_CHECK(c == NULL);
	buf_reset(&errors);
	if (svc_table_read(&t, path, &errors) == 0) {
		for (size_t i = 0; i < t.n; i++) {
			FUZZ_CHECK(t.svcs[i].name != NULL);
			FUZZ_CHECK(t.svcs[i].command != NULL);
			FUZZ_CHECK(svc_find(&t, t.svcs[i].name) != NULL);
		}
	}
	svc_table_free(&t);
	buf_free(&errors);
	close(fd);
	return 0;
}
