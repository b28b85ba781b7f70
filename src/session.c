/* \summary: session tracking: sessions, requests in flight, transactions, the ends (the
 * record filter is session_filter.c, the rules and names session_rules.c) */
#include "session_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the tracker ------------------------------------------------------------------------ */

size_t session_open_count(const struct session_tracker *t)
{
	return t->nsess;
}

struct session_tracker *session_new(const struct session_config *cfg)
{
	struct session_tracker *t = budget_calloc(1, sizeof *t, "sessions");

	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->nslots = 256;
	if (!(t->slots = budget_calloc(t->nslots, sizeof *t->slots, "sessions"))) {
		free(t);
		return NULL;
	}
	return t;
}

void session_set_budget(struct session_tracker *t, struct budget *b)
{
	t->budget = b;
}

int session_observe(struct session_tracker *t, const struct session_observer *o)
{
	if (t->nobs == OBS_MAX)
		return -1;
	t->obs[t->nobs] = *o;
	return t->nobs++;
}

static size_t slot_of(const struct session_tracker *t, uint64_t index)
{
	return (size_t)(index * 0x9e3779b97f4a7c15ull >> 20) & (t->nslots - 1);
}

static struct sess *find(const struct session_tracker *t, uint64_t index)
{
	for (size_t i = slot_of(t, index);; i = (i + 1) & (t->nslots - 1)) {
		struct sess *s = t->slots[i];
		if (!s || s->pub.index == index)
			return s;
	}
}

const struct session *session_of(const struct session_tracker *t, const struct reasm_flow *flow)
{
	struct sess *s = find(t, flow->index);
	return s ? &s->pub : NULL;
}

static int insert(struct session_tracker *t, struct sess *s)
{
	size_t i;

	if ((t->nsess + 1) * 2 > t->nslots) {
		size_t n = t->nslots * 2;
		struct sess **old = t->slots, **ns = budget_calloc(n, sizeof *ns, "sessions");
		size_t on = t->nslots;
		if (!ns)
			return -1;
		t->slots = ns;
		t->nslots = n;
		for (size_t k = 0; k < on; k++)
			if (old[k]) {
				for (i = slot_of(t, old[k]->pub.index); ns[i]; i = (i + 1) & (n - 1))
					;
				ns[i] = old[k];
			}
		free(old);
	}
	for (i = slot_of(t, s->pub.index); t->slots[i]; i = (i + 1) & (t->nslots - 1))
		;
	t->slots[i] = s;
	t->nsess++;
	return 0;
}

/* Linear probing deletion: move later entries of the cluster back into the hole. */
static void erase(struct session_tracker *t, struct sess *s)
{
	size_t m = t->nslots - 1, i, j;

	for (i = slot_of(t, s->pub.index); t->slots[i] != s; i = (i + 1) & m)
		;
	for (j = (i + 1) & m; t->slots[j]; j = (j + 1) & m) {
		size_t k = slot_of(t, t->slots[j]->pub.index);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = NULL;
	t->nsess--;
	if (t->last == s)
		t->last = NULL;
}

/* Copy the CONNECT's client id, user name and will topic (each cut at SESSION_STR_MAX)
 * into one allocation. Returns -1 when memory is out (the strings stay empty). */
static int copy_strings(struct sess *s, const struct mqtt_msg *m)
{
	struct mqtt_view v[3] = { m->clientid, m->has_username ? m->username :
				  (struct mqtt_view){ NULL, 0 },
				  m->has_will ? m->will_topic : (struct mqtt_view){ NULL, 0 } };
	uint16_t *len[3] = { &s->pub.clientid_len, &s->pub.username_len, &s->pub.will_topic_len };
	uint8_t *cut[3] = { &s->pub.clientid_cut, &s->pub.username_cut, &s->pub.will_topic_cut };
	const char **dst[3] = { &s->pub.clientid, &s->pub.username, &s->pub.will_topic };
	size_t total = 3, o = 0;
	char *p;

	for (int i = 0; i < 3; i++) {
		*len[i] = (uint16_t)(v[i].len < SESSION_STR_MAX ? v[i].len : SESSION_STR_MAX);
		*cut[i] = v[i].len > *len[i];
		total += *len[i];
	}
	if (!(p = budget_malloc(total, "sessions")))
		return -1;
	free(s->strs);
	s->strs = p;
	for (int i = 0; i < 3; i++) {
		if (*len[i])
			memcpy(p + o, v[i].p, *len[i]);
		p[o + *len[i]] = '\0';
		*dst[i] = p + o;
		o += *len[i] + 1u;
	}
	return 0;
}

/* ---- pending requests -------------------------------------------------------------------- */

static uint32_t pend_key(int from, uint16_t id)
{
	return ((uint32_t)from << 16 | id) + 1;
}

static uint32_t pend_home(const struct sess *s, uint32_t key)
{
	return (key * 2654435761u) & (s->cap - 1);
}

static struct pend *pend_find(struct sess *s, uint32_t key)
{
	if (!s->cap)
		return NULL;
	for (uint32_t i = pend_home(s, key);; i = (i + 1) & (s->cap - 1)) {
		if (s->tab[i].key == key)
			return &s->tab[i];
		if (!s->tab[i].key)
			return NULL;
	}
}

static void pend_erase(struct sess *s, struct pend *p)
{
	uint32_t m = s->cap - 1, i = (uint32_t)(p - s->tab), j;

	for (j = (i + 1) & m; s->tab[j].key; j = (j + 1) & m) {
		uint32_t k = pend_home(s, s->tab[j].key);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			s->tab[i] = s->tab[j];
			i = j;
		}
	}
	s->tab[i].key = 0;
	s->used--;
}

