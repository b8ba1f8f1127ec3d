/*
 * NAME
 *	spamscan - header heuristics, links and phishing words (spamscan.h)
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/fromaddr.h"
#include "mail/imap_date.h"
#include "mail/mime.h"
#include "mail/spamscan.h"

/* Wording that asks for credentials: phishing's whole point.  Matched in
 * the lower-cased text with runs of white space made one. */
static const char *const credential_phrases[] = {
	"verify your account", "verify your identity", "confirm your account",
	"confirm your identity", "confirm your password",
	"update your password", "re-enter your password",
	"reset your password immediately", "validate your account",
	"account has been suspended", "account will be suspended",
	"account will be closed", "account has been locked",
	"unusual sign-in activity", "unusual login activity",
	"login to restore", "log in to restore", "update your payment",
	"update your billing", "mailbox is full", "mailbox quota",
	"enter your password",
};

/* File names look like domains in link text ("report.pdf"). */
static const char *const not_tlds[] = {
	"pdf", "doc", "docx", "xls", "xlsx", "ppt", "zip", "html", "htm",
	"jpg", "jpeg", "png", "gif", "exe", "txt", "csv", "php", "asp",
	"aspx",
};

/* ---- Header fields. ---- */

static void
scan_date(const char *msg, size_t len, struct spam_scan *s, struct buf *v)
{
	time_t t;
	int tz;

	buf_reset(v);
	if (mime_header(msg, len, 0, "Date", v) != 1)
		return;
	s->has_date = true;
	s->date_ok = imap_date_rfc5322(buf_cstr(v), &t, &tz) == 0;
}

static void
scan_msgid(const char *msg, size_t len, struct spam_scan *s, struct buf *v)
{
	const char *p, *at, *end;

	buf_reset(v);
	if (mime_header(msg, len, 0, "Message-ID", v) != 1)
		return;
	s->has_msgid = true;
	p = buf_cstr(v);
	p += strspn(p, " \t");
	end = strchr(p, '>');
	at = strchr(p, '@');
	s->msgid_ok = *p == '<' && end != NULL && at != NULL && at > p + 1 &&
	    at + 1 < end && memchr(p + 1, '<', (size_t)(end - p - 1)) == NULL &&
	    end[1 + strspn(end + 1, " \t")] == '\0';
}

/* count_addresses - addresses in an address-list value: '@' outside
 * quoted strings and comments */
static size_t
count_addresses(const char *v)
{
	size_t n = 0;
	int depth = 0;
	bool quoted = false;

	for (; *v != '\0'; v++) {
		if (*v == '\\' && v[1] != '\0')
			v++;
		else if (quoted)
			quoted = *v != '"';
		else if (*v == '"')
			quoted = true;
		else if (*v == '(')
			depth++;
		else if (*v == ')' && depth > 0)
			depth--;
		else if (*v == '@' && depth == 0)
			n++;
	}
	return n;
}

