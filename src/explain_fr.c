/* \summary: the sentences of --explain in French
 *
 * The same statements as explain_en.c (whose comments give the specification sections of
 * each). French typography: a no-break space (U+00A0) before ":" and ";" and inside « »;
 * a client's name always comes after "client" ("du client {client}"), so that no elision
 * depends on a name. */
#include "mqttdump/explain.h"

static const char *const fr[EX_COUNT] = {
	[EX_PAYLOAD_TEXT] = "« {text} »",
	[EX_PAYLOAD_BINARY] = "{n} octets de données binaires",
	[EX_PAYLOAD_EMPTY] = "un message vide",
	[EX_SUB_FILTER] = "{topic} en QoS {qos}",
	[EX_LIST_SEP] = ", ",
	[EX_GRANTED] = "QoS {qos} accordée",
	[EX_GRANT_REFUSED] = "refusé ({reason})",
	[EX_MATCH_ITEM] = "{topic} (QoS {qos} accordée)",
	[EX_CLOSE_FIN] = "un FIN TCP",
	[EX_CLOSE_RST] = "une réinitialisation TCP (RST)",

	[EX_CONNECT] = "Le client {client} ouvre une session MQTT {version} et s'engage à "
		"donner signe de vie au moins toutes les {keepalive} s ; le broker va répondre "
		"par un Connect Ack.",
	[EX_CONNECT_NO_KEEPALIVE] = "Le client {client} ouvre une session MQTT {version} sans "
		"keepalive (0) : le broker ne la fermera pas pour cause de silence (sauf si, en "
		"MQTT 5.0, son Connect Ack fixe un Server Keep Alive). Il va répondre par un "
		"Connect Ack.",
	[EX_CONNECT_PERSISTENT] = "Clean Session n'est pas positionné : le broker conserve les "
		"abonnements et les messages en attente de ce client après son départ.",
	[EX_CONNECT_CLEAN_START_0] = "Clean Start n'est pas positionné : si le broker a une "
		"session pour cet identifiant de client, il la poursuit.",
	[EX_CONNECT_EXPIRY] = "Session Expiry Interval {expiry} s : le broker garde la session, "
		"abonnements et messages en attente compris, aussi longtemps après la fermeture "
		"de la connexion.",
	[EX_CONNECT_EXPIRY_NEVER] = "Session Expiry Interval 0xFFFFFFFF : la session n'expire "
		"jamais ; le broker la garde, abonnements et messages en attente compris, après "
		"la fermeture de la connexion, tant qu'il tourne.",
	[EX_CONNECT_NO_EXPIRY] = "Il n'y a pas de Session Expiry Interval, donc la session se "
		"termine à la fermeture de la connexion : rien n'est gardé pour une suivante.",
	[EX_CONNECT_USER_PASS] = "À noter : le nom d'utilisateur « {user} » et le mot de "
		"passe ({pwlen} octets) circulent en clair ; n'importe qui sur le chemin peut les "
		"lire. Seul TLS (port 8883) les protège.",
	[EX_CONNECT_USER] = "À noter : le nom d'utilisateur « {user} » circule en clair.",
	[EX_CONNECT_USER_PASS_TLS] = "Le nom d'utilisateur « {user} » et le mot de passe "
		"({pwlen} octets) voyagent dans TLS : sur le réseau ils sont chiffrés, et seules "
		"les clés de session (--keylog) permettent à mqttdump de les lire.",
	[EX_CONNECT_USER_TLS] = "Le nom d'utilisateur « {user} » voyage dans TLS : sur le "
		"réseau il est chiffré.",
	[EX_CONNECT_EMPTY_ID] = "L'identifiant de client est vide : un broker qui l'accepte "
		"donne au client un identifiant unique de son choix sans dire lequel, et seulement "
		"si Clean Session est positionné (mqttdump nomme le client par son adresse).",
	[EX_CONNECT_EMPTY_ID_V5] = "L'identifiant de client est vide : un broker qui l'accepte "
		"donne au client un identifiant unique et le lui renvoie dans le Connect Ack "
		"(Assigned Client Identifier).",
	[EX_CONNECT_WILL] = "Il laisse aussi un testament : s'il disparaît sans Disconnect, le "
		"broker publiera {payload} sur {will_topic} en QoS {qos}.",
	[EX_CONNECT_WILL_RETAIN] = "Le testament sera conservé (retain) : les abonnés qui "
		"arriveront plus tard le recevront aussi.",

	[EX_CONNACK_OK] = "Le broker accepte le client {client} : la session est ouverte, "
		"chacun peut désormais envoyer des messages.",
	[EX_CONNACK_SESSION] = "Session Present : le broker avait gardé la session de ce client, "
		"abonnements compris, d'une connexion précédente.",
	[EX_CONNACK_ASSIGNED] = "Le client n'a pas envoyé d'identifiant : le broker lui attribue "
		"{assigned} (Assigned Client Identifier), son nom à partir de maintenant.",
	[EX_CONNACK_REFUSED] = "Le broker refuse le client {client} : {reason} (code {code}). "
		"Il ferme la connexion ; plus rien ne peut passer dessus.",
	[EX_REFUSED_VERSION] = "Le broker ne parle pas la version du protocole demandée par le "
		"client.",
	[EX_REFUSED_ID] = "Le broker n'accepte pas cet identifiant de client.",
	[EX_REFUSED_UNAVAILABLE] = "Le broker répond, mais le service MQTT n'est pas disponible.",
	[EX_REFUSED_BAD_LOGIN] = "Le nom d'utilisateur ou le mot de passe est faux.",
	[EX_REFUSED_NOT_AUTHORIZED] = "Ce client n'a pas le droit de se connecter : identifiants "
		"faux ou absents, ou une règle d'accès l'interdit.",

	[EX_PUB0_C2B] = "Le client {client} publie {payload} sur {topic} en QoS 0 (au plus une "
		"fois) : le broker le transmet aux abonnés, et personne n'en accuse réception.",
	[EX_PUB0_B2C] = "Le broker remet au client {client} ce qui a été publié sur {topic}, "
		"{payload}, en QoS 0 : pas d'accusé de réception ; s'il se perd, tant pis.",
	[EX_PUB1_C2B] = "QoS 1, étape 1 sur 2 : le client {client} publie {payload} sur {topic} "
		"(id {id}) ; il garde le message jusqu'au Publish Ack du broker et, si la "
		"connexion est coupée avant, le renvoie (DUP positionné) en se reconnectant à la "
		"même session.",
	[EX_PUB1_B2C] = "QoS 1, étape 1 sur 2 : le broker remet au client {client} ce qui a été "
		"publié sur {topic}, {payload} (id {id}) ; le client va confirmer par un Publish "
		"Ack.",
	[EX_PUB2_C2B] = "QoS 2, étape 1 sur 4 : le client {client} publie {payload} sur {topic} "
		"(id {id}) ; le broker va noter l'id et répondre par un Publish Received.",
	[EX_PUB2_B2C] = "QoS 2, étape 1 sur 4 : le broker remet au client {client} ce qui a été "
		"publié sur {topic}, {payload} (id {id}) ; le client va noter l'id et répondre par "
		"un Publish Received.",
	[EX_PUB_RETAIN_C2B] = "Notez le drapeau Retain : le broker garde ce message et le "
		"donnera aussitôt à quiconque s'abonnera plus tard à {topic}.",
	[EX_PUB_RETAIN_B2C] = "Le drapeau Retain est positionné : c'est le message que le broker "
		"gardait pour {topic}, envoyé parce que l'abonnement vient d'être pris ; ce n'est "
		"pas une nouvelle publication.",
	[EX_PUB_RETAIN_RAP] = "Le drapeau Retain est positionné : l'abonnement a demandé Retain As "
		"Published, donc le drapeau est celui de l'éditeur, et ce peut être une nouvelle "
		"publication aussi bien que le message que le broker gardait pour {topic}.",
	[EX_PUB_RETAIN_CLEAR] = "Un message retenu vide : il efface celui que le broker gardait "
		"pour {topic}.",
	[EX_PUB_DUP] = "Le drapeau DUP est positionné : c'est le renvoi d'un message qui est "
		"peut-être déjà arrivé.",
	[EX_PUB_RESPONSE_TOPIC] = "C'est une requête : celui qui la traite doit publier la "
		"réponse sur {response_topic}, avec les mêmes Correlation Data pour que le "
		"demandeur puisse les rapprocher.",
	[EX_PUB_RESPONSE_NO_CORR] = "C'est une requête : celui qui la traite doit publier la "
		"réponse sur {response_topic}. Elle ne porte pas de Correlation Data : une réponse "
		"ne se reconnaît qu'au topic sur lequel elle arrive.",
	[EX_PUB_CORRELATION] = "C'est une réponse : elle porte les Correlation Data de la "
		"requête, grâce auxquelles le demandeur sait à quelle question elle répond.",
	[EX_PUB_TOPIC_ALIAS] = "Le nom du topic est vide : un Topic Alias défini plus tôt "
		"remplace {topic}, ce qui économise des octets à chaque message.",
	[EX_PUB_IS_WILL] = "C'est le testament du client {owner} : sa connexion s'est terminée "
		"sans Disconnect, alors le broker le publie en son nom.",
	[EX_PUB_HOP] = "Cette QoS ne vaut que pour un tronçon, du client {client} au broker : "
		"chaque abonné reçoit le message dans un échange qui lui est propre, à la plus "
		"basse de cette QoS et de celle accordée à son abonnement.",
	[EX_PUB_MATCHED] = "Le broker l'envoie au client {client} à cause de son abonnement à "
		"{matches}.",
	[EX_PUB_FROM_SESSION] = "Aucun Subscribe de cette connexion ne correspond à {topic} : "
		"l'abonnement vient de la session que le broker a gardée (Session Present).",
	[EX_PUB_MATCHED_PENDING] = "Il correspond à l'abonnement du client {client} à {matches}, "
		"pas encore confirmé : un broker peut commencer à remettre les messages avant "
		"son Subscribe Ack.",
	[EX_PUB_PENDING_SESSION] = "Comme le broker a gardé la session de ce client (Session "
		"Present), le message peut aussi bien venir des abonnements de cette session.",
	[EX_PUB_DOWNGRADE] = "Le client {publisher} l'a publié en QoS {pub_qos}, mais le client "
		"{client} n'a obtenu que la QoS {max_qos} au plus : le broker le remet à la plus "
		"basse des deux, QoS {qos}.",

	[EX_PUBACK_C2B] = "QoS 1, étape 2 sur 2 : le client {client} confirme avoir reçu le "
		"message {id} ; le broker peut l'oublier.",
	[EX_PUBACK_B2C] = "QoS 1, étape 2 sur 2 : le broker confirme avoir reçu le message {id} "
		"du client {client} ; le client peut l'oublier.",
	[EX_PUBREC_C2B] = "QoS 2, étape 2 sur 4 : le client {client} a reçu le message {id} et "
		"en a noté l'id ; le broker va répondre par un Publish Release.",
	[EX_PUBREC_B2C] = "QoS 2, étape 2 sur 4 : le broker a reçu le message {id} du client "
		"{client} et en a noté l'id ; le client va répondre par un Publish Release.",
	[EX_PUBREL_C2B] = "QoS 2, étape 3 sur 4 : le client {client} libère le message {id} : il "
		"ne le renverra plus, et attend un Publish Complete.",
	[EX_PUBREL_B2C] = "QoS 2, étape 3 sur 4 : le broker libère le message {id} : il ne le "
		"renverra plus, et attend le Publish Complete du client {client}.",
	[EX_PUBCOMP_C2B] = "QoS 2, étape 4 sur 4 : le client {client} clôt l'échange {id} ; sur "
		"ce tronçon, du broker au client {client}, le message a été remis exactement une "
		"fois.",
	[EX_PUBCOMP_B2C] = "QoS 2, étape 4 sur 4 : le broker clôt l'échange {id} avec le client "
		"{client} ; le broker a le message exactement une fois. Cela termine seulement le "
		"tronçon du client {client} au broker : chaque abonné le reçoit dans un échange "
		"qui lui est propre.",
	[EX_ACK_REASON] = "L'accusé de réception donne une raison : {reason} (code {code}).",

	[EX_SUBSCRIBE] = "Le client {client} demande au broker de lui transmettre les messages "
		"publiés sur {filters} ; le broker va répondre par un Subscribe Ack (id {id}).",
	[EX_SUB_WILDCARD] = "Dans un filtre, + remplace exactement un niveau du topic, et # "
		"tous les niveaux en dessous.",
	[EX_SUBACK] = "Le broker répond au Subscribe (id {id}) du client {client} : {granted}. "
		"Désormais, il lui transmet les messages qui correspondent aux filtres accordés.",
	[EX_UNSUBSCRIBE] = "Le client {client} demande au broker de ne plus lui envoyer les "
		"messages publiés sur {filters} ; le broker va répondre par un Unsubscribe Ack (id "
		"{id}).",
	[EX_UNSUBACK] = "Le broker confirme le désabonnement du client {client} (id {id}).",

	[EX_PINGREQ] = "Keepalive : le client {client} sonde le broker pour montrer qu'il "
		"est toujours là : il a promis un signe de vie toutes les {keepalive} s, et quand "
		"il n'a rien d'autre à envoyer, un Ping Request est ce signe. Le broker doit "
		"répondre par un Ping Response.",
	[EX_PINGREQ_NO_KEEPALIVE] = "Keepalive : le client {client} sonde le broker pour "
		"vérifier que la connexion est vivante ; le broker doit répondre par un Ping "
		"Response.",
	[EX_PINGRESP] = "Le broker répond au ping du client {client} : la connexion fonctionne "
		"dans les deux sens. Sans cette réponse, le client considérerait la connexion "
		"comme perdue.",

	[EX_DISCONNECT_C2B] = "Le client {client} prend congé proprement, puis la connexion TCP "
		"se ferme.",
	[EX_DISCONNECT_DROP_WILL] = "Comme il est parti dans les règles, le broker jette son "
		"testament sans le publier.",
	[EX_DISCONNECT_WILL] = "Le client {client} s'en va, mais demande quand même au broker de "
		"publier son testament (Disconnect with Will Message).",
	[EX_DISCONNECT_B2C] = "Le broker met fin à la session du client {client} : {reason} "
		"(code {code}).",
	[EX_AUTH] = "Authentification étendue : {reason}. Client et broker échangent des données "
		"d'authentification jusqu'à ce que le broker envoie son Connect Ack.",
	[EX_RESERVED] = "Le type de paquet {type} est réservé : ce n'est pas du MQTT valide, et "
		"un broker fermerait la connexion.",

	[EX_CLOSED_BY_CLIENT] = "Trame {frame} : le client {client} ferme la connexion par "
		"{how}, sans Disconnect.",
	[EX_CLOSED_BY_BROKER] = "Trame {frame} : le broker ferme la connexion du client {client} "
		"par {how}, sans Disconnect.",
	[EX_CLOSED_KEEPALIVE] = "Le client {client} avait promis un signe de vie toutes les "
		"{keepalive} s et n'a rien envoyé pendant {silence} s : passé une fois et demie son "
		"keepalive, le broker doit fermer la connexion.",
	[EX_CLOSED_WILL] = "Son testament est dû : le broker le publie (en MQTT 5.0, une fois "
		"écoulé le Will Delay Interval).",
	[EX_CAPTURE_END] = "La capture se termine alors que le client {client} est encore "
		"connecté.",

	[EX_TLS_CLIENT_HELLO] = "TLS commence : le client salue en clair, nomme le serveur qu'il "
		"veut joindre ({sni}) et propose {versions} ; n'importe qui sur le chemin peut le "
		"lire.",
	[EX_TLS_CLIENT_HELLO_NO_SNI] = "TLS commence : le client salue en clair et propose "
		"{versions} ; n'importe qui sur le chemin peut le lire.",
	[EX_TLS_SERVER_HELLO] = "Le broker répond en clair par son choix : {tls_version}, suite "
		"de chiffrement {suite}.",
	[EX_TLS_CERT] = "En TLS 1.2 les certificats passent en clair : n'importe qui peut lire "
		"que celui-ci nomme {subject}, émis par {issuer}.",
	[EX_TLS_ENCRYPTED] = "Désormais les enregistrements sont chiffrés et mqttdump n'a pas "
		"les clés : de chacun, ceux du MQTT compris, seuls la taille ({length} octets "
		"pour celui-ci) et l'instant sont visibles. Un journal de clés donné par --keylog "
		"les ouvre.",
	[EX_TLS_DECRYPTED] = "Désormais les enregistrements sont chiffrés sur le réseau ; "
		"mqttdump les déchiffre avec le journal de clés, et la suite est le MQTT qu'ils "
		"contiennent.",
	[EX_TLS_ALERT] = "Une alerte TLS fatale, en clair : {alert}. La session TLS s'arrête "
		"là.",
	[EX_TLS_CLOSE_NOTIFY] = "La session TLS est fermée proprement (alerte close_notify).",

	[EX_WARNING] = "Attention : ce paquet enfreint une règle de la spécification "
		"({warning}).",
	[EX_INCOMPLETE] = "Une partie de ce message n'a pas été capturée ; seul ce qui est "
		"arrivé est montré.",
	[EX_MALFORMED] = "Ce paquet ne peut pas être lu jusqu'au bout : le destinataire doit le "
		"traiter comme un paquet malformé (Malformed Packet) et fermer la connexion.",
};

const struct explain_table explain_fr = { "fr", fr };