/* A slot for key (not present). NULL when the table is at its limit or memory is out. */
static struct pend *pend_add(struct sess *s, uint32_t key)
{
	uint32_t i;

	if ((s->used + 1) * 4 > s->cap * 3) {
		uint32_t n = s->cap ? s->cap * 2 : 4, oc = s->cap;
		struct pend *old = s->tab, *nt;
		if (n > PEND_MAX || budget_over(s->budget) ||
		    !(nt = budget_calloc(n, sizeof *nt, "sessions")))
			return NULL;
		s->tab = nt;
		s->cap = n;
		for (uint32_t k = 0; k < oc; k++)
			if (old[k].key) {
				for (i = pend_home(s, old[k].key); nt[i].key; i = (i + 1) & (n - 1))
					;
				nt[i] = old[k];
			}
		free(old);
	}
	for (i = pend_home(s, key); s->tab[i].key; i = (i + 1) & (s->cap - 1))
		;
	s->tab[i].key = key;
	s->used++;
	return &s->tab[i];
}

/* ---- telling observers -------------------------------------------------------------------- */

uint64_t sess_elapsed_ns(const struct frame_ref *a, const struct frame_ref *b)
{
	int64_t d = (b->ts_sec - a->ts_sec) * 1000000000ll + ((int64_t)b->ts_nsec - a->ts_nsec);
	return d > 0 ? (uint64_t)d : 0;
}

static void tell_txn(struct session_tracker *t, struct sess *s, const struct session_txn *x)
{
	struct session_txn k = *x;

	k.known = t->now;
	s->pub.txns++;
	for (int i = 0; i < t->nobs; i++)
		if (t->obs[i].txn)
			t->obs[i].txn(t->obs[i].ctx, &s->pub, &k);
}

static void tell_anomaly(struct session_tracker *t, struct sess *s, const struct session_anomaly *a)
{
	struct session_anomaly k = *a;

	k.known = t->now;
	if (session_is_security_note(a->kind))
		s->pub.notes++;
	else
		s->pub.anomalies++;
	for (int i = 0; i < t->nobs; i++)
		if (t->obs[i].anomaly)
			t->obs[i].anomaly(t->obs[i].ctx, &s->pub, &k);
}

/* The session opened (its CONNACK), or its CONNECT went unanswered (at its end). */
static void tell_open(struct session_tracker *t, struct sess *s)
{
	for (int i = 0; i < t->nobs; i++)
		if (t->obs[i].open)
			t->obs[i].open(t->obs[i].ctx, &s->pub, &t->now);
}

static void out_txn(struct outbox *ob, int kind, int status, int from, const struct frame_ref *req,
		    const struct mqtt_record *rec, int pass)
{
	struct session_txn *x;

	if (ob->ntxn == 4)
		return;
	x = &ob->txn[ob->ntxn];
	memset(x, 0, sizeof *x);
	x->kind = (uint8_t)kind;
	x->status = (uint8_t)status;
	x->from = (uint8_t)from;
	x->request = *req;
	if (rec) {
		x->answer = rec->at;
		x->latency_ns = sess_elapsed_ns(req, &rec->at);
		x->rec = rec;
		if (rec->msg.has_code) {
			x->has_code = 1;
			x->code = rec->msg.code;
		}
	}
	ob->txn_pass[ob->ntxn++] = (uint8_t)pass;
}

void sess_out_anomaly(struct outbox *ob, int kind, int from, const struct mqtt_record *rec,
		      int pass)
{
	struct session_anomaly *a;

	if (ob->nan == 6)
		return;
	a = &ob->an[ob->nan];
	memset(a, 0, sizeof *a);
	a->kind = (uint8_t)kind;
	a->from = (uint8_t)from;
	a->type = rec->msg.hdr.type;
	a->has_msgid = rec->msg.has_msgid;
	a->msgid = rec->msg.msgid;
	a->at = rec->at;
	ob->an_pass[ob->nan++] = (uint8_t)pass;
}

/* ---- matching ----------------------------------------------------------------------------- */

/* A SUBACK or UNSUBACK: the first failure code (>= 0x80), or the highest granted code. */
static void list_codes(const struct mqtt_record *rec, struct session_txn *x)
{
	const struct mqtt_msg *m = &rec->msg;
	uint8_t worst = 0, fail = 0;

	if (m->hdr.type == MQTT_UNSUBACK && m->version != MQTT_V5)
		return; /* 3.x UNSUBACK has no codes */
	for (uint32_t i = 0; i < m->list.len; i++) {
		uint8_t c = m->list.p[i];
		if (c >= 0x80 && !fail)
			fail = c;
		if (c > worst)
			worst = c;
	}
	if (!m->list.len)
		return;
	x->has_code = 1;
	x->code = fail ? fail : worst;
	if (fail)
		x->status = SESSION_TXN_FAILED;
}

