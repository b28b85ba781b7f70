/* placeholder */ extern int mqttdump_explain_fr;
