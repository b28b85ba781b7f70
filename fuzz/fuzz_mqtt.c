/* libFuzzer target: the MQTT packet parser, every version, every reader of its results. */
#include "mqttdump/mqtt.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t versions[] = { MQTT_VUNKNOWN, MQTT_V31, MQTT_V311, MQTT_V5 };
	struct mqtt_msg m;
	char info[128];

	for (size_t v = 0; v < sizeof versions; v++) {
		struct mqtt_cursor c;
		struct mqtt_prop p;
		struct mqtt_view f;
		uint8_t o;

		int rc = mqtt_parse(data, size, versions[v], &m);

		/* the framer's fast check says what the full parse says */
		if (mqtt_parse_clean(data, size, versions[v]) != (rc == MQTT_OK && m.nwarn == 0))
			__builtin_trap();
		if ((rc == MQTT_MALFORMED) != mqtt_malformed(&m) || m.nwarn > MQTT_MAX_WARNINGS)
			__builtin_trap();
		mqtt_info(&m, info, sizeof info);
		mqtt_media_proto(&m);
		c = mqtt_cursor_of(m.list);
		while (mqtt_next_sub(&c, m.version, &f, &o) == MQTT_OK)
			;
		c = mqtt_cursor_of(m.list);
		while (mqtt_next_filter(&c, &f) == MQTT_OK)
			;
		c = mqtt_cursor_of(m.props);
		while (mqtt_next_prop(&c, &p) == MQTT_OK)
			mqtt_prop_name(p.id);
		mqtt_find_prop(&m, MQTT_PROP_TOPIC_ALIAS, &p);
		mqtt_find_prop_in(m.will_props, MQTT_PROP_CONTENT_TYPE, &p);
		for (unsigned i = 0; i < m.nwarn; i++)
			if (m.warn[i].offset > size)
				__builtin_trap(); /* a warning must point inside the packet */
		mqtt_code_name(m.hdr.type, m.version, m.code);
	}
	return 0;
}