static int ack_fails(const struct mqtt_msg *m)
{
	return m->has_code && m->code >= 0x80;
}

/* The requester's side of an acknowledgement. */
static void ack_without_request(struct sess *s, struct outbox *ob, const struct mqtt_record *rec,
				int from, int req, int pass)
{
	/* Without the connection's start, or with bytes of either direction lost, the
	 * request (or the step before) may simply not be in the capture. */
	if (!s->pub.flow->saw_syn || s->gap[req] || s->gap[!req])
		return;
	sess_out_anomaly(ob, SESSION_AN_ACK_WITHOUT_REQUEST, from, rec, pass);
}

static void hold_orphan(struct sess *s, const struct mqtt_record *rec, int pass)
{
	s->orphan.live = 1;
	s->orphan.type = rec->msg.hdr.type;
	s->orphan.flags = rec->msg.hdr.flags;
	s->orphan.version = rec->msg.version;
	s->orphan.dir = (uint8_t)rec->dir;
	s->orphan.has_code = rec->msg.has_code;
	s->orphan.code = rec->msg.code;
	s->orphan.msgid = rec->msg.msgid;
	s->orphan.pass = (uint8_t)pass;
	s->orphan.at = rec->at;
}

/* The packet a held acknowledgement follows in its flow. */
static uint8_t step_before(uint8_t type)
{
	switch (type) {
	case MQTT_PUBACK: case MQTT_PUBREC: return MQTT_PUBLISH;
	case MQTT_PUBREL: return MQTT_PUBREC;
	case MQTT_PUBCOMP: return MQTT_PUBREL;
	case MQTT_SUBACK: return MQTT_SUBSCRIBE;
	case MQTT_UNSUBACK: return MQTT_UNSUBSCRIBE;
	default: return 0;
	}
}

/* rec is the held acknowledgement's missing step, from the other side, stamped no later. */
static int resolves_orphan(const struct sess *s, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;
	const struct frame_ref *a = &rec->at, *o = &s->orphan.at;

	return rec->dir != s->orphan.dir && m->has_msgid && m->msgid == s->orphan.msgid &&
	       m->hdr.type == step_before(s->orphan.type) &&
	       (m->hdr.type != MQTT_PUBLISH || m->qos == (s->orphan.type == MQTT_PUBACK ? 1 : 2)) &&
	       (a->ts_sec < o->ts_sec || (a->ts_sec == o->ts_sec && a->ts_nsec <= o->ts_nsec));
}

/* The held acknowledgement was one after all. */
static void tell_orphan(struct session_tracker *t, struct sess *s)
{
	struct session_anomaly a;

	s->orphan.live = 0;
	if (!s->orphan.pass)
		return;
	memset(&a, 0, sizeof a);
	a.kind = SESSION_AN_ACK_WITHOUT_REQUEST;
	a.from = s->orphan.dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER;
	a.type = s->orphan.type;
	a.has_msgid = 1;
	a.msgid = s->orphan.msgid;
	a.at = s->orphan.at;
	tell_anomaly(t, s, &a);
}

static void request(struct sess *s, struct outbox *ob, const struct mqtt_record *rec, int from,
		    int kind, int pass)
{
	const struct mqtt_msg *m = &rec->msg;
	uint32_t key = pend_key(from, m->msgid);
	struct pend *p;

	if (!m->has_msgid)
		return;
	if ((p = pend_find(s, key))) {
		if (m->hdr.type == MQTT_PUBLISH && m->dup && p->kind == kind)
			return; /* a retransmission of the same request */
		sess_out_anomaly(ob, SESSION_AN_ID_REUSED, from, rec, pass || p->pass);
		out_txn(ob, p->kind, SESSION_TXN_INCOMPLETE, from, &p->at, NULL, p->pass);
		ob->txn[ob->ntxn - 1].has_msgid = 1;
		ob->txn[ob->ntxn - 1].msgid = m->msgid;
		ob->txn[ob->ntxn - 1].qos = p->qos;
		ob->txn[ob->ntxn - 1].stage = p->stage;
		ob->txn[ob->ntxn - 1].superseded = 1;
	} else if (!(p = pend_add(s, key))) {
		s->pub.untracked++;
		return;
	}
	p->kind = (uint8_t)kind;
	p->stage = m->hdr.type;
	p->qos = m->qos;
	p->pass = (uint8_t)pass;
	p->at = rec->at;
}

/* A step of the flow that side req started with this packet id, sent by `from` (the other
 * side for acknowledgements; req itself for PUBREL). want: the kind of request, stage: the
 * step of a QoS 2 flow it must follow (0: any). done: it ends the flow. */
