#include "mqttdump/report.h"
int report_explain_new(const struct report_opts *o, const char *lang, struct reporter *r) { (void)o; (void)lang; (void)r; return -1; }
