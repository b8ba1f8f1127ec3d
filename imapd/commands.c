/*
 * NAME
 *	commands - the command table, and the commands valid in any state
 *	(RFC 3501 6.1, RFC 2971 ID, RFC 5161 ENABLE)
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd.h"
#include "mail/params.h"
#include "paths.h"
#include "util/log.h"

static void cmd_capability(struct session *, struct imap_command *, bool);
static void cmd_logout(struct session *, struct imap_command *, bool);
static void cmd_id(struct session *, struct imap_command *, bool);
static void cmd_enable(struct session *, struct imap_command *, bool);

#define SEL	ST_SELECTED
#define AUTH	(ST_AUTH | ST_SELECTED)

static const struct command commands[] = {
	{ "CAPABILITY", cmd_capability, ST_ANY, false },
	{ "NOOP", cmd_noop, ST_ANY, false },
	{ "LOGOUT", cmd_logout, ST_ANY, false },
	{ "ID", cmd_id, ST_ANY, false },
	{ "STARTTLS", cmd_starttls, ST_NOAUTH, false },
	{ "LOGIN", cmd_login, ST_NOAUTH, false },
	{ "AUTHENTICATE", cmd_authenticate, ST_NOAUTH, false },
	{ "ENABLE", cmd_enable, AUTH, false },
	{ "SELECT", cmd_select, AUTH, false },
	{ "EXAMINE", cmd_select, AUTH, false },
	{ "CREATE", cmd_create, AUTH, false },
	{ "DELETE", cmd_delete, AUTH, false },
	{ "RENAME", cmd_rename, AUTH, false },
	{ "SUBSCRIBE", cmd_subscribe, AUTH, false },
	{ "UNSUBSCRIBE", cmd_subscribe, AUTH, false },
	{ "LIST", cmd_list, AUTH, false },
	{ "LSUB", cmd_list, AUTH, false },
	{ "STATUS", cmd_status, AUTH, false },
	{ "NAMESPACE", cmd_namespace, AUTH, false },
	{ "GETQUOTA", cmd_getquota, AUTH, false },
	{ "GETQUOTAROOT", cmd_getquota, AUTH, false },
	{ "SETQUOTA", cmd_setquota, AUTH, false },
	{ "APPEND", cmd_append, AUTH, false },
	{ "IDLE", cmd_idle, AUTH, false },
	{ "CHECK", cmd_noop, SEL, false },
	{ "CLOSE", cmd_close, SEL, false },
	{ "UNSELECT", cmd_close, SEL, false },
	{ "EXPUNGE", cmd_expunge, SEL, true },
	{ "SEARCH", cmd_search, SEL, true },
	{ "SORT", cmd_sort, SEL, true },
	{ "THREAD", cmd_thread, SEL, true },
	{ "FETCH", cmd_fetch, SEL, true },
	{ "STORE", cmd_store, SEL, true },
	{ "COPY", cmd_copy, SEL, true },
	{ "MOVE", cmd_copy, SEL, true },
};

const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void
capability_text(struct session *ss, struct buf *out)
{
	buf_puts(out, "IMAP4rev1 IMAP4rev2");
	if (ss->state == ST_NOAUTH) {
		if (!ss->tls && imapd_tls_ctx != NULL && var_imapd_starttls)
			buf_puts(out, " STARTTLS");
		if (login_allowed(ss))
			buf_puts(out, " AUTH=PLAIN AUTH=LOGIN");
		else
			buf_puts(out, " LOGINDISABLED");
		buf_puts(out, " SASL-IR ID ENABLE LITERAL+ IDLE");
		return;
	}
	buf_puts(out, " LITERAL+ IDLE NAMESPACE UIDPLUS MOVE "
	    "UNSELECT ID ENABLE SPECIAL-USE LIST-EXTENDED "
	    "LIST-STATUS ESEARCH SEARCHRES CONDSTORE QRESYNC QUOTA "
	    "QUOTA=RES-STORAGE BINARY CHILDREN SASL-IR SORT "
	    "THREAD=ORDEREDSUBJECT");
}

static void
cmd_capability(struct session *ss, struct imap_command *c, bool uid)
{
	struct buf caps = BUF_INIT;

	(void)uid;
	capability_text(ss, &caps);
	untagged(ss, "CAPABILITY %s", buf_cstr(&caps));
	buf_free(&caps);
	tagged(ss, c->tag, "OK", "CAPABILITY completed");
}

static void
cmd_logout(struct session *ss, struct imap_command *c, bool uid)
{
	(void)uid;
	stream_printf(ss->s, "* BYE Logging out\r\n");
	/* The OK comes after the BYE (RFC 3501 6.1.3); nothing follows. */
	ss->state = ST_LOGOUT;
	stream_printf(ss->s, "%s OK LOGOUT completed\r\n", c->tag);
	ss->mode = MODE_CLOSING;
	stream_close_after_flush(ss->s);
}