static void answer(struct session_tracker *t, struct sess *s, struct outbox *ob,
		   const struct mqtt_record *rec, int from, int req, int want, int stage, int done,
		   int *pass)
{
	const struct mqtt_msg *m = &rec->msg;
	struct pend *p;
	struct session_txn *x;

	if (!m->has_msgid)
		return;
	p = pend_find(s, pend_key(req, m->msgid));
	int client_ok = !t->cfg.nclients || s->client_match;

	if (!p || p->kind != want || (stage && p->stage != stage)) {
		*pass = client_ok && sess_ack_passes(t, m, 0);
		if (t->replaying || !s->pub.flow->saw_syn || s->gap[0] || s->gap[1])
			ack_without_request(s, ob, rec, from, req, *pass);
		else
			hold_orphan(s, rec, *pass);
		return;
	}
	*pass = client_ok && sess_ack_passes(t, m, p->pass);
	if (!done && !ack_fails(m)) {
		p->stage = m->hdr.type;
		return;
	}
	out_txn(ob, p->kind, ack_fails(m) ? SESSION_TXN_FAILED : SESSION_TXN_COMPLETE, req, &p->at,
		rec, p->pass || *pass);
	x = &ob->txn[ob->ntxn - 1];
	x->has_msgid = 1;
	x->msgid = m->msgid;
	x->qos = p->qos;
	x->stage = m->hdr.type;
	if (m->hdr.type == MQTT_SUBACK || m->hdr.type == MQTT_UNSUBACK)
		list_codes(rec, x);
	pend_erase(s, p);
}

static struct sess *get(struct session_tracker *t, const struct reasm_flow *flow)
{
	struct sess *s = t->last;

	if (s && s->pub.flow == flow && s->pub.index == flow->index)
		return s;
	s = find(t, flow->index);
	t->last = s;
	return s;
}

/* CONNECT: the session's facts; a second one is an anomaly. */
static void on_connect(struct session_tracker *t, struct sess *s, struct outbox *ob,
		       const struct mqtt_record *rec, int from, int pass)
{
	const struct mqtt_msg *m = &rec->msg;

	if (s->pub.have_connect) {
		sess_out_anomaly(ob, SESSION_AN_SECOND_CONNECT, from, rec, pass);
		return;
	}
	s->pub.have_connect = 1;
	s->pub.clean_start = (m->connect_flags & 0x02) != 0;
	s->pub.keepalive = m->keepalive;
	s->pub.has_will = m->has_will;
	if (m->has_will)
		t->open_wills++;
	s->pub.will_qos = (m->connect_flags >> 3) & 3;
	s->pub.will_retain = (m->connect_flags & 0x20) != 0;
	s->pub.has_username = m->has_username;
	s->pub.has_clientid = m->clientid.p != NULL;
	if (copy_strings(s, m) < 0)
		s->pub.clientid_len = s->pub.username_len = s->pub.will_topic_len = 0;
	s->connect_pending = 1;
	s->connect_pass = (uint8_t)pass;
	s->connect_at = s->pub.connect_at = rec->at;
	if ((m->has_username || m->has_password) && !rec->flow->in_tls)
		sess_sec_note(s, ob, SESSION_SEC_CLEAR_CREDENTIALS, rec, from, pass);
	if (m->proto_level == MQTT_V31)
		sess_sec_note(s, ob, SESSION_SEC_MQTT31, rec, from, pass);
}

/* CONNACK: ends the CONNECT transaction (and an AUTH exchange before it). Returns pass. */
static int on_connack(struct session_tracker *t, struct sess *s, struct outbox *ob,
		      const struct mqtt_record *rec, int from, int client_ok, int pass)
{
	const struct mqtt_msg *m = &rec->msg;
	int ok = !m->has_code || m->code == 0;

	if (s->pub.have_connack || !s->connect_pending) {
		pass = client_ok && sess_ack_passes(t, m, 0);
		ack_without_request(s, ob, rec, from, !from, pass);
		return pass;
	}
	pass = client_ok && sess_ack_passes(t, m, s->connect_pass);
	s->pub.have_connack = 1;
	s->pub.connack_at = rec->at;
	s->pub.connack_has_code = m->has_code;
	s->pub.connack_code = m->code;
	s->pub.session_present = m->ack_flags & 1;
	if (m->version == MQTT_V5)
		s->server_keepalive = sess_server_keepalive(m, &s->has_server_keepalive);
	s->connect_pending = 0;
	out_txn(ob, SESSION_TXN_CONNECT, ok ? SESSION_TXN_COMPLETE : SESSION_TXN_FAILED,
		SESSION_CLIENT, &s->connect_at, rec, s->connect_pass || pass);
	if (s->auth_pending) {
		s->auth_pending = 0;
		out_txn(ob, SESSION_TXN_AUTH, ok ? SESSION_TXN_COMPLETE :
			SESSION_TXN_FAILED, SESSION_CLIENT, &s->auth_at, rec,
			s->auth_pass || pass);
	}
	if (ok && !s->pub.has_username)
		sess_sec_note(s, ob, SESSION_SEC_ANONYMOUS, rec, from, pass);
	return pass;
}

