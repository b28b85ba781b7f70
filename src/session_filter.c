/* \summary: the record filter of session tracking: --topic, --client, --type */
#include "session_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- filter ---------------------------------------------------------------------------- */

int session_type_by_name(const char *name)
{
	char *end;
	long v;

	for (int i = 1; i < 16; i++)
		if (!strcasecmp(name, mqtt_type_name((uint8_t)i)))
			return i;
	v = strtol(name, &end, 10);
	if (*name && !*end && v >= 0 && v <= 15)
		return (int)v;
	return -1;
}

int session_filtering(const struct session_tracker *t)
{
	return t->cfg.ntopics || t->cfg.nclients || t->cfg.types;
}

/* No --topic and no --type: whatever passes --client passes whole (events included). */
int sess_by_client_only(const struct session_tracker *t)
{
	return !t->cfg.ntopics && !t->cfg.types;
}

/* 1 when one of the --topic filters is the string f or a filter that matches the topic f. */
static int topic_hit(const struct session_tracker *t, const uint8_t *f, size_t len, int same)
{
	for (size_t i = 0; i < t->cfg.ntopics; i++) {
		const char *x = t->cfg.topics[i];
		size_t n = strlen(x);
		if ((same && n == len && !memcmp(f, x, n)) || mqtt_topic_match(x, n, f, len))
			return 1;
	}
	return 0;
}

/* 1 when one of the --client ids is the CONNECT's client id. */
int sess_client_hit(const struct session_tracker *t, const struct mqtt_view *id)
{
	for (size_t i = 0; i < t->cfg.nclients; i++)
		if (strlen(t->cfg.clients[i]) == id->len &&
		    (!id->len || !memcmp(t->cfg.clients[i], id->p, id->len)))
			return 1;
	return 0;
}

static int type_hit(const struct session_tracker *t, int type)
{
	return !t->cfg.types || ((t->cfg.types >> type) & 1);
}

/* ---- the record filter -------------------------------------------------------------------- */

/* A SUBSCRIBE or UNSUBSCRIBE matches --topic when one of its filters is the same string or
 * a topic the filter matches. */
static int list_matches(const struct session_tracker *t, const struct mqtt_msg *m)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	uint8_t opts;

	for (;;) {
		int rc = m->hdr.type == MQTT_SUBSCRIBE ? mqtt_next_sub(&c, m->version, &f, &opts) :
			 mqtt_next_filter(&c, &f);
		if (rc != MQTT_OK)
			return 0;
		if (topic_hit(t, f.p, f.len, 1))
			return 1;
	}
}

/* Whether a request passes --topic and --type (the client is checked by the caller). */
int sess_passes(const struct session_tracker *t, const struct mqtt_msg *m)
{
	if (!type_hit(t, m->hdr.type))
		return 0;
	if (!t->cfg.ntopics)
		return 1;
	if (m->hdr.type == MQTT_PUBLISH)
		return topic_hit(t, m->topic.p, m->topic.len, 0);
	if (m->hdr.type == MQTT_SUBSCRIBE || m->hdr.type == MQTT_UNSUBSCRIBE)
		return list_matches(t, m);
	return 0;
}

/* An acknowledgement passes --topic when its request did; --type looks at itself. */
int sess_ack_passes(const struct session_tracker *t, const struct mqtt_msg *m, int req_pass)
{
	return type_hit(t, m->hdr.type) && (!t->cfg.ntopics || req_pass);
}