/* cmd_id - RFC 2971: log what the client says it is, say what we are */
static void
cmd_id(struct session *ss, struct imap_command *c, bool uid)
{
	const struct imap_arg *a = c->args;
	char what[256] = "";
	size_t off = 0;

	(void)uid;
	if (c->n_args != 1 || (a->type != IMAP_NIL && a->type != IMAP_LIST)) {
		tagged(ss, c->tag, "BAD", "ID needs NIL or a list");
		return;
	}
	if (a->type == IMAP_LIST) {
		if (a->count % 2 != 0 || a->count > 60) {
			tagged(ss, c->tag, "BAD", "ID list must hold at most 30 "
			    "field and value pairs");
			return;
		}
		for (const struct imap_arg *f = a->list; f != NULL &&
		    f->next != NULL; f = f->next->next) {
			const struct imap_arg *v = f->next;
			int n;

			if (v->type == IMAP_NIL || off >= sizeof(what))
				continue;
			n = snprintf(what + off, sizeof(what) - off, "%s%.*s=%.*s",
			    off ? ", " : "", (int)(f->len > 30 ? 30 : f->len),
			    f->data, (int)(v->len > 60 ? 60 : v->len), v->data);
			if (n > 0)
				off += (size_t)n;
		}
		for (char *p = what; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = '?';
		msg_info("[%s] ID: %s", ss->addr, what);
	}
	untagged(ss, "ID (\"name\" \"Postern\" \"version\" \"%s\")",
	    POSTERN_VERSION);
	tagged(ss, c->tag, "OK", "ID completed");
}

/* cmd_enable - RFC 5161; CONDSTORE, QRESYNC, IMAP4rev2 */
static void
cmd_enable(struct session *ss, struct imap_command *c, bool uid)
{
	struct buf on = BUF_INIT;

	(void)uid;
	if (c->n_args == 0) {
		tagged(ss, c->tag, "BAD", "ENABLE needs capability names");
		return;
	}
	for (const struct imap_arg *a = c->args; a != NULL; a = a->next) {
		const char *name = NULL;

		if (imap_arg_is_atom(a, "IMAP4rev2") && !ss->rev2)
			ss->rev2 = true, name = "IMAP4rev2";
		else if (imap_arg_is_atom(a, "CONDSTORE") && !ss->condstore)
			ss->condstore = true, name = "CONDSTORE";
		else if (imap_arg_is_atom(a, "QRESYNC") && !ss->qresync) {
			/* QRESYNC implies CONDSTORE (RFC 7162 3.2.3). */
			ss->qresync = ss->condstore = true;
			name = "QRESYNC";
		}
		if (name != NULL)
			buf_printf(&on, " %s", name);
	}
	untagged(ss, "ENABLED%s", buf_cstr(&on));
	buf_free(&on);
	tagged(ss, c->tag, "OK", "ENABLE completed");
}