/* PINGREQ waits (a few at most) for its PINGRESP, which ends the oldest. Returns pass. */
static int on_ping(struct session_tracker *t, struct sess *s, struct outbox *ob,
		   const struct mqtt_record *rec, int from, int client_ok, int pass)
{
	const struct mqtt_msg *m = &rec->msg;

	if (m->hdr.type == MQTT_PINGREQ) {
		if (s->nping < PINGS_MAX) {
			int k = (s->ping_head + s->nping) % PINGS_MAX;
			s->ping[k] = rec->at;
			s->ping_pass[k] = (uint8_t)pass;
			s->nping++;
		}
		return pass;
	}
	if (!s->nping) {
		pass = client_ok && sess_ack_passes(t, m, 0);
		ack_without_request(s, ob, rec, from, !from, pass);
		return pass;
	}
	pass = client_ok && sess_ack_passes(t, m, s->ping_pass[s->ping_head]);
	out_txn(ob, SESSION_TXN_PING, SESSION_TXN_COMPLETE, SESSION_CLIENT,
		&s->ping[s->ping_head], rec, s->ping_pass[s->ping_head] || pass);
	s->ping_head = (s->ping_head + 1) % PINGS_MAX;
	s->nping--;
	return pass;
}

/* DISCONNECT (the first one's code counts) and AUTH: an AUTH exchange ends at the
 * broker's success AUTH, or fails at its DISCONNECT. */
static void on_disconnect_auth(struct sess *s, struct outbox *ob,
			       const struct mqtt_record *rec, int from, int pass)
{
	const struct mqtt_msg *m = &rec->msg;

	if (m->hdr.type == MQTT_DISCONNECT) {
		if (s->pub.ended != SESSION_END_DISCONNECT) {
			s->pub.disconnect_from = (uint8_t)from;
			s->pub.disconnect_has_code = m->has_code;
			s->pub.disconnect_code = m->code;
		}
		s->pub.ended = SESSION_END_DISCONNECT; /* provisional: set at the end */
		if (s->auth_pending && from == SESSION_BROKER) {
			s->auth_pending = 0;
			out_txn(ob, SESSION_TXN_AUTH, SESSION_TXN_FAILED, SESSION_CLIENT,
				&s->auth_at, rec, s->auth_pass || pass);
		}
	} else if (!s->auth_pending) {
		s->auth_pending = 1;
		s->auth_pass = (uint8_t)pass;
		s->auth_at = rec->at;
	} else if (from == SESSION_BROKER && (!m->has_code || m->code == 0)) {
		s->auth_pending = 0;
		out_txn(ob, SESSION_TXN_AUTH, SESSION_TXN_COMPLETE, SESSION_CLIENT,
			&s->auth_at, rec, s->auth_pass || pass);
	}
}

/* The request/acknowledgement bookkeeping of one packet sent by `from`. Returns whether it
 * passes the filter (pass: as decided from the packet alone; acknowledgements inherit
 * their request's). A cut packet counts with the fields its captured prefix holds. */
static int flow_step(struct session_tracker *t, struct sess *s, struct outbox *ob,
		     const struct mqtt_record *rec, int from, int client_ok, int pass)
{
	const struct mqtt_msg *m = &rec->msg;
	uint8_t type = m->hdr.type;

	switch (type) {
	case MQTT_CONNECT:
		on_connect(t, s, ob, rec, from, pass);
		break;
	case MQTT_CONNACK:
		pass = on_connack(t, s, ob, rec, from, client_ok, pass);
		break;
	case MQTT_PUBLISH:
		if (m->qos == 1 || m->qos == 2)
			request(s, ob, rec, from, m->qos == 1 ? SESSION_TXN_PUBLISH1 :
				SESSION_TXN_PUBLISH2, pass);
		break;
	case MQTT_PUBACK:
		answer(t, s, ob, rec, from, !from, SESSION_TXN_PUBLISH1, 0, 1, &pass);
		break;
	case MQTT_PUBREC:
		answer(t, s, ob, rec, from, !from, SESSION_TXN_PUBLISH2, MQTT_PUBLISH, 0, &pass);
		break;
	case MQTT_PUBREL:
		/* PUBREL goes the way of the PUBLISH: the requester sends it */
		answer(t, s, ob, rec, from, from, SESSION_TXN_PUBLISH2, MQTT_PUBREC, 0, &pass);
		break;
	case MQTT_PUBCOMP:
		answer(t, s, ob, rec, from, !from, SESSION_TXN_PUBLISH2, MQTT_PUBREL, 1, &pass);
		break;
	case MQTT_SUBSCRIBE:
		request(s, ob, rec, from, SESSION_TXN_SUBSCRIBE, pass);
		if (sess_subscribes_all(m))
			sess_sec_note(s, ob, SESSION_SEC_SUBSCRIBE_ALL, rec, from, pass);
		break;
	case MQTT_SUBACK:
		answer(t, s, ob, rec, from, !from, SESSION_TXN_SUBSCRIBE, 0, 1, &pass);
		break;
	case MQTT_UNSUBSCRIBE:
		request(s, ob, rec, from, SESSION_TXN_UNSUBSCRIBE, pass);
		break;
	case MQTT_UNSUBACK:
		answer(t, s, ob, rec, from, !from, SESSION_TXN_UNSUBSCRIBE, 0, 1, &pass);
		break;
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		pass = on_ping(t, s, ob, rec, from, client_ok, pass);
		break;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		on_disconnect_auth(s, ob, rec, from, pass);
		break;
	default:
		break;
	}
	return pass;
}