static void
lower_copy(const char *in, size_t n, char *out, size_t size)
{
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static bool
addr_char(int c)
{
	return isalnum(c) || strchr("._%+-'", c) != NULL;
}

/* scan_from - the address, and any other address the display name
 * shows ("service@bank.example" <x@elsewhere.example>) */
static void
scan_from(const char *msg, size_t len, struct spam_scan *s, struct buf *v)
{
	const char *f, *lt, *at;
	char *dom;

	buf_reset(v);
	if (mime_header(msg, len, 0, "From", v) != 1)
		return;
	f = buf_cstr(v);
	if (!fromaddr_parse(f, v->len, s->from_addr, sizeof(s->from_addr)))
		s->from_addr[0] = '\0';
	lower_copy(s->from_addr, strlen(s->from_addr), s->from_addr,
	    sizeof(s->from_addr));
	if ((dom = strrchr(s->from_addr, '@')) != NULL)
		lower_copy(dom + 1, strlen(dom + 1), s->from_domain,
		    sizeof(s->from_domain));
	if ((lt = strrchr(f, '<')) == NULL)
		return;
	/* the display name, encoded words decoded */
	{
		struct buf name = BUF_INIT;

		if (mime_decode_words(f, (size_t)(lt - f), &name) == 0) {
			const char *n = buf_cstr(&name);

			for (at = strchr(n, '@'); at != NULL; at = strchr(at +
			    1, '@')) {
				const char *b = at, *e = at + 1;
				char found[320];

				while (b > n && addr_char((unsigned char)b[-1]))
					b--;
				while (*e != '\0' && (addr_char((unsigned
				    char)*e)))
					e++;
				while (e > at + 1 && e[-1] == '.')
					e--;
				if (b == at || e == at + 1 ||
				    memchr(at, '.', (size_t)(e - at)) == NULL)
					continue;
				lower_copy(b, (size_t)(e - b), found,
				    sizeof(found));
				if (strcmp(found, s->from_addr) != 0) {
					memcpy(s->display_addr, found,
					    sizeof(found));
					break;
				}
			}
		}
		buf_free(&name);
	}
}

/* ---- Links. ---- */

static bool
is_ipv4(const char *h)
{
	int dots = 0;

	for (; *h != '\0'; h++)
		if (*h == '.')
			dots++;
		else if (!isdigit((unsigned char)*h))
			return false;
	return dots == 3;
}

/* url_host - the host of an http(s) URL at p (lower case, no user info,
 * no port) into out; the length of the URL's host part, or 0 */
static size_t
url_host(const char *p, size_t n, char *out)
{
	size_t skip, i, start;

	if (n >= 7 && strncasecmp(p, "http://", 7) == 0)
		skip = 7;
	else if (n >= 8 && strncasecmp(p, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	start = skip;
	for (i = skip; i < n && strchr("/?#:\"'<> \t\r\n\\", p[i]) == NULL;
	    i++)
		if (p[i] == '@')
			start = i + 1;	/* user info: the host follows */
	if (i == start || i - start > SPAM_HOST_MAX)
		return 0;
	lower_copy(p + start, i - start, out, SPAM_HOST_MAX + 1);
	while (out[0] != '\0' && out[strlen(out) - 1] == '.')
		out[strlen(out) - 1] = '\0';
	return out[0] != '\0' ? i : 0;
}

static void
add_host(struct spam_scan *s, const char *h)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		if (strcmp(s->hosts[i], h) == 0)
			return;
	if (s->n_hosts < SPAM_HOSTS_MAX)
		memcpy(s->hosts[s->n_hosts++], h, strlen(h) + 1);
}

static void
add_link(struct spam_scan *s, const char *host, const char *shown)
{
	struct spam_link *l;

	add_host(s, host);
	if (s->n_links == SPAM_LINKS_MAX)
		return;
	l = &s->links[s->n_links++];
	memcpy(l->host, host, strlen(host) + 1);
	memcpy(l->shown, shown, strlen(shown) + 1);
	l->ip = is_ipv4(host);
}

/* shown_domain - the first thing in text that reads as a domain name
 * ("www.bank.example", "https://bank.example/login") into out */
static bool
shown_domain(const char *t, char *out)
{
	const char *p = t;

	while (*p != '\0') {
		const char *b, *e, *dot;
		size_t n;

		if (url_host(p, strlen(p), out) > 0)
			return true;
		while (*p != '\0' && !isalnum((unsigned char)*p))
			p++;
		b = p;
		while (*p != '\0' && (isalnum((unsigned char)*p) ||
		    *p == '.' || *p == '-'))
			p++;
		e = p;
		while (e > b && e[-1] == '.')
			e--;
		n = (size_t)(e - b);
		if (n == 0 || n > SPAM_HOST_MAX ||
		    (dot = memrchr(b, '.', n)) == NULL || dot == b)
			continue;
		if (e - dot - 1 < 2 || *p == '@' || (b > t && b[-1] == '@'))
			continue;	/* no TLD, or an address */
		{
			bool alpha = true, file = false;

			for (const char *c = dot + 1; c < e; c++)
				if (!isalpha((unsigned char)*c))
					alpha = false;
			for (size_t i = 0; i < sizeof(not_tlds) /
			    sizeof(not_tlds[0]); i++)
				if (strlen(not_tlds[i]) == (size_t)(e - dot -
				    1) && strncasecmp(dot + 1, not_tlds[i],
				    (size_t)(e - dot - 1)) == 0)
					file = true;
			if (!alpha || file)
				continue;
		}
		lower_copy(b, n, out, SPAM_HOST_MAX + 1);
		return true;
	}
	return false;
}

static const char *
strip_www(const char *h)
{
	return strncmp(h, "www.", 4) == 0 ? h + 4 : h;
}

/* within - a is b or a name under b */
static bool
within(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return strcmp(a, b) == 0 || (la > lb && a[la - lb - 1] == '.' &&
	    strcmp(a + la - lb, b) == 0);
}

bool
spam_link_mismatch(const struct spam_link *l)
{
	const char *h = strip_www(l->host), *s = strip_www(l->shown);

	return l->shown[0] != '\0' && !within(h, s) && !within(s, h);
}

/* ---- Text. ---- */

/* text_add - append to the words kept for phrases: lower case, white
 * space runs made one space */
static void
text_add(struct buf *t, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];

		if (isspace(c) || c == 0xa0) {
			if (t->len > 0 && t->data[t->len - 1] != ' ')
				buf_putc(t, ' ');
		} else
			buf_putc(t, (uint8_t)tolower(c));
	}
}