/* The session of a connection seen for the first time (a message, or damage before any). */
/* Tell the budget what s holds now: itself, its strings, its table of open requests. */
static void recharge(struct session_tracker *t, struct sess *s)
{
	size_t now = sizeof *s + (s->strs ? 3 * SESSION_STR_MAX : 0) + s->cap * sizeof *s->tab;

	budget_resize(t->budget, BUDGET_SESSION, s->charged, now);
	s->charged = now;
}

static struct sess *create(struct session_tracker *t, const struct reasm_flow *flow,
			   const struct frame_ref *at)
{
	struct sess *s = budget_calloc(1, sizeof *s, "sessions");

	if (!s)
		return NULL;
	s->pub.index = flow->index;
	s->pub.flow = flow;
	s->budget = t->budget;
	s->pub.start = *at;
	s->pub.clientid = s->pub.username = s->pub.will_topic = "";
	s->last_client = *at;
	if (insert(t, s) < 0) {
		free(s);
		return NULL;
	}
	t->last = s;
	return s;
}

/* The held acknowledgement matched now, from what was kept of it into *ack (its list of
 * codes is gone: a SUBACK's granted codes are not shown). *ack lives until the
 * transactions it ends are told. */
static void replay_orphan(struct session_tracker *t, struct sess *s, struct outbox *ob,
			  struct mqtt_record *ack, const struct mqtt_record *rec, int client_ok)
{
	memset(ack, 0, sizeof *ack);
	ack->flow = rec->flow;
	ack->dir = s->orphan.dir;
	ack->at = s->orphan.at;
	ack->version = s->orphan.version;
	ack->length_known = 1;
	ack->msg.hdr.type = s->orphan.type;
	ack->msg.hdr.flags = s->orphan.flags;
	ack->msg.version = s->orphan.version;
	ack->msg.has_msgid = 1;
	ack->msg.msgid = s->orphan.msgid;
	ack->msg.has_code = s->orphan.has_code;
	ack->msg.code = s->orphan.code;
	s->orphan.live = 0;
	t->replaying = 1;
	flow_step(t, s, ob, ack, ack->dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER,
		  client_ok, s->orphan.pass);
	t->replaying = 0;
}

/* A PUBLISH from the broker on the topic of a will whose client went away: the will
 * delivered (told to the observers); else, while wills are open, remembered for a will
 * told later. */
static void match_will(struct session_tracker *t, struct sess *s, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;

	for (int i = 0; i < WILLS_MAX && t->nwills; i++) {
		struct will *w = &t->wills[i];
		if (w->live && w->len == m->topic.len && w->dead_index != s->pub.index &&
		    !memcmp(w->topic, m->topic.p, w->len)) {
			w->live = 0;
			t->nwills--;
			if (w->shown)
				for (int k = 0; k < t->nobs; k++)
					if (t->obs[k].will)
						t->obs[k].will(t->obs[k].ctx, w->dead_index,
							       s->pub.index, &rec->at);
			return;
		}
	}
	if (t->open_wills && m->topic.len <= SESSION_STR_MAX) {
		struct recent *r = &t->recent[t->recent_next];
		r->live = 1;
		r->to = s->pub.index;
		r->at = rec->at;
		r->len = (uint16_t)m->topic.len;
		if (r->len)
			memcpy(r->topic, m->topic.p, r->len);
		t->recent_next = (t->recent_next + 1) % RECENT_MAX;
	}
}

int session_message(struct session_tracker *t, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;
	struct sess *s = get(t, rec->flow);
	struct outbox ob;
	int from = rec->dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER;
	uint8_t type = m->hdr.type;
	int pass, client_ok, wrong, resolve;
	uint64_t ms;
	uint8_t had_connack;
	struct mqtt_record ack; /* a held acknowledgement, matched late: lives until the
				 * transactions it ends are told, below */

	if (!s && !(s = create(t, rec->flow, &rec->at)))
		return !session_filtering(t);
	ob.ntxn = ob.nan = 0;
	t->now = rec->at;
	had_connack = s->pub.have_connack;
	if (!s->pub.version || (type == MQTT_CONNECT && !s->pub.have_connect))
		s->pub.version = type == MQTT_CONNECT ? m->proto_level : rec->version;
	s->pub.end = rec->at;
	s->pub.msgs[from]++;
	s->pub.bytes[from] += rec->length_known ? (uint64_t)m->hdr.hdrlen + m->hdr.remlen : rec->have;

	if (type == MQTT_CONNECT && from == SESSION_CLIENT && !s->pub.have_connect)
		s->client_match = !t->cfg.nclients || sess_client_hit(t, &m->clientid);
	client_ok = !t->cfg.nclients || s->client_match;
	pass = client_ok && sess_passes(t, m);

	if (from == SESSION_CLIENT) {
		if (sess_keepalive_late(s, &rec->at, &ms)) { /* once per silence: it ends here */
			sess_out_anomaly(&ob, SESSION_AN_KEEPALIVE, from, rec, pass);
			ob.an[ob.nan - 1].value = ms;
			ob.an[ob.nan - 1].type = 0;
		}
		s->last_client = rec->at;
	}

	wrong = sess_order_anomaly(s, &ob, rec, from, pass);

	resolve = s->orphan.live && resolves_orphan(s, rec);
	if (s->orphan.live && !resolve)
		tell_orphan(t, s); /* before this packet: events stay in order */
	if (!wrong)
		pass = flow_step(t, s, &ob, rec, from, client_ok, pass);
	if (resolve)
		replay_orphan(t, s, &ob, &ack, rec, client_ok);

	if (pass) {
		s->pub.shown = 1;
		for (int i = 0; i < t->nobs; i++)
			if (t->obs[i].message)
				t->obs[i].message(t->obs[i].ctx, &s->pub, rec);
	}
	if (!had_connack && s->pub.have_connack && (s->connect_pass || pass))
		tell_open(t, s);
	if (type == MQTT_PUBLISH && from == SESSION_BROKER && !rec->incomplete &&
	    (t->nwills || t->open_wills))
		match_will(t, s, rec);

	for (int i = 0; i < ob.ntxn; i++)
		if (ob.txn_pass[i])
			tell_txn(t, s, &ob.txn[i]);
	for (int i = 0; i < ob.nan; i++)
		if (ob.an_pass[i])
			tell_anomaly(t, s, &ob.an[i]);
	recharge(t, s);
	return pass;
}

static int not_before(const struct frame_ref *a, const struct frame_ref *b)
{
	return a->ts_sec > b->ts_sec || (a->ts_sec == b->ts_sec && a->ts_nsec >= b->ts_nsec);
}

/* The session ended without DISCONNECT: its will may have been published already (kept in
 * recent) or may come later (kept in wills). */
static void remember_will(struct session_tracker *t, const struct sess *s, int shown)
{
	struct will *w = &t->wills[t->will_next];

	if (s->pub.will_topic_cut || !s->pub.will_topic_len)
		return; /* a topic name has at least one character [MQTT-4.7.3-1] */
	for (int i = 0; i < RECENT_MAX; i++) {
		struct recent *r = &t->recent[i];
		if (r->live && r->len == s->pub.will_topic_len && r->to != s->pub.index &&
		    not_before(&r->at, &s->last_client) &&
		    !memcmp(r->topic, s->pub.will_topic, r->len)) {
			r->live = 0;
			if (shown)
				for (int k = 0; k < t->nobs; k++)
					if (t->obs[k].will)
						t->obs[k].will(t->obs[k].ctx, s->pub.index, r->to, &r->at);
			return;
		}
	}
	if (!w->live)
		t->nwills++;
	w->live = 1;
	w->shown = (uint8_t)shown;
	w->dead_index = s->pub.index;
	w->len = s->pub.will_topic_len;
	memcpy(w->topic, s->pub.will_topic, w->len);
	t->will_next = (t->will_next + 1) % WILLS_MAX;
}

/* End a session: what never got its answer, a silence at the end, observers, the will. */
/* Sort keys for the open requests of a session: request frame, then place in the table
 * (the order the lowest-frame-first search of the table used to give). */
static int order_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The session ended: each open request is reported incomplete (a QoS 2 flow also as an
 * anomaly), by request frame. One sort: O(n log n) for n open requests (a search for the
 * lowest frame each time was O(n * table size)). */
static void pend_report(struct session_tracker *t, struct sess *s, int plain)
{
	uint64_t order[PEND_MAX]; /* (frame << 12 | slot): frames below 2^52, slots 2^12 */
	_Static_assert(PEND_MAX == 1 << 12, "slots fit in the 12 low bits");
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->cap; i++)
		if (s->tab[i].key)
			order[n++] = s->tab[i].at.frame << 12 | i;
	qsort(order, n, sizeof *order, order_cmp);
	for (uint32_t k = 0; k < n; k++) {
		const struct pend *best = &s->tab[order[k] & (PEND_MAX - 1)];
		struct session_txn x;
		memset(&x, 0, sizeof x);
		x.kind = best->kind;
		x.status = SESSION_TXN_INCOMPLETE;
		x.from = (uint8_t)((best->key - 1) >> 16);
		x.has_msgid = 1;
		x.msgid = (uint16_t)(best->key - 1);
		x.qos = best->qos;
		x.stage = best->stage;
		x.request = best->at;
		if (best->pass || plain)
			tell_txn(t, s, &x);
		if (best->kind == SESSION_TXN_PUBLISH2) {
			struct session_anomaly a;
			memset(&a, 0, sizeof a);
			a.kind = SESSION_AN_QOS2_UNFINISHED;
			a.from = x.from;
			a.type = best->stage;
			a.has_msgid = 1;
			a.msgid = x.msgid;
			a.at = s->pub.end;
			if (best->pass || plain)
				tell_anomaly(t, s, &a);
		}
	}
	for (uint32_t i = 0; i < s->cap; i++)
		s->tab[i].key = 0;
	s->used = 0;
}