static void
scan_plain(struct spam_scan *s, const char *p, size_t n, struct buf *text)
{
	char host[SPAM_HOST_MAX + 1];

	text_add(text, p, n);
	for (size_t i = 0; i + 7 < n; i++) {
		size_t k;

		if ((p[i] != 'h' && p[i] != 'H') ||
		    (k = url_host(p + i, n - i, host)) == 0)
			continue;
		add_link(s, host, "");
		i += k - 1;
	}
}

/* attr - the value of attribute name in the tag text [p, end) */
static bool
attr(const char *p, const char *end, const char *name, char *out,
    size_t size)
{
	size_t nl = strlen(name);

	for (; p + nl < end; p++) {
		const char *v;
		size_t i = 0;
		char q;

		if (strncasecmp(p, name, nl) != 0 || isalnum((unsigned
		    char)p[-1]))
			continue;
		v = p + nl;
		v += strspn(v, " \t\r\n");
		if (v >= end || *v != '=')
			continue;
		v++;
		v += strspn(v, " \t\r\n");
		q = v < end && (*v == '"' || *v == '\'') ? *v++ : '\0';
		while (v < end && (q != '\0' ? *v != q : !isspace((unsigned
		    char)*v) && *v != '>') && i + 1 < size)
			out[i++] = *v++;
		out[i] = '\0';
		return true;
	}
	return false;
}

static bool
hidden_style(const char *style)
{
	char c[256];
	size_t o = 0;

	for (; *style != '\0' && o + 1 < sizeof(c); style++)
		if (!isspace((unsigned char)*style))
			c[o++] = (char)tolower((unsigned char)*style);
	c[o] = '\0';
	return strstr(c, "display:none") != NULL ||
	    strstr(c, "visibility:hidden") != NULL ||
	    strstr(c, "font-size:0") != NULL ||
	    strstr(c, "font-size:1px") != NULL ||
	    strstr(c, "opacity:0;") != NULL;
}