static void end_session(struct session_tracker *t, struct sess *s, int why, int closer,
			int closer_rst, const struct frame_ref *at)
{
	struct session *p = &s->pub;
	int client_ok = !t->cfg.nclients || s->client_match;
	int plain = client_ok && sess_by_client_only(t);
	uint64_t ms;

	if (s->orphan.live)
		tell_orphan(t, s);
	if (p->ended == SESSION_END_DISCONNECT)
		;
	else if (closer)
		p->ended = closer == 1 ? (closer_rst ? SESSION_END_CLIENT_RST : SESSION_END_CLIENT_FIN) :
			   (closer_rst ? SESSION_END_BROKER_RST : SESSION_END_BROKER_FIN);
	else
		p->ended = why == REASM_END_IDLE ? SESSION_END_IDLE :
			   why == REASM_END_EVICTED || why == REASM_END_MEMORY ? SESSION_END_EVICTED :
			   why == REASM_END_REUSED ? SESSION_END_REUSED : SESSION_END_CAPTURE;
	if (at && (at->ts_sec > p->end.ts_sec ||
		   (at->ts_sec == p->end.ts_sec && at->ts_nsec > p->end.ts_nsec) ||
		   at->frame > p->end.frame))
		p->end = *at;
	t->now = p->end;
	if (s->connect_pending && (s->connect_pass || plain))
		tell_open(t, s); /* unanswered: known now */

	pend_report(t, s, plain);
	{
		struct session_txn x;
		memset(&x, 0, sizeof x);
		x.status = SESSION_TXN_INCOMPLETE;
		if (s->connect_pending) {
			x.kind = SESSION_TXN_CONNECT;
			x.request = s->connect_at;
			if (s->connect_pass || plain)
				tell_txn(t, s, &x);
		}
		if (s->auth_pending) {
			x.kind = SESSION_TXN_AUTH;
			x.request = s->auth_at;
			if (s->auth_pass || plain)
				tell_txn(t, s, &x);
		}
		while (s->nping) {
			x.kind = SESSION_TXN_PING;
			x.request = s->ping[s->ping_head];
			if (s->ping_pass[s->ping_head] || plain)
				tell_txn(t, s, &x);
			s->ping_head = (s->ping_head + 1) % PINGS_MAX;
			s->nping--;
		}
	}
	/* a client silent at the end for longer than the keep alive allows, and not seen
	 * leaving with a DISCONNECT */
	if (p->ended != SESSION_END_DISCONNECT && sess_keepalive_late(s, &p->end, &ms)) {
		struct session_anomaly a;
		memset(&a, 0, sizeof a);
		a.kind = SESSION_AN_KEEPALIVE;
		a.from = SESSION_CLIENT;
		a.at = p->end;
		a.value = ms;
		if (plain || (client_ok && p->shown && sess_by_client_only(t)))
			tell_anomaly(t, s, &a);
	}
	if (p->shown || !session_filtering(t))
		for (int i = 0; i < t->nobs; i++)
			if (t->obs[i].end)
				t->obs[i].end(t->obs[i].ctx, p);
	/* the broker publishes the will when the client leaves without DISCONNECT (in 5.0,
	 * also after DISCONNECT 0x04 Disconnect with Will Message) */
	if (p->has_will && p->ended != SESSION_END_CAPTURE &&
	    (p->ended != SESSION_END_DISCONNECT ||
	     (p->version == MQTT_V5 && p->disconnect_from == SESSION_CLIENT &&
	      p->disconnect_has_code && p->disconnect_code == MQTT_RC_DISCONNECT_WITH_WILL)))
		remember_will(t, s, p->shown || !session_filtering(t));
}

static void drop(struct session_tracker *t, struct sess *s)
{
	budget_release(t->budget, BUDGET_SESSION, s->charged);
	if (s->pub.has_will)
		t->open_wills--;
	erase(t, s);
	free(s->strs);
	free(s->tab);
	free(s);
}

int session_event(struct session_tracker *t, const struct framer_event *ev)
{
	struct sess *s = get(t, ev->flow);
	int shown;

	/* damage before the first message: the session is known from it, so that every output
	 * counts it (the JSON stream has the event) */
	if (!s && ev->kind != FRAMER_EV_END && ev->kind != FRAMER_EV_VERSION)
		s = create(t, ev->flow, &ev->at);
	shown = s ? (s->pub.shown || !session_filtering(t)) : !session_filtering(t);
	if (!s)
		return shown;
	if (ev->kind == FRAMER_EV_GAP)
		s->gap[ev->dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER] = 1;
	if (ev->kind != FRAMER_EV_END && shown && sess_by_client_only(t))
		for (int i = 0; i < t->nobs; i++)
			if (t->obs[i].event)
				t->obs[i].event(t->obs[i].ctx, &s->pub, ev);
	if (ev->kind == FRAMER_EV_END) {
		end_session(t, s, ev->why, ev->flow->closer, ev->flow->closer_rst, &ev->at);
		drop(t, s);
	}
	/* events of a shown session pass --client; --topic and --type keep only messages */
	return shown && sess_by_client_only(t);
}

void session_finish(struct session_tracker *t)
{
	for (size_t i = 0; i < t->nslots;) {
		struct sess *s = t->slots[i];
		if (!s) {
			i++;
			continue;
		}
		end_session(t, s, REASM_END_CAPTURE, s->pub.flow->closer, s->pub.flow->closer_rst,
			    NULL);
		drop(t, s); /* the slot refills from later in the cluster: look at it again */
	}
}

void session_free(struct session_tracker *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i]) {
			free(t->slots[i]->strs);
			free(t->slots[i]->tab);
			free(t->slots[i]);
		}
	free(t->slots);
	free(t);
}