/* scan_html - tags out, links and hidden text noted, the text kept */
static void
scan_html(struct spam_scan *s, const char *p, size_t n, struct buf *text)
{
	const char *end = p + n;
	char href[2048], style[256], host[SPAM_HOST_MAX + 1];
	struct buf shown = BUF_INIT;
	bool in_a = false, a_has_host = false;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p)), *gt;

		if (lt == NULL)
			lt = end;
		text_add(text, p, (size_t)(lt - p));
		if (in_a)
			text_add(&shown, p, (size_t)(lt - p));
		if (lt == end)
			break;
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			break;
		if (attr(lt + 1, gt, "style", style, sizeof(style)) &&
		    hidden_style(style))
			s->html_hidden = true;
		if ((gt - lt >= 2 && (lt[1] == 'a' || lt[1] == 'A') &&
		    isspace((unsigned char)lt[2])) || (gt - lt >= 3 &&
		    lt[1] == '/' && (lt[2] == 'a' || lt[2] == 'A') &&
		    (lt + 3 == gt || isspace((unsigned char)lt[3])))) {
			if (in_a && a_has_host) {
				char dom[SPAM_HOST_MAX + 1] = "";

				(void)shown_domain(buf_cstr(&shown), dom);
				add_link(s, host, dom);
			}
			in_a = lt[1] != '/';
			a_has_host = in_a && attr(lt + 1, gt, "href", href,
			    sizeof(href)) && url_host(href, strlen(href),
			    host) > 0;
			buf_reset(&shown);
		}
		p = gt + 1;
	}
	if (in_a && a_has_host) {
		char dom[SPAM_HOST_MAX + 1] = "";

		(void)shown_domain(buf_cstr(&shown), dom);
		add_link(s, host, dom);
	}
	buf_free(&shown);
}

/* scan_parts - every text part, decoded; note whether plain text came
 * with the HTML */
static void
scan_part(const struct mime_message *m, const struct mime_part *pt,
    struct spam_scan *s, struct buf *text, bool *plain, bool *html)
{
	struct buf cte = BUF_INIT, body = BUF_INIT;

	if (pt->child != NULL && strcmp(pt->type, "message") != 0) {
		for (const struct mime_part *c = pt->child; c != NULL;
		    c = c->next)
			scan_part(m, c, s, text, plain, html);
		return;
	}
	if (strcmp(pt->type, "text") != 0)
		return;
	(void)mime_header(m->data, m->len, pt->hdr_start,
	    "Content-Transfer-Encoding", &cte);
	if (mime_decode_body(buf_cstr(&cte), m->data + pt->body_start,
	    pt->body_end - pt->body_start, &body) == 0) {
		if (strcmp(pt->subtype, "html") == 0) {
			*html = true;
			scan_html(s, (const char *)body.data, body.len, text);
		} else {
			if (strcmp(pt->subtype, "plain") == 0)
				*plain = true;
			scan_plain(s, (const char *)body.data, body.len, text);
		}
	}
	buf_free(&cte);
	buf_free(&body);
}

void
spam_scan(const char *msg, size_t len, struct spam_scan *s)
{
	struct mime_message m;
	struct buf v = BUF_INIT, text = BUF_INIT;
	bool plain = false, html = false;

	memset(s, 0, sizeof(*s));
	scan_date(msg, len, s, &v);
	scan_msgid(msg, len, s, &v);
	scan_from(msg, len, s, &v);
	buf_reset(&v);
	if (mime_header(msg, len, 0, "To", &v) == 1)
		s->to_count = count_addresses(buf_cstr(&v));
	buf_reset(&v);
	if (mime_header(msg, len, 0, "Subject", &v) == 1) {
		struct buf subj = BUF_INIT;

		if (mime_decode_words((const char *)v.data, v.len, &subj) == 0)
			text_add(&text, (const char *)subj.data, subj.len);
		buf_putc(&text, ' ');
		buf_free(&subj);
	}
	mime_parse(&m, msg, len);
	if (m.root != NULL)
		scan_part(&m, m.root, s, &text, &plain, &html);
	s->html_only = html && !plain;
	for (size_t i = 0; i < sizeof(credential_phrases) /
	    sizeof(credential_phrases[0]); i++)
		if (strstr(buf_cstr(&text), credential_phrases[i]) != NULL) {
			snprintf(s->credentials, sizeof(s->credentials), "%s",
			    credential_phrases[i]);
			break;
		}
	mime_free(&m);
	buf_free(&v);
	buf_free(&text);
}
